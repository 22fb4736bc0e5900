"""A job that fails after creating lines in Procore takes them back: Procore is as it was.

Before the job those keys had no line at all, so writing 0.00 to them is not putting them back:
Procore would keep a 0.00 line per key the ERP added. The put-back writes each created line's
amount back to 0.00 (Procore deletes only a line at 0.00) and then deletes it; the WBS codes the
job created stay, as codes without lines (docs/targets/procore.md, "All or nothing"). Everything
here goes through the real Procore adapter to the Procore sandbox over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
from chalicelib.domain.errors import ConcurrentChange, TargetUnavailable
from chalicelib.domain.model import ErpLine, JobStatus, LineKind, WbsKey
from chalicelib.domain.ports import RemoteBudget
from chalicelib.services import reimports
from chalicelib.services.reimports import run_job
from chalicelib.services.targets import PutBackUnfinished, RemoteTarget
from devstack import demo_data, seed
from devstack.sandbox import procore as procore_sandbox
from devstack.sandbox.procore import ProcoreSandbox
from tests.fixtures.aws import dynamodb_tables  # noqa: F401 - a fixture
from tests.fixtures.procore import sandbox_switch
from tests.integration.test_procore_target import (
    BUDGET,
    Pilot,
    _DiesAfterFirstBatch,
    _flat,
    _Killed,
    _pilot,
    _requested,
    _with_amount,
)

HELD_LINES = 500  # what Procore holds before the job
ERP_LINES = 2500  # what the ERP sends: the 500 with new amounts and 2,000 keys Procore lacks


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ProcoreSandbox]:
    with ProcoreSandbox() as running:
        yield running


@pytest.fixture(autouse=True)
def roomy_spike_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """These jobs create 2,000 WBS codes and their put-backs delete hundreds of lines, one call
    each: at the sandbox's 200 calls per 10 s the adapter waits out the spike window between them
    (as it should, about two minutes a test), which is not what these tests are about."""
    monkeypatch.setattr(procore_sandbox, "SPIKE_LIMIT", 10_000)


def _growing(sandbox: ProcoreSandbox) -> Pilot:
    """Procore project 2001 holds 500 lines; the ERP's budget for K-4001 has 2,500, every amount
    new: the re-import writes 3 batches of 1,000 and its first batch creates lines."""
    company = demo_data.company("pilot")
    held = demo_data.large_project(BUDGET, HELD_LINES, seed=3, company_id="pilot")
    pilot = _pilot(sandbox, held)
    grown = demo_data.large_project(BUDGET, ERP_LINES, seed=3, company_id="pilot")
    pilot.erp.lines = [
        _with_amount(line, line.amount + Decimal("1.00")) for line in seed.erp_lines(company, grown)
    ]
    return pilot


def _procore(pilot: Pilot) -> tuple[int, dict[str, str]]:
    """What a person sees in Procore: how many line items, and each one's key and amount."""
    rows = pilot.procore.lines()
    return len(rows), {row["wbs_code"]["flat_code"]: row["original_budget_amount"] for row in rows}


def _wbs_codes(pilot: Pilot) -> set[str]:
    codes: set[str] = set()
    for page in range(1, 4):
        codes |= {
            code["flat_code"]
            for code in pilot.procore.request(
                "GET",
                f"/rest/v1.0/projects/{demo_data.PROCORE_PROJECT_ID}"
                f"/work_breakdown_structure/wbs_codes?page={page}&per_page=1000",
            )
        }
    return codes


def test_a_failed_second_batch_removes_the_lines_the_first_created_and_procore_is_as_it_was(
    sandbox,
):
    pilot = _growing(sandbox)
    before = _procore(pilot)
    assert before[0] == HELD_LINES
    sandbox_switch(
        sandbox.root, "POST", "/sandbox/faults", {"prefix": "procore", "fail_sync_batch": 2}
    )

    assert pilot.reimport() is JobStatus.FAILED
    job = pilot.job()
    assert "Procore refused batch 2 of 3" in job.message
    assert "so the budget in Procore is as it was" in job.message
    assert _procore(pilot) == before
    # The codes the job created stay: codes without lines, which budget nothing.
    assert len(_wbs_codes(pilot)) == ERP_LINES


def test_a_crashed_attempt_s_created_lines_are_removed_by_the_redelivered_message(sandbox):
    pilot = _growing(sandbox)
    before = _procore(pilot)
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _DiesAfterFirstBatch(real(*args))

    with pytest.raises(_Killed):
        pilot.reimport()
    assert _procore(pilot)[0] > HELD_LINES  # the first batch created lines in Procore

    pilot.ports.remote_budgets = real  # the message comes back to a fresh worker
    result = run_job(pilot.ports, pilot.message, final_attempt=False)

    assert result.job.status is JobStatus.FAILED
    assert "put back" in result.job.message
    assert _procore(pilot) == before


def test_the_write_ahead_record_as_dynamodb_keeps_it_is_enough_to_remove_the_created_lines(
    sandbox,
    dynamodb_tables,  # noqa: F811 - the fixture imported above
):
    pilot = _growing(sandbox)
    before = _procore(pilot)
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _DiesAfterFirstBatch(real(*args))
    with pytest.raises(_Killed):
        pilot.reimport()
    job = pilot.job()
    dynamo = DynamoJobStore()
    dynamo.record_writes(job, pilot.ports.jobs.recorded_writes(job))

    # Another worker, with nothing but the record DynamoDB returns, puts the attempt back.
    config = pilot.ports.directory.target("pilot")
    credentials = pilot.ports.secrets.erp_credentials(config.credentials_secret_id or "")
    remote = real(config, credentials, demo_data.PROCORE_PROJECT_ID)
    target = RemoteTarget(replace(pilot.ports, jobs=dynamo), remote)

    assert target.recover(job) is True
    assert _procore(pilot) == before


class _RemovalFailsOnce:
    """A Procore target whose first removal of lines fails as Procore down would."""

    def __init__(self, inner: RemoteBudget) -> None:
        self._inner = inner
        self.name = inner.name
        self.batch_size = inner.batch_size
        self.removals = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def remove_lines(self, refs: Sequence[str]) -> None:
        self.removals += 1
        if self.removals == 1:
            raise TargetUnavailable("Procore did not answer after several attempts.")
        self._inner.remove_lines(refs)


def test_created_lines_put_back_to_0_but_not_yet_removed_are_removed_by_the_dead_letter_handler(
    sandbox,
):
    pilot = _growing(sandbox)
    before = _procore(pilot)
    message = _requested(pilot)
    sandbox_switch(
        sandbox.root, "POST", "/sandbox/faults", {"prefix": "procore", "fail_sync_batch": 2}
    )
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _RemovalFailsOnce(real(*args))

    with pytest.raises(PutBackUnfinished):
        run_job(pilot.ports, message, final_attempt=True)
    waiting = pilot.job()
    assert waiting.status is JobStatus.IN_PROGRESS
    assert "could not all be put back yet" in waiting.message
    count, amounts = _procore(pilot)
    assert count > HELD_LINES  # the created lines are still there, at 0.00
    assert {amounts[code] for code in amounts.keys() - before[1].keys()} == {"0.00"}

    pilot.ports.remote_budgets = real  # the message lands in the dead-letter queue
    failed = reimports.fail_dead_letter(pilot.ports, message)

    assert failed.status is JobStatus.FAILED
    assert "put back" in failed.message
    assert _procore(pilot) == before


def test_a_version_that_cannot_be_recorded_takes_back_the_lines_the_job_added(sandbox):
    pilot = _pilot(sandbox)
    before = _procore(pilot)
    added = WbsKey("02", "26-100", "O")
    pilot.erp.lines = [
        *pilot.erp.lines,
        ErpLine(99, "new-ref", added, LineKind.COST, Decimal("777.70"), "New electrical"),
    ]
    seen: list[dict[str, str]] = []

    def moved_on(*args: Any, **kwargs: Any) -> Any:
        seen.append(_procore(pilot)[1])  # every batch is in Procore when the record is made
        raise ConcurrentChange("The budget changed while the job ran.")

    pilot.ports.budgets.commit = moved_on  # type: ignore[method-assign]
    pilot.ports.sleep = lambda _: None  # each attempt plans again at once

    assert pilot.reimport() is JobStatus.FAILED
    assert seen and all(amounts[_flat(added)] == "777.70" for amounts in seen)
    assert _procore(pilot) == before
