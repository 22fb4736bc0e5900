"""The AuditLog port on DynamoDB: one item per entry in the directory table, expiring by TTL.

`AUDIT#<cid>` / `<at>#<ns>#<event_id>`: a company's entries sort by time in their own partition, so the
newest page is one Query read backwards. Entries expire after `resources.AUDIT_RETENTION_DAYS`.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from chalicelib import resources
from chalicelib.adapters.dynamodb.base import (
    batch_write,
    decode_cursor,
    deserialize,
    encode_cursor,
    serialize,
)
from chalicelib.adapters.dynamodb.items import AuditItem, to_item
from chalicelib.adapters.dynamodb.tables import DynamoTables
from chalicelib.domain.model import AuditEvent, iso
from chalicelib.domain.ports import Page


def audit_pk(company_id: str) -> str:
    return f"AUDIT#{company_id}"


def _item(event: AuditEvent) -> dict[str, Any]:
    expires = event.at + timedelta(days=resources.AUDIT_RETENTION_DAYS)
    item = AuditItem(
        pk=audit_pk(event.company_id),
        # Entries of the same second keep the order they were written in (nanoseconds).
        sk=f"{iso(event.at)}#{time.time_ns():020d}#{event.event_id}",
        event=event.model_dump_json(),
        expires_at=int(expires.timestamp()),
    )
    return serialize(to_item(item))


class DynamoAuditLog(DynamoTables):
    def record(self, event: AuditEvent) -> None:
        self.client.put_item(TableName=self.directory_table, Item=_item(event))

    def record_many(self, events: list[AuditEvent]) -> None:
        """BatchWriteItem, 25 entries a call: the schedule writes one entry per job it queues."""
        requests = [{"PutRequest": {"Item": _item(event)}} for event in events]
        batch_write(self.client, self.directory_table, requests)

    def list(self, company_id: str, limit: int, cursor: str | None) -> Page[AuditEvent]:
        before = decode_cursor(cursor, ["before"])["before"] if cursor else None
        condition = "pk = :p"
        values: dict[str, Any] = {":p": {"S": audit_pk(company_id)}}
        if before is not None:
            condition += " AND sk < :b"
            values[":b"] = {"S": before}
        answer = self.client.query(
            TableName=self.directory_table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            Limit=limit + 1,
        )
        items = [AuditItem.model_validate(deserialize(raw)) for raw in answer["Items"]]
        page = items[:limit]
        more = len(items) > limit
        return Page(
            [AuditEvent.model_validate_json(item.event) for item in page],
            encode_cursor({"before": page[-1].sk}) if more and page else None,
        )
