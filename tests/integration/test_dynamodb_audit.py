"""The audit log on DynamoDB: many entries at once (the schedule's) in batches, read back whole."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.audit import DynamoAuditLog
from chalicelib.domain.model import AuditEvent
from tests.fixtures.aws import WriteCounter


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        company_id="demo", event_id=f"e{n:03d}", at=datetime(2026, 12, 1, 2, 0, n % 60, tzinfo=UTC),
        actor="schedule", action="reimport.requested", target=f"Project {n}",
        details={"budget_id": f"P-{n}", "job_id": f"job-{n}"},
    )  # fmt: skip


def test_many_entries_are_written_25_to_a_call_and_every_one_is_listed(dynamodb_tables):
    log = DynamoAuditLog()
    counter = WriteCounter(aws.dynamodb())

    log.record_many([_event(n) for n in range(30)])

    assert counter.calls == ["BatchWriteItem", "BatchWriteItem"]
    page = log.list("demo", 50, None)
    assert sorted(e.event_id for e in page.items) == [f"e{n:03d}" for n in range(30)]
    assert {e.details["job_id"] for e in page.items} == {f"job-{n}" for n in range(30)}
