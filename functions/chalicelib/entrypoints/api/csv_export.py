"""CSV downloads: RFC 4180 text with a header row, guarded against spreadsheet formulas.

ERP text (descriptions, keys) reaches these files, and a spreadsheet runs a cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return as a formula. Such a cell is written with a leading
`'`, which spreadsheets show as text. Amounts and quantities are our own plain decimals
(`-1250.00`): a number cannot run as a formula, so in those columns alone a cell that is exactly a
plain decimal is written as it is. A text column is always guarded, even when its text looks like
a number (`-42` as a description), so no ERP or person's text goes out unguarded.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from chalice import Response

from chalicelib.entrypoints.api.schemas import ChangeOut, LineItemOut

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")

BUDGET_COLUMNS = tuple(LineItemOut.model_fields)
CHANGE_COLUMNS = tuple(ChangeOut.model_fields)
# The columns whose every value Budget Bridge itself formats as a plain decimal.
NUMBER_COLUMNS = frozenset(
    {"original_budget_amount", "quantity", "unit_cost", "old_amount", "new_amount"}
)


def guard(cell: str, *, number: bool = False) -> str:
    if cell.startswith(_FORMULA_START) and not (number and _PLAIN_DECIMAL.fullmatch(cell)):
        return "'" + cell
    return cell


def to_csv(columns: Sequence[str], rows: Iterable[dict[str, object]]) -> str:
    """RFC 4180: comma-separated, CRLF line ends, quotes where needed; null is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    numbers = [c in NUMBER_COLUMNS for c in columns]
    for row in rows:
        writer.writerow([
            guard("" if row[c] is None else str(row[c]), number=number)
            for c, number in zip(columns, numbers, strict=True)
        ])  # fmt: skip
    return out.getvalue()


def download(text: str, filename: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:120] or "download.csv"
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(safe)}",
            "Cache-Control": "no-store",
        },
    )


def budget_csv(lines: Iterable[LineItemOut]) -> str:
    return to_csv(BUDGET_COLUMNS, (line.model_dump(mode="json") for line in lines))


def changes_csv(changes: Iterable[ChangeOut]) -> str:
    return to_csv(CHANGE_COLUMNS, (change.model_dump(mode="json") for change in changes))
