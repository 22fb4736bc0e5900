"""Faults of the worker through the real adapters on moto, fed genuine SQS records.

Each scenario ends by reading the whole budget back and the job: applied exactly once, or exactly
as it was, and never a budget left held by a job that will not finish (docs/reliability.md).
"""

from __future__ import annotations

import json
import logging
import random
import string
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
from chalicelib.adapters.erp.common.http import MAX_ATTEMPTS
from chalicelib.domain.model import JobStatus, Phase, Progress
from chalicelib.domain.money import ZERO
from chalicelib.services import reimports
from tests.fixtures.worker import COMPANY, LambdaStopped, WorkerStack
from tests.integration.test_worker_reimport import (
    assert_applied_once,
    assert_untouched,
    change_in_erp,
)

# --- kill and redeliver -----------------------------------------------------------------------


def test_a_worker_stopped_while_fetching_applies_once_on_redelivery(
    worker_stack: WorkerStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()
    original = DynamoJobStore.report_progress
    stops: list[Progress] = []
    # Progress is written at most every few seconds; here every page's is, to stop on the first.
    monkeypatch.setattr(reimports, "PROGRESS_EVERY_SECONDS", 0.0)

    def stop_while_fetching(self: DynamoJobStore, job: Any, progress: Progress) -> None:
        if progress.phase is Phase.FETCHING and not stops:
            stops.append(progress)
            raise LambdaStopped("stopped while reading the ERP")
        original(self, job, progress)

    monkeypatch.setattr(DynamoJobStore, "report_progress", stop_while_fetching)
    stack.deliver_and_stop(stack.records(stack.receive(visibility=0)))
    assert stops, "the worker never reached the fetch"
    assert stack.job(job.job_id).status is JobStatus.IN_PROGRESS
    assert_untouched_but_held(stack, before, version, job.job_id)

    assert stack.deliver(stack.records(stack.receive())) == []
    assert_applied_once(stack, before, version, job.job_id)


def test_a_worker_stopped_after_writing_the_chunks_applies_once_on_redelivery(
    worker_stack: WorkerStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()
    original = DynamoBudgetStore.write_lines
    stops: list[str] = []

    def stop_after_the_chunks(self: DynamoBudgetStore, *args: Any) -> Any:
        layout = original(self, *args)  # the new version's chunks are all written
        if not stops:
            stops.append("chunks written")
            raise LambdaStopped("stopped after the chunks, before the switch")
        return layout

    monkeypatch.setattr(DynamoBudgetStore, "write_lines", stop_after_the_chunks)
    stack.deliver_and_stop(stack.records(stack.receive(visibility=0)))
    assert stops
    assert_untouched_but_held(stack, before, version, job.job_id)

    assert stack.deliver(stack.records(stack.receive())) == []
    assert_applied_once(stack, before, version, job.job_id)


def test_a_worker_stopped_right_after_the_switch_applies_nothing_twice_on_redelivery(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()
    stops: list[str] = []

    def stop_after_the_switch(**_: Any) -> None:
        if not stops:
            stops.append("switched")
            raise LambdaStopped("stopped after the switch, before the answer")

    events = aws.dynamodb().meta.events
    events.register("after-call.dynamodb.TransactWriteItems", stop_after_the_switch)
    try:
        stack.deliver_and_stop(stack.records(stack.receive(visibility=0)))
    finally:
        events.unregister("after-call.dynamodb.TransactWriteItems", stop_after_the_switch)
    assert stops
    assert_applied_once(stack, before, version, job.job_id)

    # The message comes back; the job is finished, so nothing is applied again.
    assert stack.deliver(stack.records(stack.receive())) == []
    assert_applied_once(stack, before, version, job.job_id)


def assert_untouched_but_held(
    stack: WorkerStack,
    before: list,  # type: ignore[type-arg]
    version: int,
    job_id: str,
) -> None:
    assert stack.lines() == before
    assert stack.budget().version == version
    assert stack.budget().active_job_id == job_id


# --- oversized ERP text and unexpected errors -------------------------------------------------


@pytest.mark.parametrize("field", ["Description", "CostCode"])
def test_oversized_erp_text_fails_the_job_on_its_first_receive_with_a_line_error(
    worker_stack: WorkerStack, field: str
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    line = next(x for x in stack.erp.lines("P-1001") if x["Type"]["value"] == "Expense")
    # 933 KB of text that does not compress: what once held a budget for 48 minutes.
    text = "".join(random.Random(11).choices(string.ascii_letters, k=933_000))
    stack.erp.put_line(id=line["id"], **{field: text})
    job = stack.request()

    assert stack.deliver(stack.records(stack.receive())) == []

    failed = stack.job(job.job_id)
    assert failed.status is JobStatus.FAILED
    wanted = "description" if field == "Description" else "cost_code"
    assert [e.field for e in failed.errors] == [wanted]
    assert "characters long" in failed.errors[0].message
    assert len(failed.errors[0].message) < 400, "a message quotes ERP text, never all of it"
    assert_untouched(stack, before, version)
    assert stack.request().status is JobStatus.QUEUED, "the budget is free again"


def test_an_unexpected_error_fails_the_job_at_once_with_a_sentence_and_a_logged_stack(
    worker_stack: WorkerStack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()

    def broken(self: Any, budget: Any) -> Any:
        raise KeyError("a field no one expected")

    monkeypatch.setattr(DynamoBudgetStore, "read_lines", broken)
    with caplog.at_level(logging.ERROR):
        # [] : the record succeeded, so Lambda deletes the message on its first receive.
        assert stack.deliver(stack.records(stack.receive())) == []

    failed = stack.job(job.job_id)
    assert failed.status is JobStatus.FAILED
    assert failed.message.startswith("The re-import stopped on an unexpected error")
    assert "nothing was changed" in failed.message
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is KeyError]
    assert logged, "the stack trace is logged"
    monkeypatch.undo()
    assert_untouched(stack, before, version)


# --- messages naming no job -------------------------------------------------------------------


def test_a_message_naming_no_job_is_dropped_with_a_warning(
    worker_stack: WorkerStack, caplog: pytest.LogCaptureFixture
) -> None:
    stack = worker_stack
    body = {"job_id": "no-such-job", "company_id": COMPANY, "budget_id": "P-1001"}
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=json.dumps(body))
    with caplog.at_level(logging.WARNING):
        assert stack.deliver(stack.records(stack.receive())) == []  # deleted, not retried
    assert any("names no job" in r.getMessage() for r in caplog.records)

    # The same in the dead-letter queue: dropped, not returned to cycle for 14 days.
    stack.sqs.send_message(QueueUrl=stack.dlq_url, MessageBody=json.dumps(body))
    dead = stack.receive(stack.dlq_url)
    answer = stack.deliver_dead_letters(stack.records(dead, stack.dlq_url))
    assert answer["batchItemFailures"] == []


# --- retries and their wording ----------------------------------------------------------------


def test_a_job_waiting_to_retry_says_so_and_why(worker_stack: WorkerStack) -> None:
    stack = worker_stack
    change_in_erp(stack)
    job = stack.request()
    stack.erp.fault(fail_next=MAX_ATTEMPTS, status=503)  # past the connector's own retries
    records = stack.records(stack.receive(visibility=0))
    assert stack.deliver(records) == [records[0]["messageId"]]

    waiting = stack.job(job.job_id)
    assert waiting.status is JobStatus.IN_PROGRESS
    assert waiting.message.startswith("Waiting to retry in about 1 minute: ")
    assert "(503)" in waiting.message
    assert "will try again" not in waiting.message


def test_the_final_attempt_s_message_does_not_promise_another(worker_stack: WorkerStack) -> None:
    stack = worker_stack
    change_in_erp(stack)
    job = stack.request()
    for _ in range(resources.JOB_QUEUE.max_receive_count - 1):
        assert stack.receive(visibility=0)
    last = stack.receive()
    stack.erp.fault(fail_next=MAX_ATTEMPTS, status=503)  # past the connector's own retries
    assert stack.deliver(stack.records(last)) == []

    failed = stack.job(job.job_id)
    assert failed.status is JobStatus.FAILED
    assert failed.message.startswith("The re-import gave up after several attempts")
    assert "try again." not in failed.message.replace("Please try again later.", "")
    assert "(503)" in failed.message


# --- an empty ERP answer ----------------------------------------------------------------------


def _empty_the_erp_budget(stack: WorkerStack) -> None:
    for line in stack.erp.lines("P-1001"):
        if line["Type"]["value"] == "Expense":
            assert stack.erp.delete_line(line["id"]) == 204


def test_an_empty_erp_answer_does_not_wipe_a_budget(worker_stack: WorkerStack) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    assert any(line.original_budget_amount != ZERO for line in before)
    _empty_the_erp_budget(stack)
    job = stack.request()

    assert stack.deliver(stack.records(stack.receive())) == []

    failed = stack.job(job.job_id)
    assert failed.status is JobStatus.FAILED
    assert failed.error_code == "erp_budget_empty"
    assert "no cost lines" in failed.message
    assert_untouched(stack, before, version)


def test_an_empty_erp_answer_empties_the_budget_when_the_request_allows_it(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    version = stack.budget().version
    _empty_the_erp_budget(stack)
    job = stack.request(allow_empty=True)

    assert stack.deliver(stack.records(stack.receive())) == []

    done = stack.job(job.job_id)
    assert done.status is JobStatus.SUCCEEDED
    assert all(line.original_budget_amount == ZERO for line in stack.lines())
    assert stack.budget().version == version + 1
