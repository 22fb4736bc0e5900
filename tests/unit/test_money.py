"""Money is an exact 2-place decimal: what an ERP or API client may send, and what is refused."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Strings whose exponent or length is past what the decimal context holds: abs() or quantize()
# on them raised decimal.Overflow or InvalidOperation, a 500 on an edit and a crashed ERP import.
NASTY_AMOUNTS = [
    "1e1000000",
    "-1e999999999",
    "1e-1000000",
    "9" * 5000,
    "0." + "0" * 5000 + "1",
    "NaN",
    "sNaN",
    "-sNaN",
    "Infinity",
    "0e999999999",
    "-0E+999999999",
    "0e-999999999",
    "1E+400",
    "1e999999",
    "1e-999999",
    "1e9999999999999999999",
]

# Every signal trapped and a tiny precision: what a thread's context could be set to elsewhere.
_EVERY_SIGNAL = [
    decimal.Clamped, decimal.DivisionByZero, decimal.Inexact, decimal.InvalidOperation,
    decimal.Overflow, decimal.Rounded, decimal.Subnormal, decimal.Underflow,
]  # fmt: skip
CONTEXTS = {
    "default": decimal.Context(),
    "strict": decimal.Context(prec=3, traps=_EVERY_SIGNAL),
}


def _accepted_or_refused_with_a_reason(raw: object) -> None:
    try:
        parsed = parse_amount(raw)
    except InvalidAmount as why:
        assert str(why) and len(str(why)) < 200, "a reason a person reads, not the value echoed"
        return
    assert parsed.as_tuple().exponent == -2 and abs(parsed) <= MAX_AMOUNT


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS.keys())
@pytest.mark.parametrize("raw", NASTY_AMOUNTS, ids=lambda raw: raw[:24])
def test_amounts_past_the_decimal_context_are_refused_with_a_reason_not_a_signal(
    raw: str, context: decimal.Context
) -> None:
    with decimal.localcontext(context):
        _accepted_or_refused_with_a_reason(raw)
        _accepted_or_refused_with_a_reason(f" {raw} ")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("1e1000000", "beyond"),
        ("-1e999999999", "beyond"),
        (Decimal("1E+1000000"), "beyond"),  # as an ERP's JSON number arrives (parse_float=Decimal)
        ("9" * 5000, "beyond"),
        ("1e-1000000", "more than 2 decimal places"),
        ("1e9999999999999999999", "is not a number"),
    ],
)
def test_huge_exponents_get_the_reasons_other_amounts_get(raw: object, why: str) -> None:
    with pytest.raises(InvalidAmount, match=why):
        parse_amount(raw)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.builds(
            "{}{}e{}".format,
            st.sampled_from(["", "-", "+"]),
            st.from_regex(r"\A[0-9]{1,40}(\.[0-9]{0,40})?\Z"),
            st.integers(min_value=-(10**20), max_value=10**20),
        ),
        st.text(alphabet="0123456789.eE+-_ naNsIify", max_size=60),
        st.text(max_size=40),
    )
)
def test_no_string_makes_parse_amount_raise_anything_but_a_reason(raw: str) -> None:
    _accepted_or_refused_with_a_reason(raw)
