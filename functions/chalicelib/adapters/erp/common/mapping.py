"""Turning one native ERP line into the domain's `ErpLine`, the same way for every connector.

Nothing here refuses a line: judging lines is the re-import rules' job, and they list every
offending line at once (docs/domain-rules.md, re-import rule 3), where refusing here would name
only the first. A key part the ERP left blank (or did not send) is passed on as "", which the
rules name as "the line has no cost code" (or cost type) with the line's number; a revenue line
is passed on as revenue (the rules leave it out) whatever its key. Amounts are passed through raw, except that a
decimal string (as Sage Intacct sends) becomes a Decimal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from chalicelib.domain.errors import ErpRejected, ErpUnavailable
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


@dataclass(frozen=True, slots=True)
class NativeLine:
    """One budget line as a connector read it, in Budget Bridge's names but not yet checked."""

    ref: str
    sub_job: str | None
    cost_code: str | None
    cost_type: str | None
    kind: LineKind
    amount: object
    description: str = ""


def erp_line(number: int, native: NativeLine) -> ErpLine:
    return ErpLine(
        line=number,
        ref=native.ref,
        key=WbsKey(
            sub_job=native.sub_job or "",
            cost_code=native.cost_code or "",
            cost_type=native.cost_type or "",
        ),
        kind=native.kind,
        amount=amount(native.amount),
        description=native.description,
    )


Read = TypeVar("Read")  # what a connector reads per line: the ERP's record, or more with it


def collect(
    rows: Iterable[Read],
    native_of: Callable[[Read, int], NativeLine | None],
) -> list[ErpLine]:
    """Every row as an `ErpLine`, numbered as read; `native_of` answers None for a row to skip."""
    lines: list[ErpLine] = []
    seen: set[str] = set()
    for row in rows:
        native = native_of(row, len(lines) + 1)
        if native is None:
            continue
        if native.ref in seen:
            # Rows moved between pages: someone changed the budget while we read it.
            raise ErpUnavailable(
                "The ERP budget changed while it was being read; the job will try again."
            )
        seen.add(native.ref)
        lines.append(erp_line(len(lines) + 1, native))
    return lines
