"""Money is an exact 2-place decimal: what an ERP or API client may send, and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.money import MAX_AMOUNT, InvalidAmount, format_amount, parse_amount


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (Decimal("1250.00"), "1250.00"),
        (Decimal("1250.5"), "1250.50"),
        ("1250.55", "1250.55"),
        (" 7.10 ", "7.10"),
        (1250, "1250.00"),
        (0, "0.00"),
        (Decimal("-42.01"), "-42.01"),
        ("999999999999.99", "999999999999.99"),
        ("-999999999999.99", "-999999999999.99"),
        ("1E+3", "1000.00"),
    ],
)
def test_exact_amounts_are_accepted_with_two_places(raw: object, expected: str) -> None:
    parsed = parse_amount(raw)
    assert isinstance(parsed, Decimal)
    assert format_amount(parsed) == expected


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (None, "missing or not a number"),
        (True, "missing or not a number"),
        (1250.5, "floating-point"),
        ("twelve", "is not a number"),
        ("", "is not a number"),
        ("NaN", "not a finite number"),
        (Decimal("NaN"), "not a finite number"),
        ("Infinity", "not a finite number"),
        ("-Infinity", "not a finite number"),
        (Decimal("Infinity"), "not a finite number"),
        ("1.005", "more than 2 decimal places"),
        (Decimal("0.001"), "more than 2 decimal places"),
        ("1E-400", "more than 2 decimal places"),
        ("1000000000000.00", "beyond"),
        ("-1000000000000.00", "beyond"),
        ("1E+400", "beyond"),
        ("9999999999999.8", "beyond"),  # just below where amounts are no longer quantized
        ("9999999999999.995", "beyond"),  # past it: judged as given
        (["12.00"], "not a number"),
        ({"value": "12.00"}, "not a number"),
    ],
)
def test_amounts_that_cannot_be_budget_amounts_are_refused_with_a_reason(
    raw: object, why: str
) -> None:
    with pytest.raises(InvalidAmount, match=why):
        parse_amount(raw)


def test_the_largest_amount_is_allowed_and_one_cent_more_is_not() -> None:
    assert parse_amount(MAX_AMOUNT) == MAX_AMOUNT
    with pytest.raises(InvalidAmount):
        parse_amount(MAX_AMOUNT + Decimal("0.01"))


def test_amounts_travel_as_strings_with_two_places() -> None:
    assert format_amount(Decimal("5")) == "5.00"
    assert format_amount(Decimal("0")) == "0.00"
    assert format_amount(Decimal("1E+3")) == "1000.00"
    assert format_amount(Decimal("-0.5")) == "-0.50"


def test_minus_zero_is_zero() -> None:
    """Decimal keeps a sign on zero; no answer, CSV or budget may say "-0.00"."""
    assert format_amount(parse_amount("-0.00")) == "0.00"
    assert str(parse_amount(Decimal("-0"))) == "0.00"
    assert format_amount(Decimal("-0.00")) == "0.00"
