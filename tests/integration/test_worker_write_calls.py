"""A whole re-import of 1,000 lines, request to finished job, costs a handful of DynamoDB writes."""

from __future__ import annotations

import math

from chalicelib.adapters import aws
from chalicelib.domain.model import JobStatus
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
