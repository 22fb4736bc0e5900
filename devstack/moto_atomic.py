"""Makes the embedded AWS's DynamoDB apply each request atomically, as DynamoDB itself does.

moto checks a transaction's conditions and applies its writes without a lock, and copies tables
while other threads change them, so concurrent requests (the API and the worker side by side) could
both pass a condition or fail with a 500. DynamoDB serializes them; one lock around moto's DynamoDB
backend does the same here, so the local stack and the concurrency tests exercise our conditions
rather than moto's missing lock.

moto also makes a transaction all-or-nothing by deep-copying every table it touches before each
one, so a transaction's cost grows with the table: a thousand companies' budgets made each job
record take tens of milliseconds and the fleet run quadratic (docs/performance.md, "Fleet").
`journal_transactions` keeps the same guarantee by saving only the items the transaction names
and putting them back if it is cancelled, which is what DynamoDB's cost is proportional to.
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

    journal_transactions(setattr_)  # inside the lock below: the journal must see no other writer
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


_in_transaction = threading.local()


def journal_transactions(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Roll a cancelled TransactWriteItems back from a journal of its own items (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_journaled", False):
        return

    # moto's "restore" then puts the same table back: a no-op.
    skip_deep_copies(
        lambda value: isinstance(value, Table) and getattr(_in_transaction, "active", False),
        setattr_,
    )

    @functools.wraps(original)
    def journaled(backend: Any, transact_items: list[dict[str, Any]]) -> Any:
        journal = _journal(backend, transact_items)
        _in_transaction.active = True
        try:
            return original(backend, transact_items)
        except Exception:
            _in_transaction.active = False
            _restore(journal)
            raise
        finally:
            _in_transaction.active = False

    journaled._journaled = True  # type: ignore[attr-defined]
    setattr_(DynamoDBBackend, "transact_write_items", journaled)


class _SelectiveCopy:
    """moto's DynamoDB models' `copy` module, except that a deep copy one of `skips` names answers
    the value itself."""

    def __init__(self, module: Any, skips: list[Callable[[Any], bool]]) -> None:
        self.module = module
        self.skips = skips

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if any(skip(value) for skip in self.skips):
            return value
        return self.module.deepcopy(value, memo)


def skip_deep_copies(
    skip: Callable[[Any], bool], setattr_: Callable[[Any, str, Any], None] = setattr
) -> None:
    """Make moto's DynamoDB models use `value` itself where they would deep-copy it and
    `skip(value)` holds. Settings add their rule to the ones already installed, in any order; a new
    module object each time, so a test's `monkeypatch.setattr` undoes exactly its own rule."""
    from moto.dynamodb import models

    current = models.copy
    if isinstance(current, _SelectiveCopy):
        setattr_(models, "copy", _SelectiveCopy(current.module, [*current.skips, skip]))
    else:
        setattr_(models, "copy", _SelectiveCopy(current, [skip]))


_Entry = tuple[Any, Any, Any, Any]  # (table, hash value, range value, the item before or None)


def _journal(backend: Any, transact_items: list[dict[str, Any]]) -> list[_Entry]:
    """A copy of each item the transaction names, as it is now (None: absent)."""
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType

    journal: list[_Entry] = []
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        key = op.get("Item") if op_type == "Put" else op.get("Key")
        if table is None or not key or table.hash_key_attr not in key:
            continue  # moto refuses it before writing anything
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in key:
                continue
            range_value = DynamoType(key[table.range_key_attr])
        before = table.get_item(hash_value, range_value)
        journal.append((table, hash_value, range_value, copy.deepcopy(before)))
    return journal


def _restore(journal: list[_Entry]) -> None:
    """Put every journaled item back as it was, newest entry last undone first."""
    from devstack.moto_index import forget_buckets

    for table, hash_value, range_value, before in reversed(journal):
        forget_buckets(table)  # the items go back behind the index buckets' writes
        if before is None:
            if table.get_item(hash_value, range_value) is not None:
                table.delete_item(hash_value, range_value)
        elif range_value is not None:
            table.items[hash_value][range_value] = before
        else:
            table.items[hash_value] = before
