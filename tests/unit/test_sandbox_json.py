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
