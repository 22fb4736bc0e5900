"""Turning one native ERP line into the domain's `ErpLine`, the same way for every connector.

A cost line without a cost code or cost type has no WBS key and is refused with its line number;
a revenue line is passed on as revenue (the rules leave it out) whatever its key. Amounts are
passed through raw, except that a decimal string (as Sage Intacct sends) becomes a Decimal:
judging amounts is the re-import rules' job.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpLine, LineKind, WbsKey


def text(row: dict[str, object], name: str) -> str | None:
    """A key field as text (numbers allowed), trimmed; None when absent or empty."""
    value = row.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ErpRejected(f"The ERP sent a {name} that is not text: {str(value)[:40]!r}.")
    return str(value).strip() or None


def amount(value: object) -> object:
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return value
    return value


def erp_line(
    line: int,
    ref: str,
    key: tuple[str | None, str | None, str | None],
    kind: LineKind,
    raw_amount: object,
    description: str,
    labels: tuple[str, str],
) -> ErpLine:
    """`labels` name the ERP's own fields for cost code and cost type, for the sentence."""
    sub_job, cost_code, cost_type = key
    if kind is LineKind.COST:
        for value, label in zip((cost_code, cost_type), labels, strict=True):
            if value is None:
                raise ErpRejected(f"Line {line} of the ERP budget has no {label}.")
    return ErpLine(
        line=line,
        ref=ref,
        key=WbsKey(sub_job=sub_job or "", cost_code=cost_code or "", cost_type=cost_type or ""),
        kind=kind,
        amount=amount(raw_amount),
        description=description,
    )
