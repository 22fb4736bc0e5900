"""Makes the embedded AWS's DynamoDB apply each request atomically, as DynamoDB itself does.

moto checks a transaction's conditions and applies its writes without a lock, and copies tables
while other threads change them, so concurrent requests (the API and the worker side by side) could
both pass a condition or fail with a 500. DynamoDB serializes them; one lock around moto's DynamoDB
backend does the same here, so the local stack and the concurrency tests exercise our conditions
rather than moto's missing lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

SERIALIZED_OPERATIONS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "batch_get_item",
    "transact_write_items",
    "transact_get_items",
    "query",
    "scan",
)


def serialize_dynamodb(
    setattr_: Callable[[Any, str, Any], None] = setattr,
) -> None:
    """Wrap moto's DynamoDB backend operations in one re-entrant lock (idempotent).

    `setattr_` lets a test pass `monkeypatch.setattr` so the patch is undone after the test.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in SERIALIZED_OPERATIONS:
        original = getattr(DynamoDBBackend, name, None)
        if original is None or getattr(original, "_serialized", False):
            continue

        @functools.wraps(original)
        def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(*args, **kwargs)

        locked._serialized = True  # type: ignore[attr-defined]
        setattr_(DynamoDBBackend, name, locked)
