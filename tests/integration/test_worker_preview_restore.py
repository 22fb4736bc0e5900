"""Preview and restore through the real adapters on moto, fed genuine SQS records.

Like the re-import's worker tests, each ends by reading the whole budget back: applied exactly
once, or exactly as it was.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib import resources, wiring
from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.base import deserialize
from chalicelib.adapters.dynamodb.items import budget_pk, version_sk
from chalicelib.domain.errors import BudgetLocked, JobInProgress, PreviewStale
from chalicelib.domain.model import JobStatus, Totals, VersionSource
from chalicelib.domain.ports import Identity, LineEdit
from chalicelib.services import budgets as budget_service
from chalicelib.services import history
from chalicelib.services.reimports import request_preview
from tests.fixtures.aws import WriteCounter
from tests.fixtures.worker import COMPANY, LambdaStopped, WorkerStack, amounts
from tests.integration.test_worker_reimport import SUMMED, change_in_erp

ADMIN = Identity("admin@demo.test", "admin@demo.test")


def run_queue(stack: WorkerStack) -> list[str]:
    return stack.deliver(stack.records(stack.receive()))


def preview(stack: WorkerStack, budget_id: str = "P-1001") -> Any:
    job = request_preview(wiring.ports(), ADMIN, COMPANY, budget_id)
    assert run_queue(stack) == []
    return stack.job(job.job_id)


def changes(stack: WorkerStack, job_id: str) -> list[tuple[Any, ...]]:
    job = stack.job(job_id)
    return [
        (c.key, c.kind, c.old_amount, c.new_amount)
        for c in stack.jobs.changes(job, 0, job.change_count)
    ]


def restore(stack: WorkerStack, version: int, budget_id: str = "P-1001") -> Any:
    project = stack.budget(budget_id).project_id
    return history.request_restore(wiring.ports(), ADMIN, COMPANY, project, version)


def reimported(stack: WorkerStack) -> tuple[list[Any], int]:
    """Change the ERP and re-import: answers the lines and version from before."""
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    stack.request()
    assert run_queue(stack) == []
    return before, version


# --- preview ---------------------------------------------------------------------------------


def test_a_preview_on_dynamodb_changes_nothing_and_its_apply_makes_exactly_its_changes(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    change_in_erp(stack)
    before, version = stack.lines(), stack.budget().version

    done = preview(stack)

    assert done.status is JobStatus.SUCCEEDED, done.message
    assert (stack.lines(), stack.budget().version) == (before, version)
    assert done.totals is not None and done.totals.new_total - done.totals.current_total == Decimal(
        "123.45"
    )
    assert stack.budget().current_erp_total == done.totals.current_erp_total
    job = stack.request(preview_job_id=done.job_id)
    assert run_queue(stack) == []
    assert stack.job(job.job_id).status is JobStatus.SUCCEEDED
    assert changes(stack, job.job_id) == changes(stack, done.job_id)
    assert amounts(stack.lines())[SUMMED] == amounts(before)[SUMMED] + Decimal("123.45")


def test_an_erp_change_after_the_preview_fails_the_apply_and_nothing_changes(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    done = preview(stack)
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)

    job = stack.request(preview_job_id=done.job_id)
    assert run_queue(stack) == []

    failed = stack.job(job.job_id)
    assert (failed.status, failed.error_code) == (JobStatus.FAILED, "preview_stale")
    assert (stack.lines(), stack.budget().version) == (before, version)
    assert stack.budget().active_job_id is None


def test_a_line_edit_after_the_preview_refuses_its_apply_at_request(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    done = preview(stack)
    line = stack.lines()[0]
    budget_service.edit_line(
        wiring.ports(), ADMIN, COMPANY, stack.budget().project_id, line.line_item_id,
        LineEdit(description="Edited after the preview"),
    )  # fmt: skip

    with pytest.raises(PreviewStale):
        stack.request(preview_job_id=done.job_id)
    assert stack.budget().active_job_id is None and stack.receive() == []


def test_a_preview_of_a_locked_budget_fails_as_its_reimport_is_refused(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    assert stack.budget("P-1002").locked  # locked in the demo data
    before, version = stack.lines("P-1002"), stack.budget("P-1002").version

    done = preview(stack, "P-1002")

    with pytest.raises(BudgetLocked) as refused:
        stack.request("P-1002")
    assert (done.status, done.error_code) == (JobStatus.FAILED, "budget_locked")
    assert done.message == refused.value.message
    assert (stack.lines("P-1002"), stack.budget("P-1002").version) == (before, version)


def test_a_preview_failing_on_an_unknown_cost_code_carries_its_totals_on_dynamodb(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    ready = preview(stack)
    assert ready.totals is not None
    stack.erp.put_line(
        ProjectID="P-1001", ProjectTaskID="01", CostCode="99-999", AccountGroup="S",
        InventoryID="unknown-code", Type="Expense", Description="Not in the catalog",
        OriginalBudgetedAmount=Decimal("5.00"),
    )  # fmt: skip

    failed = preview(stack)

    assert failed.status is JobStatus.FAILED and [e.field for e in failed.errors] == ["cost_code"]
    assert failed.totals == Totals(
        current_erp_total=ready.totals.current_erp_total + Decimal("5.00"),
        current_total=stack.budget().total,
        new_total=stack.budget().total,
    )
    assert stack.budget().current_erp_total == ready.totals.current_erp_total + Decimal("5.00")


def test_a_dead_lettered_preview_carries_the_budget_s_total_and_no_erp_total(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    job = request_preview(wiring.ports(), ADMIN, COMPANY, "P-1001")
    for _ in range(resources.JOB_QUEUE.max_receive_count):
        assert stack.receive(visibility=0)  # every receive ended without deleting it
    assert stack.receive() == []  # SQS moved it to the dead-letter queue
    dead = stack.receive(queue_url=stack.dlq_url)
    assert stack.deliver_dead_letters(stack.records(dead, queue_url=stack.dlq_url)) == {
        "batchItemFailures": []
    }

    failed = stack.job(job.job_id)
    total = stack.budget().total
    assert failed.status is JobStatus.FAILED
    assert failed.totals == Totals(current_erp_total=None, current_total=total, new_total=total)


def test_previewing_a_thousand_lines_writes_no_budget_line_and_few_items(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    stack.erp.generate("P-1003", 1_000, seed=3)
    before = stack.budget("P-1003")
    counter = WriteCounter(aws.dynamodb())

    done = preview(stack, "P-1003")

    assert done.status is JobStatus.SUCCEEDED, done.message
    assert stack.budget("P-1003").version == before.version
    assert counter.writes <= math.ceil(1_000 / 25) + 10, counter.calls
    assert "TransactWriteItems" not in counter.calls  # no commit: the budget is never switched


# --- restore ---------------------------------------------------------------------------------


def test_restoring_the_version_before_the_last_reimport_gives_every_cent_back_and_is_undoable(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    before, version = reimported(stack)
    after_reimport = stack.lines()

    job = restore(stack, version)
    assert run_queue(stack) == []

    done = stack.job(job.job_id)
    assert (done.status, done.message) == (
        JobStatus.SUCCEEDED,
        f"Successfully Restored version {version}",
    )
    restored = stack.lines()
    assert [replace(x, erp_refs=()) for x in restored] == [
        replace(x, erp_refs=()) for x in before
    ]  # amounts to the cent, units and descriptions as they are
    assert stack.budget().version == version + 2

    undo = restore(stack, version + 1)
    assert run_queue(stack) == []
    assert stack.job(undo.job_id).status is JobStatus.SUCCEEDED
    assert amounts(stack.lines()) == amounts(after_reimport)
    listed = history.list_history(
        wiring.ports(), ADMIN, COMPANY, stack.budget().project_id, 5, None
    )
    assert [(v.source, v.by) for v in listed.items[:3]] == [
        (VersionSource.RESTORE, ADMIN.email),
        (VersionSource.RESTORE, ADMIN.email),
        (VersionSource.REIMPORT, "standard@demo.test"),
    ]


def test_a_redelivered_restore_applies_once(worker_stack: WorkerStack) -> None:
    stack = worker_stack
    before, version = reimported(stack)
    restore(stack, version)
    messages = stack.receive()
    assert stack.deliver(stack.records(messages)) == []
    stack.make_visible(messages)
    assert stack.deliver(stack.records(stack.receive())) == []

    assert amounts(stack.lines()) == amounts(before)
    assert stack.budget().version == version + 2


def test_a_restore_that_crashes_between_write_and_switch_applies_once_on_redelivery(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    before, version = reimported(stack)
    current = stack.lines()
    job = restore(stack, version)
    crashes = []

    def crash_once(params: dict[str, Any], **_: Any) -> None:
        body = params.get("body", b"")
        body = body.decode() if isinstance(body, bytes) else str(body)
        if not crashes and JobStatus.SUCCEEDED.value in body:
            crashes.append(body)
            raise LambdaStopped("the Lambda was stopped mid-commit")

    aws.dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", crash_once)
    stack.deliver_and_stop(stack.records(stack.receive(visibility=0)))
    assert crashes
    assert stack.lines() == current and stack.budget().version == version + 1

    assert stack.deliver(stack.records(stack.receive())) == []
    assert stack.job(job.job_id).status is JobStatus.SUCCEEDED
    assert amounts(stack.lines()) == amounts(before)
    assert stack.budget().version == version + 2


def test_a_lock_set_between_the_restore_request_and_its_run_leaves_the_budget_untouched(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    _, version = reimported(stack)
    current = stack.lines()
    job = restore(stack, version)
    stack.budgets.set_locked(stack.budget(), True)

    assert run_queue(stack) == []

    failed = stack.job(job.job_id)
    assert failed.status is JobStatus.FAILED and "locked" in failed.message
    assert failed.error_code == "budget_locked"
    assert stack.lines() == current and stack.budget().version == version + 1
    with pytest.raises(BudgetLocked):
        restore(stack, version)


def test_a_restore_and_a_reimport_never_run_together(worker_stack: WorkerStack) -> None:
    stack = worker_stack
    before, version = reimported(stack)
    queued = restore(stack, version)
    with pytest.raises(JobInProgress) as busy:
        stack.request()
    assert busy.value.job_id == queued.job_id
    assert run_queue(stack) == []
    reimport = stack.request()
    with pytest.raises(JobInProgress):
        restore(stack, version)
    assert run_queue(stack) == []
    assert stack.job(reimport.job_id).status is JobStatus.SUCCEEDED
    assert stack.budget().version == version + 3
    assert amounts(stack.lines()) != amounts(before)


# --- retention -------------------------------------------------------------------------------


def test_versions_beyond_the_last_100_get_a_ttl_a_year_out_and_the_rest_none(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    first = stack.budget("P-1001")
    line = stack.lines()[0]
    for n in range(100):  # versions 1..100 are the last 100; version 0 falls out
        budget_service.edit_line(
            wiring.ports(), ADMIN, COMPANY, first.project_id, line.line_item_id,
            LineEdit(original_budget_amount=Decimal(n)),
        )  # fmt: skip
    table = stack.budgets.budgets_table
    pk = budget_pk(COMPANY, first.budget_id)
    items = [
        deserialize(i)
        for i in aws.dynamodb().query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": pk}},
        )["Items"]
    ]
    expiring = {i["sk"]: int(i["expires_at"]) for i in items if "expires_at" in i}
    oldest = next(i for i in items if i["sk"] == version_sk(first.version))

    assert version_sk(first.version) in expiring
    assert not [
        sk for sk in expiring if sk.startswith("VERSION#") and sk != version_sk(first.version)
    ]
    assert any(sk.startswith("SET#") for sk in expiring)  # the chunks only it used
    made = int(datetime.fromisoformat(oldest["at"].replace("Z", "+00:00")).timestamp())
    assert expiring[version_sk(first.version)] >= made + 365 * 24 * 3600
    # Every kept version still reads back whole.
    as_of = stack.budget().model_copy(update={"version": first.version + 1})
    assert len(stack.budgets.read_lines(as_of)) == first.line_count
