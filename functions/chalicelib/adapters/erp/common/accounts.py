"""Mapping for the accounting ERPs (QuickBooks Online, Xero, NetSuite): accounts to WBS keys.

Their budgets are profit-and-loss budgets by account and period, so the mapping is a setting of
the connection (docs/erps/qbo.md, xero.md, netsuite.md), with these defaults:

- cost code ← the account's number; a sub-account numbered `5100.1` rolls up to `5100`;
  `account_cost_codes` ("5105=5100, 5110=5100") maps an account number to another cost code;
- cost type ← a table of the connection (`class_cost_types` or `account_cost_types`), else the
  class's own name where the ERP has classes, else `default_cost_type`;
- a table's entry covers the account's sub-accounts, the nearest listed parent winning (with
  `400=O, 400.L=L`, account `400.L.1` is `L` and `400.1` is `O`);
- the period amounts of one account (and class) are summed exactly, to the cent; a period amount
  that is not a number is passed on as sent, for the re-import rules to refuse with the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, DecimalException

from chalicelib.domain.errors import ErpRejected


def table(setting: str, name: str) -> dict[str, str]:
    """A mapping table setting: pairs `from=to`, separated by commas, semicolons or new lines."""
    pairs: dict[str, str] = {}
    for part in setting.replace(";", ",").replace("\n", ",").split(","):
        if not part.strip():
            continue
        left, sep, right = part.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ErpRejected(
                f"The connection's setting {name} has '{part.strip()[:40]}', which is not of the "
                "form number=value: fix it on the connection page."
            )
        pairs[left.strip()] = right.strip()
    return pairs


def lineage(number: str) -> list[str]:
    """The account and its parents, nearest first: `400.L.1` → `400.L.1`, `400.L`, `400`."""
    parts = number.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def cost_code(number: str, codes: dict[str, str]) -> str:
    """The table's cost code for the account or its nearest parent in the table, else the number
    with any `.n` sub-account parts dropped."""
    listed = next((codes[n] for n in lineage(number) if codes.get(n)), None)
    return listed or number.split(".", 1)[0]


def cost_type(number: str, types: dict[str, str], fallback: str) -> str:
    """The table's type for the account or its nearest parent in the table, else `fallback`."""
    return next((types[n] for n in lineage(number) if types.get(n)), None) or fallback


def class_cost_types(classes: Iterable[tuple[str, str]], table: dict[str, str]) -> dict[str, str]:
    """{cost type: its label} from the ERP's classes, each `(name, label)`: a class is the cost type
    its lines get, the connection table's type for it, else its own name; every type the table
    names is listed too (docs/erps/qbo.md and netsuite.md, "Mapping")."""
    types: dict[str, str] = {}
    for name, label in classes:
        if name:
            types.setdefault(table.get(name, name), label or name)
    for name, mapped in table.items():
        types.setdefault(mapped, name)
    return types


def period_sum(amounts: Iterable[object]) -> object:
    """The periods' amounts summed exactly (a Decimal), or, when a period's amount is not a
    number, that amount as the ERP sent it: the line then carries it to the re-import rules, which
    refuse it ("'abc' is not a number") with every other offending line of the budget
    (docs/domain-rules.md, re-import rule 3) rather than the first alone. An empty period counts for nothing."""
    total = Decimal(0)
    for value in amounts:
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            return value
        try:
            total += value if isinstance(value, Decimal) else Decimal(str(value))
        except (DecimalException, ValueError):  # not a number, or past Decimal's range (1E+1000000)
            return value
    return total
