"""Makes the embedded AWS's DynamoDB write an item-bearing answer as plain JSON.

moto builds every answer twice: first the answer itself (items already in DynamoDB's wire form,
`{"S": ...}`, `{"N": ...}`), then a copy of it walked against botocore's output shape, attribute by
attribute, looking up each member's aliases and transformers on the way. For an answer that
carries items that walk is most of what a request costs the emulator: ten budget headers in a
`Query` took longer to write out than to find, and the schedule's run over 1,000 companies spent
about a third of the emulator's time there (docs/performance.md, "Fleet").

`write_items_as_json` writes the answers of the operations below that return items with
`json.dumps`, making only the changes the shape walk makes to them (binary values in base64;
absent members, and members the shape does not name, left out). Every other answer (errors, the
writes' small answers, table descriptions) stays with moto's serializer.
`tests/integration/test_moto_serialize.py` asserts both paths give the same answer for every
attribute type and every operation that returns items.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import Any

ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchGetItem",
        "TransactGetItems",
        "Query",
        "Scan",
    }
)


def _fit(value: Any, shape: Any) -> Any:
    """The answer as the shape walk leaves it: members the shape does not name (moto adds a few,
    e.g. `ConsumedCapacityUnits`) and absent ones are not written. Items are not walked: they are
    in wire form already, and only their binary values change, in `_base64`."""
    if shape.name == "AttributeValue":
        return value
    if shape.type_name == "structure":
        members = shape.members
        return {k: _fit(v, members[k]) for k, v in value.items() if v is not None and k in members}
    if shape.type_name == "list":
        return [_fit(v, shape.member) for v in value]
    if shape.type_name == "map":
        return {k: _fit(v, shape.value) for k, v in value.items()}
    return value


def _base64(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not part of a DynamoDB item answer")


def write_items_as_json(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's DynamoDB answers (idempotent). `setattr_` lets a test undo it."""
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result
    if getattr(original, "_items_as_json", False):
        return

    @functools.wraps(original)
    def execute_result(result: Any, context: Any) -> Any:
        answer = result.result
        operation = context.operation_model
        if operation.name not in ITEM_OPERATIONS or not isinstance(answer, dict):
            return original(result, context)  # errors and everything else: moto's own path
        body = json.dumps(_fit(answer, operation.output_shape), default=_base64)
        version = context.service_model.metadata.get("jsonVersion", "1.0")
        headers = {"Content-Type": f"application/x-amz-json-{version}"}
        return operation.http.get("responseCode", 200), headers, body

    execute_result._items_as_json = True  # type: ignore[attr-defined]
    setattr_(DynamoResult, "execute_result", execute_result)


def convert_results_directly(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch the conversion moto makes of every DynamoDB answer into plain values (idempotent).

    moto's `dynamo_to_dict` asks each value of an answer, attribute by attribute, whether it is a
    date, an attribute value or has a `to_json`, and imports the attribute-value class on every
    call; ten budget headers in a `Query` made thousands of such calls (docs/performance.md,
    "Fleet"). This conversion gives the same answer: strings, numbers, lists, maps and non-binary
    attribute values are converted here; anything else (binary values, dates, models) by moto."""
    from moto.dynamodb import responses
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import dynamo_to_dict as moto_conversion

    maps = (dict, LimitedSizeDict)  # an item's attributes: a dict that checks its size on writes

    if getattr(responses.dynamo_to_dict, "_direct", False):
        return

    def dynamo_to_dict(value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind in maps:
            return {key: dynamo_to_dict(item) for key, item in value.items()}
        if kind is list:
            return [dynamo_to_dict(item) for item in value]
        if kind is DynamoType and value.type not in _BINARY:
            return {value.type: dynamo_to_dict(value.value)}
        return moto_conversion(value)

    dynamo_to_dict._direct = True  # type: ignore[attr-defined]
    setattr_(responses, "dynamo_to_dict", dynamo_to_dict)


_PLAIN = frozenset({str, int, float, bool, type(None)})
_BINARY = frozenset({"B", "BS"})
