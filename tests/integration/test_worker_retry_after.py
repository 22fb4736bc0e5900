"""`Retry-After` from the connector to the queue: the job comes back no sooner than the ERP asked.

A wait a call may sleep (MAX_WAIT_SECONDS) is waited out in the call, in either of RFC 9110's
forms; a longer one is carried by the failure to the worker, which postpones the message that long
(within what SQS allows) and says so in the job's message. Through every connector against the
sandbox ERPs, and through the real worker entry point on moto with genuine SQS records.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from chalicelib.adapters import aws
from chalicelib.adapters.erp.common.http import MAX_ATTEMPTS
from chalicelib.domain.errors import ErpUnavailable
from chalicelib.domain.model import JobStatus
from chalicelib.entrypoints.worker import MAX_RETRY_DELAY_SECONDS
from tests.fixtures.erp import UniformSwitch
from tests.fixtures.worker import WorkerStack
from tests.integration import test_connector_contract as contract
from tests.integration.test_connector_contract import Connector, Waits, connector, in_erp, mapped

# The connector contract's own fixtures: its sandbox ERPs, its reset switch, one row per connector.
sandbox = contract.sandbox
switch = contract.switch
row = contract.row


def _header(retry_after: str | timedelta) -> str:
    """A `Retry-After`: as given, or that long from now as an HTTP date (IMF-fixdate, whole
    seconds), written when the test runs rather than when it was collected."""
    if isinstance(retry_after, str):
        return retry_after
    return format_datetime(datetime.now(UTC) + retry_after, usegmt=True)


# --- the connectors ------------------------------------------------------------------------------


def test_an_http_date_retry_after_is_waited_out_instead_of_backing_off(
    sandbox: Any, switch: UniformSwitch, row: Connector
) -> None:
    waits = Waits()
    switch.fault(fail_next=1, status=429, retry_after=_header(timedelta(seconds=20)),
                 prefix=row.erp, match=row.budget_path)  # fmt: skip

    lines = connector(sandbox, row, waits=waits).fetch_budget(row.job)

    assert len(waits) == 1 and 10 < waits[0] <= 20, waits  # the date's wait, not 0.5 s
    assert mapped(lines) == in_erp(switch, row)


@pytest.mark.parametrize(
    ("retry_after", "asked"),
    [("600", (600, 600)), (timedelta(hours=1), (3500, 3600))],
    ids=["seconds", "http-date"],
)
def test_a_wait_longer_than_a_call_may_sleep_travels_with_the_failure(
    sandbox: Any,
    switch: UniformSwitch,
    row: Connector,
    retry_after: str | timedelta,
    asked: tuple[int, int],
) -> None:
    waits = Waits()
    switch.fault(fail_next=1, status=429, retry_after=_header(retry_after), prefix=row.erp,
                 match=row.budget_path)  # fmt: skip

    with pytest.raises(ErpUnavailable) as unavailable:
        connector(sandbox, row, waits=waits).fetch_budget(row.job)

    assert waits == []
    carried = unavailable.value.retry_after_seconds
    assert carried is not None and asked[0] <= carried <= asked[1]
    assert "slow down" in unavailable.value.message  # the connector's own sentence, kept


def test_a_503_still_failing_after_its_retries_carries_the_wait_it_asked_for(
    sandbox: Any, switch: UniformSwitch, row: Connector
) -> None:
    waits = Waits()
    switch.fault(fail_next=MAX_ATTEMPTS, status=503, retry_after="3", prefix=row.erp,
                 match=row.budget_path)  # fmt: skip

    with pytest.raises(ErpUnavailable) as unavailable:
        connector(sandbox, row, waits=waits).fetch_budget(row.job)

    assert waits == [3.0] * (MAX_ATTEMPTS - 1)
    assert unavailable.value.retry_after_seconds == 3.0


# --- the worker ----------------------------------------------------------------------------------


@pytest.fixture
def postponed(worker_stack: WorkerStack) -> Iterator[list[int]]:
    """The VisibilityTimeout of every ChangeMessageVisibility the worker sends SQS (moto)."""
    seen: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(params["VisibilityTimeout"])

    events = aws.sqs().meta.events
    events.register("before-parameter-build.sqs.ChangeMessageVisibility", record)
    yield seen
    events.unregister("before-parameter-build.sqs.ChangeMessageVisibility", record)


def _fail_the_budget_read(stack: WorkerStack, retry_after: str | timedelta) -> str:
    """Deliver a re-import whose ERP answers its budget read 429 with `retry_after`; its job id."""
    job = stack.request()
    stack.erp.fault(
        fail_next=1, status=429, retry_after=_header(retry_after), match="ProjectBudget"
    )
    records = stack.records(stack.receive())
    assert records[0]["attributes"]["ApproximateReceiveCount"] == "1"  # the 15 s backoff's
    assert stack.deliver(records) == [records[0]["messageId"]]  # back to the queue, later
    return job.job_id


@pytest.mark.parametrize(
    ("retry_after", "wait", "said"),
    [
        ("600", (600, 600), "in about 10 minutes"),
        (timedelta(hours=1), (3500, 3600), "in about 60 minutes"),
        ("86400", (MAX_RETRY_DELAY_SECONDS, MAX_RETRY_DELAY_SECONDS), "in about 12 hours"),
    ],
    ids=["seconds", "http-date", "beyond-sqs-limit"],
)
def test_the_worker_postpones_the_job_as_long_as_the_erp_asked_and_says_so(
    worker_stack: WorkerStack,
    postponed: list[int],
    retry_after: str | timedelta,
    wait: tuple[int, int],
    said: str,
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version

    job_id = _fail_the_budget_read(stack, retry_after)

    assert len(postponed) == 1 and wait[0] <= postponed[0] <= wait[1], postponed
    assert stack.receive(visibility=None) == [], "the message is not hidden for the wait"
    waiting = stack.job(job_id)
    assert waiting.status is JobStatus.IN_PROGRESS
    assert waiting.message.startswith(f"Waiting to retry {said}: "), waiting.message
    assert "slow down (429)" in waiting.message
    assert stack.lines() == before and stack.budget().version == version
