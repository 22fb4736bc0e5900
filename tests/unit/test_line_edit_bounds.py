"""A line edit's quantity and unit cost past Decimal's range are refused with a sentence
(adapters/lines.apply_edit), whoever calls it: not a decimal.Overflow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.adapters.lines import apply_edit
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.model import LineItem, WbsKey
from chalicelib.domain.ports import LineEdit

LINE = LineItem(WbsKey("01", "01-100", "L"), "Concrete", Decimal("10.00"))


@pytest.mark.parametrize("field", ["quantity", "unit_cost"])
@pytest.mark.parametrize("huge", ["1e1000000", "-9e999999999"])
def test_a_value_past_the_decimal_range_is_refused_with_a_sentence(field: str, huge: str) -> None:
    with pytest.raises(InvalidRequest, match=f"{field} must be below"):
        apply_edit(LINE, LineEdit(**{field: Decimal(huge)}))
