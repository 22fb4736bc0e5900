"""A person editing a budget a few times a second while the worker applies a re-import: the
worker backs off and re-plans, and keeps every edit of units (in-memory ports)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.model import JobKind, JobStatus
from chalicelib.domain.ports import JobMessage, LineEdit
from chalicelib.services.reimports import COMMIT_BACKOFF_SECONDS, request_job, run_job
from devstack.memory import MemoryBudgetStore
from tests.fixtures.services import COMPANY, K1, K2, SYNCED, erp_changed, me, world


def _busy_editor(w: Any, monkeypatch: pytest.MonkeyPatch, edits: int) -> list[int]:
    """Before each of the worker's first `edits` commits, a person edits a line's units."""
    original = MemoryBudgetStore.commit
    made: list[int] = []

    def edit_then_commit(self: MemoryBudgetStore, budget: Any, *args: Any) -> Any:
        if len(made) < edits:
            fresh = self.get(COMPANY, SYNCED)
            self.edit_line(fresh, K2.line_item_id, LineEdit(quantity=Decimal(len(made) + 1)))
            made.append(len(made) + 1)
        return original(self, budget, *args)

    monkeypatch.setattr(MemoryBudgetStore, "commit", edit_then_commit)
    return made


def _run(w: Any) -> Any:
    job = request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT)
    message = JobMessage(job_id=job.job_id, company_id=COMPANY, budget_id=SYNCED)
    return run_job(w.ports, message, final_attempt=False).job


def test_a_reimport_outlasts_a_person_editing_units_several_times_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(erp_changed())
    made = _busy_editor(w, monkeypatch, edits=5)

    job = _run(w)

    assert job.status is JobStatus.SUCCEEDED, job.message
    assert w.slept == list(COMMIT_BACKOFF_SECONDS[:5]), "each retry waits longer than the last"
    lines = {line.key: line for line in w.lines()}
    assert lines[K2].quantity == Decimal(made[-1]), "the last edit of units is kept"
    assert lines[K1].original_budget_amount == Decimal("1200.50"), "the ERP's amount applied"


def test_edits_that_never_stop_fail_the_job_after_the_back_off_with_a_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = world(erp_changed())
    before = w.amounts()
    _busy_editor(w, monkeypatch, edits=1_000)

    job = _run(w)

    assert job.status is JobStatus.FAILED
    assert "kept changing" in job.message and "nothing was changed" in job.message
    assert w.slept == list(COMMIT_BACKOFF_SECONDS)
    assert w.amounts() == before
