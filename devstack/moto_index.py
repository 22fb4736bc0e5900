"""Makes the embedded AWS answer a query on a secondary index in time proportional to what it
reads, rather than to the whole table sorted twice.

moto answers such a query by sorting every item of the table by its primary key, walking them all
for the index's key, then sorting the matches by the index's key. The first sort is wasted (the
matches are sorted again) and grows with everything the table holds: on the local stack with 5,000
budgets (their headers, pointers, versions and line chunks in one table) a Budgets list page of 50
took over a second, where DynamoDB reads only the page (docs/performance.md, "The Budgets list").
`skip_table_sort_in_index_queries` hands moto's index query the table's items unsorted; the
answer, its order and its paging are unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def _unsorted_items(table: Any) -> list[Any]:
    if not table.range_key_attr:
        return list(table.items.values())
    return [item for hash_set in table.items.values() for item in hash_set.values()]


def skip_table_sort_in_index_queries(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's `Table.query` (idempotent). Relies on the caller serializing DynamoDB requests
    (devstack.moto_atomic.serialize_dynamodb): the table's `all_items` is swapped for the call."""
    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, "_index_fast", False):
        return

    @functools.wraps(original)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[7] if len(args) > 7 else None)
        if not index_name:
            return original(self, *args, **kwargs)
        self.all_items = functools.partial(_unsorted_items, self)  # shadows the sorted one
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    query._index_fast = True  # type: ignore[attr-defined]
    setattr_(Table, "query", query)
