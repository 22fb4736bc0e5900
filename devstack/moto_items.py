"""Makes the embedded AWS's DynamoDB build and update an item in time proportional to its size.

Two costs of moto grow faster than the item:
- it checks the 400 KB item limit each time it adds an attribute to a new item, by re-sizing every
  attribute added before, so building an item of n attributes sizes about n²/2 of them (a job
  record has about twenty);
- every update deep-copies the item first, only to hand the copy to the table's stream, and our
  tables have no stream.

In the schedule's run over 1,000 companies they were about a seventh of the emulator's time
(docs/performance.md, "Fleet"). `size_items_once` sizes a new item once, after converting its
attributes, and refuses it exactly when moto would (sizes only add up, so the sum of all of them is
over the limit exactly when some prefix of them is). `copy_updates_for_streams_only` skips the copy
for a table without a stream.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

# moto's own limit (dynamo_type.LimitedSizeDict): between DynamoDB's measured 409 and 410 KB.
ITEM_SIZE_LIMIT = 405000


def size_items_once(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's `Item.__init__` to check the item's size once (idempotent)."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    if getattr(Item.__init__, "_sized_once", False):
        return

    def __init__(item: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        item.hash_key = hash_key
        item.range_key = range_key
        converted = {key: DynamoType(value) for key, value in attrs.items()}
        if sum(bytesize(key) + value.size() for key, value in converted.items()) > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        # dict's own constructor: LimitedSizeDict checks only in __setitem__, as later updates do.
        item.attrs = LimitedSizeDict(converted)

    __init__._sized_once = True  # type: ignore[attr-defined]
    setattr_(Item, "__init__", __init__)


_updating_without_stream = threading.local()


def copy_updates_for_streams_only(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's `update_item` to skip its stream copy on a table without a stream
    (idempotent): the copy's only reader is the stream."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item

    from devstack.moto_atomic import skip_deep_copies

    original = DynamoDBBackend.update_item
    if getattr(original, "_stream_copy_only", False):
        return
    skip_deep_copies(
        lambda value: (
            isinstance(value, Item) and getattr(_updating_without_stream, "active", False)
        ),
        setattr_,
    )

    @functools.wraps(original)
    def update_item(backend: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        table = backend.tables.get(table_name)
        outer = getattr(_updating_without_stream, "active", False)
        _updating_without_stream.active = table is not None and table.stream_shard is None
        try:
            return original(backend, table_name, *args, **kwargs)
        finally:
            _updating_without_stream.active = outer

    update_item._stream_copy_only = True  # type: ignore[attr-defined]
    setattr_(DynamoDBBackend, "update_item", update_item)
