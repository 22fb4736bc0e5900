"""Money: decimals with two places, carried as strings, never floats."""

from __future__ import annotations

from decimal import Context, Decimal, DecimalException

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The one money limit, decided here and enforced where data enters (the ERP's lines, a person's
# edit): a line and a per-key sum stay within ±MAX_AMOUNT (12 integer digits); a whole budget's
# total within ±MAX_TOTAL (15 integer digits: 1,000 lines at the line limit). Answer models carry
# both (MONEY_DIGITS, TOTAL_DIGITS), so nothing the rules admit can fail on the way out.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_TOTAL = Decimal("999999999999999.99")
MONEY_DIGITS = 12
TOTAL_DIGITS = 15
# Below this an amount can be quantized to cents within _CENTS_CONTEXT's 28 digits; above it is
# beyond MAX_AMOUNT anyway (computed once: parse_amount runs once per ERP line).
_QUANTIZABLE = MAX_AMOUNT * 10
# parse_amount's own context, not the thread's: the caller's (or a test's) precision and traps
# cannot change which amounts pass. Its one use, quantize, is kept within 28 digits by _QUANTIZABLE.
_CENTS_CONTEXT = Context(prec=28)
# How much of a refused value a reason repeats: "9" * 5000 is named, not echoed whole.
_SHOWN = 40


class InvalidAmount(ValueError):
    """An amount that cannot be a budget amount; the message says why, for a person."""


def parse_amount(raw: object) -> Decimal:
    """Turn an amount from outside (ERP or API) into a 2-place Decimal, or say why it cannot be.

    Floats are refused on purpose: by the time a value is a float its cents may already be wrong.
    Callers parse JSON with ``parse_float=Decimal`` so that numbers arrive as exact decimals.
    """
    if isinstance(raw, bool) or raw is None:
        raise InvalidAmount("the amount is missing or not a number")
    if isinstance(raw, float):
        raise InvalidAmount("the amount is a binary floating-point number, not an exact decimal")
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except DecimalException:  # malformed, or an exponent past what Decimal can hold
            raise InvalidAmount(f"'{raw[:_SHOWN]}' is not a number") from None
    else:
        raise InvalidAmount("the amount is not a number")
    if not value.is_finite():
        raise InvalidAmount("the amount is not a finite number")
    # copy_abs and comparisons are exact and use no context; abs() rounds in the thread's context
    # and raised decimal.Overflow for "1e1000000", a 500 on an edit and a crashed ERP import.
    size = value.copy_abs()
    quantized = value.quantize(CENT, context=_CENTS_CONTEXT) if size < _QUANTIZABLE else value
    if quantized != value:
        raise InvalidAmount(f"{_shown(value)} has more than 2 decimal places")
    if size > MAX_AMOUNT:
        raise InvalidAmount(f"{_shown(value)} is beyond ±{MAX_AMOUNT:,}")
    # "-0.00" is a Decimal of its own that equals 0 but would be written "-0.00".
    return quantized if quantized else ZERO


def _shown(value: Decimal) -> str:
    text = str(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"


def total_beyond_limit(total: Decimal) -> str | None:
    """Why a budget total cannot be stored, in words for a person; None when it can."""
    if abs(total) > MAX_TOTAL:
        return f"the budget would total {format_amount(total)}, beyond ±{MAX_TOTAL:,}"
    return None


def format_amount(value: Decimal) -> str:
    """The wire form of an amount: '1250.00' (never '-0.00')."""
    return f"{value.quantize(CENT) if value else ZERO:f}"
