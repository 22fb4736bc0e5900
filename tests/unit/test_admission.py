"""Which job may take a budget (domain/admission.py): one rule, one sentence per refusal."""

from __future__ import annotations

import pytest

from chalicelib.domain import admission
from chalicelib.domain.errors import (
    AlreadyImported,
    BudgetLocked,
    JobInProgress,
    NotLinked,
    NotSynced,
)
from chalicelib.domain.model import Budget, BudgetStatus, JobKind


def budget(**fields: object) -> Budget:
    base: dict[str, object] = {
        "company_id": "demo", "budget_id": "b-1", "project_id": "p-1",
        "project_name": "Riverside", "erp_job_id": "P-1", "erp_system": "acumatica",
        "status": BudgetStatus.SYNCED,
    }  # fmt: skip
    return Budget(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "kind", "refused"),
    [
        ({}, JobKind.REIMPORT, None),
        ({"status": BudgetStatus.READY_TO_IMPORT}, JobKind.IMPORT, None),
        ({"status": BudgetStatus.READY_TO_IMPORT}, JobKind.REIMPORT, NotSynced),
        ({}, JobKind.IMPORT, AlreadyImported),
        ({"locked": True}, JobKind.REIMPORT, BudgetLocked),
        ({"active_job_id": "job-9"}, JobKind.REIMPORT, JobInProgress),
        ({"erp_job_id": ""}, JobKind.REIMPORT, NotLinked),
        # The first reason that holds answers: link, status, lock, another job.
        ({"erp_job_id": "", "locked": True}, JobKind.IMPORT, NotLinked),
        ({"locked": True, "active_job_id": "job-9"}, JobKind.IMPORT, AlreadyImported),
        ({"locked": True, "active_job_id": "job-9"}, JobKind.REIMPORT, BudgetLocked),
        # A restore needs no link and takes any status; a preview holds nothing.
        ({"erp_job_id": "", "status": BudgetStatus.READY_TO_IMPORT}, JobKind.RESTORE, None),
        ({"locked": True}, JobKind.RESTORE, BudgetLocked),
        ({"locked": True, "active_job_id": "job-9", "erp_job_id": ""}, JobKind.PREVIEW, None),
    ],
)
def test_the_first_reason_that_holds_refuses_the_job(
    fields: dict[str, object], kind: JobKind, refused: type | None
) -> None:
    why = admission.refusal(budget(**fields), kind)

    assert (type(why) if why else None) is refused


def test_the_locked_sentence_names_the_project_the_action_and_the_system_holding_the_lock() -> None:
    assert admission.refusal(budget(locked=True), JobKind.RESTORE).message == (  # type: ignore[union-attr]
        "The budget for Riverside is locked. Unlock the budget to restore."
    )
    assert admission.locked_refusal("Riverside", "re-import", where="Procore").message == (
        "The budget for Riverside is locked in Procore. Unlock the budget to re-import."
    )
