"""The sandbox ERP writes amounts as JSON numbers digit for digit, as a real ERP's answer carries them."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from devstack.sandbox.core import dumps


def test_decimals_are_numbers_with_every_digit_kept() -> None:
    page = [{"id": "a", "OriginalBudgetedAmount": {"value": Decimal("1.10")}, "n": 1}]
    text = dumps([*page, {"amounts": (Decimal("-3E+2"), Decimal("0.00"))}])
    assert text == (
        '[{"id":"a","OriginalBudgetedAmount":{"value":1.10},"n":1},{"amounts":[-3E+2,0.00]}]'
    )
    assert json.loads(text, parse_float=Decimal)[0]["OriginalBudgetedAmount"]["value"] == Decimal(
        "1.10"
    )


def test_text_stays_text_whatever_it_holds() -> None:
    text = 'Concrete "pour" 1.10 \u00e9 \x01'
    assert json.loads(dumps({"Description": {"value": text}})) == {"Description": {"value": text}}
    assert dumps(Decimal("5")) == "5"


def test_a_value_json_cannot_carry_is_refused() -> None:
    with pytest.raises(TypeError):
        dumps({"value": object()})


def test_the_budget_page_is_written_as_the_encoder_writes_its_entities() -> None:
    """The Acumatica page is written field by field for speed: byte for byte what encoding its
    entities gives, whatever a line holds (a PUT stores any JSON value)."""
    from devstack.sandbox.acumatica import FIELDS, entity, page_json
    from devstack.sandbox.core import Row, json_text

    odd_values: list[object] = [
        "P-1", "  padded  ", 'a "quote" \\ and \u00e9\u4e2d \x01 \U0001f600', "",
        Decimal("1.10"), Decimal("-3E+2"), Decimal("0E-7"), Decimal("-0.00"), Decimal("NaN"),
        Decimal("1.005"), Decimal("123456789012345678901234567890.123"),
        0, -7, 10**30, True, False, 1.5, float("inf"), [Decimal("2.50"), "x", None],
        {"nested": {"value": Decimal("3")}}, None,
    ]  # fmt: skip
    rows = [
        Row(
            id=f"id-{n}",
            values={name: odd_values[(n + i) % len(odd_values)] for i, name in enumerate(FIELDS)},
        )
        for n in range(len(odd_values))
    ]
    rows.append(Row(id='i"d', values={}))  # every field absent
    rows.append(Row(id="sparse", values={"Description": None, "OriginalBudgetedAmount": 5}))
    expected = dumps([entity(row, number) for number, row in enumerate(rows, start=1)])
    assert page_json(rows) == expected.encode()
    assert page_json([]) == b"[]"
    for value in odd_values:
        assert json_text(value) == dumps([value])[1:-1]
