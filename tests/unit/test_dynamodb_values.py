"""The DynamoDB adapters' own conversion of attribute values (adapters/dynamodb/base.py): what it
writes and reads directly is exactly what boto3's TypeSerializer and TypeDeserializer give."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.adapters.dynamodb.base import deserialize, serialize, value

_plain = st.one_of(
    st.text(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**20),
                max_value=10**20),
    st.binary(max_size=20),
    st.none(),
)  # fmt: skip
_values = st.recursive(
    _plain,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip


def _boto3_serialized(raw: Any) -> Any:
    try:
        return TypeSerializer().serialize(raw)
    except Exception as error:  # noqa: BLE001 - the refusal itself is compared
        return type(error)


def _ours_serialized(raw: Any) -> Any:
    try:
        return value(raw)
    except Exception as error:  # noqa: BLE001 - the refusal itself is compared
        return type(error)


@given(_values)
def test_a_value_is_written_as_boto3_writes_it(raw: Any) -> None:
    assert _ours_serialized(raw) == _boto3_serialized(raw)


@given(st.dictionaries(st.text(min_size=1, max_size=8), _values, max_size=8))
def test_an_item_reads_back_as_boto3_reads_it(item: dict[str, Any]) -> None:
    try:
        written = {k: TypeSerializer().serialize(v) for k, v in item.items() if v is not None}
    except Exception:  # noqa: BLE001 - values boto3 refuses are not stored
        return
    assert serialize(item) == written
    expected = {}
    for key, raw in written.items():
        plain = TypeDeserializer().deserialize(raw)
        expected[key] = plain.value if isinstance(plain, Binary) else plain
    assert deserialize(written) == expected


@pytest.mark.parametrize("raw", [10**38, -(10**38), 10**38 - 1, True, 0, "", Decimal("1.50")])
def test_edges_of_the_direct_path(raw: Any) -> None:
    written = _boto3_serialized(raw)
    assert _ours_serialized(raw) == written
    if isinstance(written, dict):
        expected = TypeDeserializer().deserialize(written)
        assert deserialize({"a": written}) == {"a": expected}
        assert type(deserialize({"a": written})["a"]) is type(expected)
