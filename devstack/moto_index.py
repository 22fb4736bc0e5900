"""Makes the embedded AWS answer a query on a secondary index in time proportional to what it
reads, rather than to the whole table.

moto answers such a query by sorting every item of the table by its primary key, walking them all
for the index's key, then sorting the matches by the index's key. So each query costs time in
proportion to everything the table holds: on the local stack with 5,000 budgets (their headers,
pointers, versions and line chunks in one table) a Budgets list page of 50 took over a second, and
the schedule's one query per company made a run over 1,000 companies grow with the square of the
fleet, where DynamoDB reads only the matching partition (docs/performance.md, "How the Budgets
list does it" and "Fleet").

`index_secondary_keys` keeps, per table, which items carry which value of each secondary index's
partition key (a bucket per value), maintained on every write moto makes, and hands moto's index
query only the bucket the query names. moto still applies every condition of the query to what it
is handed and sorts and pages the matches itself, so the answer, its order and its pages are
unchanged; a bucket that is stale can only hold too many items (moto drops them), never too few,
because every way an item's attributes change goes through a write hooked here (or, for the
rollback of a cancelled transaction, `forget_buckets`).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

_BUCKETS = "_devstack_index_buckets"  # the attribute a table's buckets live under

_Key = tuple[Any, Any]  # (hash value, range value or None): an item's primary key


class _Buckets:
    """For each secondary index's partition-key attribute: value → the keys of the items with it."""

    def __init__(self, table: Any) -> None:
        self.attributes = sorted(
            {key["AttributeName"] for index in table.all_indexes() for key in index.schema
             if key["KeyType"] == "HASH"}
        )  # fmt: skip
        self.members: dict[str, dict[Any, dict[_Key, None]]] = {
            name: defaultdict(dict) for name in self.attributes
        }
        self.placed: dict[_Key, list[tuple[str, Any]]] = {}
        for item in _every_item(table):
            self.place(item)

    def place(self, item: Any) -> None:
        key = (item.hash_key, item.range_key)
        self.remove(key)
        where = [(name, item.attrs[name]) for name in self.attributes if name in item.attrs]
        for name, value in where:
            self.members[name][value][key] = None
        if where:
            self.placed[key] = where

    def remove(self, key: _Key) -> None:
        for name, value in self.placed.pop(key, ()):
            self.members[name][value].pop(key, None)

    def items(self, table: Any, name: str, value: Any) -> list[Any]:
        found = []
        for hash_value, range_value in self.members[name].get(value, {}):
            stored = table.items.get(hash_value)
            if stored is not None and range_value is not None:
                stored = stored.get(range_value)
            if stored is not None:
                found.append(stored)
        return found


def _every_item(table: Any) -> Iterator[Any]:
    if not table.range_key_attr:
        yield from table.items.values()
        return
    for hash_set in table.items.values():
        yield from hash_set.values()


def _buckets(table: Any) -> _Buckets:
    found = table.__dict__.get(_BUCKETS)
    if found is None:
        found = _Buckets(table)
        setattr(table, _BUCKETS, found)
    return found


def forget_buckets(table: Any) -> None:
    """Drop a table's buckets (rebuilt at its next index query): for code that puts items back
    into `table.items` directly, as the local stack's transaction rollback does."""
    table.__dict__.pop(_BUCKETS, None)


def _refresh(table: Any, hash_value: Any, range_value: Any) -> None:
    buckets = table.__dict__.get(_BUCKETS)
    if buckets is None:
        return  # not built yet: it will read the table as it is then
    stored = table.items.get(hash_value)
    if stored is not None and table.range_key_attr:
        stored = stored.get(range_value)
    if stored is None:
        buckets.remove((hash_value, range_value))
    else:
        buckets.place(stored)


def _asked_partition(table: Any, index_name: str, arguments: dict[str, Any]) -> tuple[str, Any]:
    """The index partition-key attribute and value a query names."""
    conditions = arguments.get("hash_key_conditions")
    if conditions:
        return conditions[0][0], conditions[0][1]
    index = next(i for i in table.all_indexes() if i.name == index_name)
    name = next(key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH")
    return name, arguments.get("hash_key")


_QUERY_PARAMETERS = (
    "hash_key", "range_comparison", "range_objs", "limit", "exclusive_start_key",
    "scan_index_forward", "projection_expressions", "index_name",
)  # fmt: skip


def index_secondary_keys(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's table writes and index queries (idempotent). Call it before
    `devstack.moto_atomic.serialize_dynamodb`, whose lock must then hold each patched request
    whole: the buckets and the table's `all_items` (swapped for one query) are not guarded
    otherwise."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_bucketed", False):
        return
    if getattr(DynamoDBBackend.update_item, "_serialized", False):
        raise RuntimeError("index_secondary_keys must be installed before serialize_dynamodb")
    original_query, original_put = Table.query, Table.put_item
    original_delete, original_update = Table.delete_item, DynamoDBBackend.update_item

    @functools.wraps(original_query)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = dict(zip(_QUERY_PARAMETERS, args, strict=False)) | kwargs
        index_name = arguments.get("index_name")
        if not index_name or not any(i.name == index_name for i in self.all_indexes()):
            return original_query(self, *args, **kwargs)  # moto words the refusal
        name, value = _asked_partition(self, index_name, arguments)
        if name not in _buckets(self).members:  # an index added since the buckets were built
            forget_buckets(self)
        candidates = _buckets(self).items(self, name, value)
        self.all_items = lambda: candidates  # shadows the sorted walk of the whole table
        try:
            return original_query(self, *args, **kwargs)
        finally:
            del self.all_items

    @functools.wraps(original_put)
    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        _refresh(self, item.hash_key, item.range_key)
        return item

    @functools.wraps(original_delete)
    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        try:
            return original_delete(self, hash_key, range_key)
        finally:
            _refresh(self, hash_key, range_key)

    @functools.wraps(original_update)
    def update_item(backend: Any, table_name: str, key: dict[str, Any], *args: Any,
                    **kwargs: Any) -> Any:  # fmt: skip
        try:
            return original_update(backend, table_name, key, *args, **kwargs)
        finally:  # an update changes the stored item in place, so look at it again
            table = backend.tables.get(table_name)
            if table is not None and table.hash_key_attr in key:
                hash_value, range_value = backend.get_keys_value(table, key)
                _refresh(table, hash_value, range_value)

    query._bucketed = True  # type: ignore[attr-defined]
    setattr_(Table, "query", query)
    setattr_(Table, "put_item", put_item)
    setattr_(Table, "delete_item", delete_item)
    setattr_(DynamoDBBackend, "update_item", update_item)
