"""The rules of a budget's history: restoring an earlier version's amounts, and what changed
between two versions. No I/O: the stores keep the versions, these functions compare them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from chalicelib.domain.model import ChangeKind, LineChange, LineItem, Summary
from chalicelib.domain.money import ZERO
from chalicelib.domain.reimport import Plan


def restore_message(version: int) -> str:
    return f"Successfully Restored version {version}"


def plan_restore(current: Iterable[LineItem], target: Iterable[LineItem]) -> Plan:
    """Every current line's amount goes back to its amount in `target`; lines since added go to 0.

    Only `original_budget_amount` moves: units, quantities and descriptions stay as they are now,
    as in a re-import. Lines are never deleted, so every key of `target` is still current; should
    one be missing anyway it comes back whole rather than be lost.
    """
    amounts = {line.key: line for line in target}
    summary = Summary()
    changes: list[LineChange] = []
    lines: list[LineItem] = []
    seen = set()
    for item in current:
        seen.add(item.key)
        before = amounts.get(item.key)
        new_amount = ZERO if before is None else before.original_budget_amount
        if new_amount == item.original_budget_amount:
            summary.lines_unchanged += 1
            lines.append(item)
            continue
        kind = ChangeKind.ZEROED if new_amount == ZERO else ChangeKind.UPDATED
        if kind is ChangeKind.ZEROED:
            summary.lines_zeroed += 1
        else:
            summary.lines_updated += 1
        changes.append(LineChange(item.key, kind, item.original_budget_amount, new_amount))
        lines.append(_with_amount(item, new_amount))
    for key, line in amounts.items():
        if key not in seen:
            summary.lines_added += 1
            changes.append(LineChange(key, ChangeKind.ADDED, None, line.original_budget_amount))
            lines.append(line)
    lines.sort(key=lambda line: line.key)
    changes.sort(key=lambda change: change.key)
    total = sum((line.original_budget_amount for line in lines), ZERO)
    touched = frozenset(change.key for change in changes)
    return Plan(lines=lines, changes=changes, summary=summary, total=total, touched=touched)


def diff_lines(before: Sequence[LineItem], after: Sequence[LineItem]) -> list[LineChange]:
    """The amount changes from `before` to `after`, sorted by key (a version against the last)."""
    old = {line.key: line.original_budget_amount for line in before}
    changes: list[LineChange] = []
    for line in after:
        was = old.get(line.key)
        now = line.original_budget_amount
        if was is None:
            changes.append(LineChange(line.key, ChangeKind.ADDED, None, now))
        elif was != now:
            kind = ChangeKind.ZEROED if now == ZERO else ChangeKind.UPDATED
            changes.append(LineChange(line.key, kind, was, now))
    changes.sort(key=lambda change: change.key)
    return changes


def edit_summary(old: LineItem, new: LineItem, line_count: int) -> Summary:
    """An edit's version summary: one line updated or zeroed when its amount moved."""
    if old.original_budget_amount == new.original_budget_amount:
        return Summary(lines_unchanged=line_count)
    zeroed = new.original_budget_amount == ZERO
    return Summary(
        lines_updated=0 if zeroed else 1,
        lines_zeroed=1 if zeroed else 0,
        lines_unchanged=line_count - 1,
    )


def _with_amount(item: LineItem, amount: Decimal) -> LineItem:
    return LineItem(
        key=item.key,
        description=item.description,
        original_budget_amount=amount,
        uom=item.uom,
        quantity=item.quantity,
        unit_cost=item.unit_cost,
        erp_refs=item.erp_refs,
    )
