"""A whole re-import of 1,000 lines, request to finished job, costs a handful of DynamoDB writes."""

from __future__ import annotations

import math
from decimal import Decimal

from chalicelib.adapters import aws
from chalicelib.domain.model import JobStatus
from chalicelib.services import reimports
from tests.fixtures.aws import WriteCounter

LINES = 1_000


def test_reimporting_a_thousand_lines_takes_at_most_ceil_n_over_25_plus_10_write_calls(
    worker_stack,
):
    worker_stack.erp.generate("P-1003", LINES, seed=7)
    counter = WriteCounter(aws.dynamodb())

    job = worker_stack.request("P-1003")
    failed = worker_stack.deliver(worker_stack.records(worker_stack.receive()))

    finished = worker_stack.job(job.job_id)
    assert failed == []
    assert finished.status is JobStatus.SUCCEEDED, finished.message
    assert worker_stack.budget("P-1003").line_count >= LINES
    assert counter.writes <= math.ceil(LINES / 25) + 10, counter.calls


def test_a_one_line_change_on_ten_thousand_lines_takes_at_most_five_write_calls(
    worker_stack, monkeypatch
):
    """Copy on write: the job's start, the switch (header, version, the one rewritten chunk, the
    job and its one change record in one transaction) and the worker's idempotency record
    (Powertools: a put when the message arrives, an update when it is done). No progress write falls due in a
    job shorter than the progress interval, fixed long here so the count does not hang on the
    machine's speed (docs/performance.md, "A one-line change")."""
    monkeypatch.setattr(reimports, "PROGRESS_EVERY_SECONDS", 3600.0)
    stack = worker_stack
    stack.erp.generate("P-1003", 10_000, seed=11)
    full = stack.request("P-1003")
    assert stack.deliver(stack.records(stack.receive())) == []
    assert stack.job(full.job_id).status is JobStatus.SUCCEEDED
    before = stack.budget("P-1003")
    cost = [line for line in stack.erp.lines("P-1003") if line["Type"]["value"] == "Expense"]
    one = cost[len(cost) // 2]
    new_amount = Decimal(str(one["OriginalBudgetedAmount"]["value"])) + Decimal("1.00")
    stack.erp.put_line(id=one["id"], OriginalBudgetedAmount=new_amount)

    job = stack.request("P-1003")
    counter = WriteCounter(aws.dynamodb())  # the worker's writes, from the message on
    failed = stack.deliver(stack.records(stack.receive()))

    finished = stack.job(job.job_id)
    assert failed == [] and finished.status is JobStatus.SUCCEEDED, finished.message
    assert finished.summary is not None and finished.summary.lines_updated == 1
    after = stack.budget("P-1003")
    assert (after.version, after.line_count) == (before.version + 1, before.line_count)
    assert after.total == before.total + Decimal("1.00")
    assert counter.writes <= 5, counter.calls
