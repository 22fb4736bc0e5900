"""CSV downloads: RFC 4180 text with a header row, guarded against spreadsheet formulas.

ERP text (descriptions, keys) reaches these files, and a spreadsheet runs a cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return as a formula. Such a cell is written with a leading
`'`, which spreadsheets show as text. Amounts and quantities are our own plain decimals
(`-1250.00`): a number cannot run as a formula, so in those columns alone a cell that is exactly a
plain decimal is written as it is. A text column is always guarded, even when its text looks like
a number (`-42` as a description), so no ERP or person's text goes out unguarded.

A Lambda answer carries at most 6 MB, and a budget of 60,000 to 75,000 lines is more than that as
CSV. A caller that sends `Accept: application/gzip` gets the same file gzip-compressed (under a
third of the size as sent; the web app always asks for it); a plain answer that would not fit is
refused with 406 and a sentence saying so, the same locally as in AWS (docs/history.md, "CSV").
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from urllib.parse import quote

from chalice import Response

from chalicelib.entrypoints.api.errors import RequestRejected
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


GZIP = "application/gzip"
# API Gateway hands Lambda's answer on only while the whole answer, headers and JSON framing
# included, is at most 6 MB (6,291,456 bytes); the body's share leaves room for the rest. The body
# is counted as it travels: plain text as a JSON string (each line end, quote and non-ASCII
# character escaped, docs/api.md "Pages"), a compressed body base64-encoded, a third larger.
MAX_BODY_BYTES = 6_000_000
GZIP_NOTE = (
    "With `Accept: application/gzip` the same file comes gzip-compressed (`application/gzip`, the "
    "name ending `.csv.gz`); a plain file over 6 MB is refused with 406 `download_too_large`."
)


def wants_gzip(accept: str) -> bool:
    """Whether the caller's Accept header names application/gzip first (not through `*/*`, which
    every HTTP client sends and which must keep answering plain CSV), without `q=0`. First: API
    Gateway decodes a base64 answer into bytes only when the request's first Accept type is a
    binary one, so a caller naming gzip later would get base64 text in AWS and bytes locally."""
    first, *params = accept.split(",")[0].split(";")
    if first.strip().lower() != GZIP:
        return False
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value) > 0
            except ValueError:
                return False
    return True


MAX_NAME = 120


def safe_name(filename: str) -> str:
    """Letters, digits, dots and dashes, at most MAX_NAME characters, the `.csv` ending kept when a
    long project name is cut (a file without it opens in no spreadsheet)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", filename.removesuffix(".csv"))
    return (stem[: MAX_NAME - len(".csv")] or "download") + ".csv"


def download(text: str, filename: str, accept: str = "") -> Response:
    safe = safe_name(filename)
    if wants_gzip(accept):
        # mtime=0: the same budget gives the same bytes, whenever it is downloaded.
        body = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
        sent = (len(body) + 2) // 3 * 4
        if sent > MAX_BODY_BYTES:
            raise _too_large(sent, compressed=True)
        return _file(body, GZIP, safe + ".gz")
    sent = len(encode_basestring_ascii(text))
    if sent > MAX_BODY_BYTES:
        raise _too_large(sent, compressed=False)
    return _file(text, "text/csv; charset=utf-8", safe)


def _file(body: str | bytes, content_type: str, filename: str) -> Response:
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": (
                f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
            ),
            "Cache-Control": "no-store",
        },
    )


def _too_large(sent: int, *, compressed: bool) -> RequestRejected:
    megabytes = f"{sent / 1_000_000:.1f} MB"
    message = (
        f"This CSV file is {megabytes} even compressed, more than the 6 MB one answer may carry. "
        "Read its rows from the API in pages instead (`limit` and `cursor`)."
        if compressed
        else f"This CSV file is {megabytes} as sent, more than the 6 MB one answer may carry. Ask "
        "for it compressed with the header `Accept: application/gzip`, as the web app does."
    )
    return RequestRejected(406, "download_too_large", message)


def budget_csv(lines: Iterable[LineItemOut]) -> str:
    return to_csv(BUDGET_COLUMNS, (line.model_dump(mode="json") for line in lines))


def changes_csv(changes: Iterable[ChangeOut]) -> str:
    return to_csv(CHANGE_COLUMNS, (change.model_dump(mode="json") for change in changes))
