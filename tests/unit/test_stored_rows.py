"""A stored line is the line that was stored: every field back in its place (rows are read with
positional arguments, once per line of every read)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.adapters.dynamodb.items import line_row, pack, row_line, unpack
from chalicelib.domain.model import LineItem, WbsKey


@pytest.mark.parametrize(
    "line",
    [
        LineItem(WbsKey("", "01-100", "L"), "No sub job", Decimal("-12.50")),
        LineItem(
            key=WbsKey("T-1", "02-200", "M"),
            description='Concrete "pour" \u00e9',
            original_budget_amount=Decimal("999999999999.99"),
            uom="m3",
            quantity=Decimal("12.500"),
            unit_cost=Decimal("-0.001"),
            erp_refs=("a", "b"),
        ),
        LineItem(WbsKey("T", "C", "X"), "", Decimal("0.00"), None, None, Decimal("7"), ("r",)),
    ],
)
def test_a_line_reads_back_as_it_was_stored(line: LineItem) -> None:
    (row,) = unpack(pack([line_row(line)]))
    read = row_line(row)
    assert read == line
    assert (read.quantity, read.unit_cost, read.uom) == (line.quantity, line.unit_cost, line.uom)
    assert str(read.original_budget_amount) == str(line.original_budget_amount)
