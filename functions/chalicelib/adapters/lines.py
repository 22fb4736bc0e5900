"""Line-level helpers shared by the budget stores (DynamoDB and in-memory): applying a person's
edit to one line with the same validation and the same sentences everywhere."""

from __future__ import annotations

import binascii
from decimal import Decimal

from chalicelib.domain import limits
from chalicelib.domain.errors import InvalidRequest, NotFound, VersionGone
from chalicelib.domain.model import LineItem, WbsKey
from chalicelib.domain.money import InvalidAmount, parse_amount, total_beyond_limit
from chalicelib.domain.ports import LineEdit

MAX_TEXT = {"description": limits.MAX_DESCRIPTION, "uom": limits.MAX_UOM}
CLEARABLE = frozenset({"uom", "quantity", "unit_cost"})


def version_gone() -> VersionGone:
    return VersionGone(
        "This page belongs to a version of the budget that has since changed and is no longer "
        "kept. Read the budget again from its first page."
    )


def check_total(total: Decimal) -> None:
    """An edit may not take the budget's total beyond the limit every answer can carry."""
    why = total_beyond_limit(total)
    if why:
        raise InvalidRequest(f"The edit was not saved: {why}.")


def key_of(line_item_id: str) -> WbsKey:
    """The WBS key a line item id stands for; NotFound for an id no line could have."""
    try:
        return WbsKey.from_line_item_id(line_item_id)
    except (ValueError, binascii.Error, UnicodeError):
        raise NotFound("There is no such line item in this budget.") from None


def _finite(value: Decimal, field: str) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise InvalidRequest(f"{field} must be an exact decimal number.")
    value = Decimal(value)
    if not value.is_finite():
        raise InvalidRequest(f"{field} must be a finite number.")
    if value.copy_abs() >= limits.MAX_DECIMAL_ABS:  # exact: abs() overflows on "1e1000000"
        raise InvalidRequest(f"{field} must be below {limits.MAX_DECIMAL_ABS:,f}.")
    return value


def _text(value: str, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be text.")
    if len(value) > MAX_TEXT[field]:
        raise InvalidRequest(f"{field} is longer than {MAX_TEXT[field]} characters.")
    return value


def apply_edit(line: LineItem, edit: LineEdit) -> LineItem:
    """The line with `edit` applied; InvalidRequest, with a sentence, for a value we refuse."""
    unknown = set(edit.clear) - CLEARABLE
    if unknown:
        raise InvalidRequest(
            f"Only uom, quantity and unit_cost can be cleared, not {', '.join(sorted(unknown))}."
        )
    amount = line.original_budget_amount
    if edit.original_budget_amount is not None:
        try:
            amount = parse_amount(edit.original_budget_amount)
        except InvalidAmount as why:
            raise InvalidRequest(f"original_budget_amount is not valid: {why}.") from None
    edited = LineItem(
        key=line.key,
        description=line.description
        if edit.description is None
        else _text(edit.description, "description"),
        original_budget_amount=amount,
        uom=line.uom if edit.uom is None else _text(edit.uom, "uom"),
        quantity=line.quantity if edit.quantity is None else _finite(edit.quantity, "quantity"),
        unit_cost=line.unit_cost
        if edit.unit_cost is None
        else _finite(edit.unit_cost, "unit_cost"),
        erp_refs=line.erp_refs,
    )
    for field in edit.clear:
        setattr(edited, field, None)
    return edited
