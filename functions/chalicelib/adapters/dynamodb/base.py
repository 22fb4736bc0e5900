"""DynamoDB plumbing shared by the table adapters: (de)serialising items, batches with retries,
transaction cancellation reasons and opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.domain.errors import InvalidRequest, ServiceUnavailable

BATCH_WRITE_MAX = 25  # items per BatchWriteItem
# BatchGetItem takes 100 keys but answers at most 16 MB; chunks are up to ~300 KB, so ask for 40.
BATCH_GET_MAX = 40
_RETRIES = 8

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# Strings, booleans and integers are most of every item: they are written and read here directly,
# as boto3's TypeSerializer and TypeDeserializer would (tests/unit/test_dynamodb_values.py compares
# both on generated values), since those walk a list of type checks for every attribute and were
# a tenth of the schedule's own CPU at fleet scale (docs/performance.md, "Fleet"). Everything else
# (numbers as Decimal, binary, sets, lists, maps, and integers beyond DynamoDB's 38 digits, which
# boto3 refuses) still goes through boto3's.
_LARGEST_PLAIN_INT = 10**38


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value(raw) for key, raw in item.items() if raw is not None}


def value(raw: Any) -> dict[str, Any]:
    kind = type(raw)
    if kind is str:
        return {"S": raw}
    if kind is bool:
        return {"BOOL": raw}
    if kind is int and -_LARGEST_PLAIN_INT < raw < _LARGEST_PLAIN_INT:
        return {"N": str(raw)}
    return _serializer.serialize(raw)


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, raw in item.items():
        if "S" in raw:
            out[key] = raw["S"]
        elif "BOOL" in raw:
            out[key] = raw["BOOL"]
        else:
            plain = _deserializer.deserialize(raw)
            out[key] = plain.value if isinstance(plain, Binary) else plain
    return out


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_codes(error: ClientError) -> list[str]:
    """Per transaction item, why it was cancelled ('None' for the items that were fine)."""
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in reasons]


def _backoff(attempt: int) -> None:
    time.sleep(min(0.05 * (2**attempt), 2.0))


def chunked(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batch_write(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    """Put/delete in batches of 25, retrying unprocessed items with backoff."""
    for batch in chunked(requests, BATCH_WRITE_MAX):
        pending: dict[str, Any] = {table: batch}
        for attempt in range(_RETRIES):
            answer = client.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                break
            _backoff(attempt)
        else:
            raise ServiceUnavailable("The database is busy; please try again in a moment.")


def batch_get(client: Any, table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consistent BatchGetItem of serialised keys (any number), retrying unprocessed keys.

    Answers the deserialised items found, in no particular order.
    """
    found: list[dict[str, Any]] = []
    for batch in chunked(keys, BATCH_GET_MAX):
        pending: dict[str, Any] = {table: {"Keys": batch, "ConsistentRead": True}}
        for attempt in range(_RETRIES):
            answer = client.batch_get_item(RequestItems=pending)
            found.extend(deserialize(item) for item in answer.get("Responses", {}).get(table, []))
            pending = answer.get("UnprocessedKeys") or {}
            if not pending:
                break
            _backoff(attempt)
        else:
            raise ServiceUnavailable("The database is busy; please try again in a moment.")
    return found


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


# DynamoDB refuses a sort key value over 1,024 bytes (a partition key over 2,048) with a
# ValidationException; no key this API writes comes near it, so a longer cursor field is forged.
MAX_SORT_KEY_BYTES = 1024


def encode_cursor(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fields: Iterable[str]) -> dict[str, str]:
    """The payload of a cursor we issued (exactly `fields`, all non-empty strings); else
    InvalidRequest. Every field ends up in a key condition or start key, where DynamoDB refuses
    an empty string, or one longer than a key may be, with a ValidationException: a forged
    cursor must be a 400, not a 500."""
    wanted = set(fields)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()), parse_float=Decimal)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        payload = None
    if (
        not isinstance(payload, dict)
        or set(payload) != wanted
        or not all(
            isinstance(v, str) and 0 < len(v.encode()) <= MAX_SORT_KEY_BYTES
            for v in payload.values()
        )
    ):
        raise InvalidRequest("The cursor is not valid: pass the next_cursor of a previous answer.")
    return payload
