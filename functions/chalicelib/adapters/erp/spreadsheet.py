"""The spreadsheet import: a budget export (CSV or XLSX) an admin uploaded, read like an ERP.

For an ERP without an API, the admin uploads the ERP's budget export for a job and maps its
columns once (the mapping is the company's connection settings, as for any ERP: `*_column`).
A re-import reads the job's latest upload through the same worker and rules. A file is refused
whole, with a sentence, when it is larger than 10 MB, is not UTF-8 text (CSV), is not a sound
XLSX zip (or unpacks to far more than it weighs: a zip bomb), lacks a mapped column, or holds a
formula anywhere (formulas are never evaluated: the export must carry values). A bad value in a
cell (an amount that is not a number, an unknown cost code) is a line error like any other.
docs/erps/spreadsheet.md has the rest.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from chalicelib.adapters.erp.common import mapping, xlsx
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.xlsx import Row
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import (
    CatalogEntry,
    ErpCatalog,
    ErpConnection,
    ErpCredentials,
    ErpLine,
    ErpProject,
    ErpProjectPage,
    LineKind,
)

MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an XLSX's parts, unpacked; far beyond any real export
MAX_RATIO = 200  # unpacked size / packed size of one part; real sheets stay well below
MAX_ROWS = 200_000
COLUMNS = {
    "sub_job_column": "",  # "" = the export has no sub jobs
    "cost_code_column": "Cost Code",
    "cost_type_column": "Cost Type",
    "amount_column": "Amount",
    "kind_column": "",  # a column whose value "Revenue" marks a revenue line; "" = none
    "description_column": "",
}
REQUIRED = ("cost_code_column", "cost_type_column", "amount_column")
ROW = "\x00row"  # the row number's key beside the header's names (no header holds a NUL)
# A number as an export writes it: `1,250.00`, `-100`, `.5`, or in exponent form, `-1E3` (a
# spreadsheet's CSV) or `-1e-05` (a typed XLSX number, read as Python's shortest float text, so
# every finite one matches). An exponent only after digits: `-E3` is a formula (a cell reference).
_NUMBER = re.compile(r"^[+-]?(\d[\d,]*)?(\.\d+)?$|^[+-]?(\d[\d,]*(\.\d+)?|\.\d+)[eE][+-]?\d+$")


def columns(settings: dict[str, str]) -> dict[str, str]:
    """The mapping's column for each part of a line; a blank setting is its default (a required
    column's documented header, docs/erps/spreadsheet.md)."""
    return {
        name: (settings.get(name) or "").strip() or default for name, default in COLUMNS.items()
    }


@dataclass(frozen=True, slots=True)
class Export:
    """One uploaded file: its name (for the type and the sentences) and its bytes."""

    name: str
    data: bytes


class ExportStore(Protocol):
    def latest(self, prefix: str, erp_job_id: str) -> Export | None:
        """The job's most recent upload under the company's prefix, None when none."""
        ...

    def jobs(self, prefix: str) -> list[str]:
        """The job ids with at least one upload, sorted."""
        ...


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise ErpRejected(
            f"The budget export is {size / 1024 / 1024:.1f} MB; Budget Bridge takes files of at "
            "most 10 MB: export only this job's budget lines."
        )


@dataclass(frozen=True, slots=True)
class Table:
    """An export as read: its header's column names, and its rows as {header: text}.

    A row holds only the cells it has (XLSX writes no empty cell; a CSV row may end before the
    header's last columns), so which columns the export has is the header's to say, never a
    row's; a cell a row lacks reads as blank.
    """

    header: tuple[str, ...]
    rows: list[dict[str, str]]


def rows_of(export: Export) -> Table:
    """The export's header and rows, refused whole when the file is hostile or unreadable."""
    check_size(len(export.data))
    if export.name.lower().endswith(".xlsx"):
        table = _xlsx(export.data)
    elif export.name.lower().endswith(".csv"):
        table = _csv(export.data)
    else:
        raise ErpRejected("The budget export must be a .csv or .xlsx file.")
    first = next(table, None)
    if first is None:
        raise ErpRejected("The budget export is empty: it needs a header row and budget lines.")
    names = [name.strip() for name in _cells_in_order(first[1])]
    rows: list[dict[str, str]] = []
    for number, cells in table:
        if len(rows) >= MAX_ROWS:
            raise ErpRejected(f"The budget export has more than {MAX_ROWS:,} lines.")
        # Cells beyond the header's columns are nobody's: neither read nor checked.
        named = {names[i]: cell for i, cell in cells.items() if i < len(names)}
        for column, cell in named.items():
            if _is_formula(cell):
                raise ErpRejected(
                    f"Row {number} of the budget export holds a formula in column '{column}'; "
                    "Budget Bridge never evaluates formulas: export the budget as values."
                )
        if any(cell.strip() for cell in cells.values()):
            named[ROW] = str(number)
            rows.append(named)
    return Table(header=tuple(names), rows=rows)


def _cells_in_order(cells: dict[int, str]) -> list[str]:
    """A row's cells as a list, an absent cell as "" (the header may skip a column)."""
    return [cells.get(i, "") for i in range(max(cells, default=-1) + 1)]


def _is_formula(cell: str) -> bool:
    text = cell.strip()
    if not text or text[0] not in "=@+-":
        return False
    return text[0] in "=@" or not _NUMBER.match(text)


def _csv(data: bytes) -> Iterator[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ErpRejected(
            "The budget export is not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'."
        ) from None
    if "\x00" in text:
        raise ErpRejected("The budget export is not a text CSV file: save it as 'CSV UTF-8'.")
    rows = csv.reader(io.StringIO(text, newline=""))
    return ((number, dict(enumerate(cells))) for number, cells in enumerate(rows, start=1))


def _xlsx(data: bytes) -> Iterator[Row]:
    _check_zip(data)
    try:
        # openpyxl reads the workbook's structure; the sheet is streamed with formulas kept as
        # their text, never run (adapters/erp/common/xlsx.py).
        table = xlsx.read_first_sheet(data)
    except Exception:  # a damaged file raises many kinds (zip, XML, openpyxl); all mean the same
        raise ErpRejected(
            "The budget export could not be read as an XLSX workbook: save it again from the "
            "spreadsheet as .xlsx."
        ) from None
    return iter(table)


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise ErpRejected(
            "The budget export is not an XLSX workbook (an .xlsx file is a zip archive): save it "
            "again from the spreadsheet as .xlsx."
        ) from None
    unpacked = sum(part.file_size for part in parts)
    bomb = any(part.file_size > MAX_RATIO * max(part.compress_size, 1) for part in parts)
    if unpacked > MAX_UNPACKED_BYTES or bomb:
        raise ErpRejected(
            "The budget export unpacks to far more than it weighs (a zip bomb): Budget Bridge "
            "refuses it. Save the budget again from the spreadsheet as .xlsx."
        )


class SpreadsheetSource:
    system = "spreadsheet"

    def __init__(self, store: ExportStore, prefix: str, settings: dict[str, str]) -> None:
        self._store = store
        self._prefix = prefix
        self._settings = settings
        self._columns = columns(settings)

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> SpreadsheetSource:
        # The upload form and the column mapping save the prefix; a connection saved before
        # either has none yet, and reading says what to do (building a source calls nothing).
        prefix = connection.setting("exports_prefix")
        return cls(deployment.exports, prefix, dict(connection.settings))

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        export = self._store.latest(self._prefix, erp_job_id) if self._prefix else None
        if export is None:
            raise ErpRejected(
                f"No budget export has been uploaded for job '{erp_job_id}': use Upload Export "
                "on the job's budget first."
            )
        table = rows_of(export)
        self._check_columns(table)
        lines = mapping.collect(table.rows, self._native)
        if on_page is not None:
            on_page(len(lines))
        return lines

    def _check_columns(self, table: Table) -> None:
        present = set(table.header)  # the header's names: a row lacks the cells it leaves blank
        for name, column in self._columns.items():
            # A required column always, an optional one once the mapping names it (an export
            # with no lines under its header has nothing to read, and is not judged).
            if table.rows and (column or name in REQUIRED) and column not in present:
                raise ErpRejected(
                    f"The budget export has no column '{column}' (the mapping's {name}): map "
                    "the export's columns again or upload the export with that column."
                )

    def _native(self, row: dict[str, str], number: int) -> mapping.NativeLine:
        column = self._columns

        def cell(name: str) -> str:  # a cell the row lacks (left blank) reads as ""
            return (row.get(column[name]) or "").strip() if column[name] else ""

        revenue = cell("kind_column").lower() == "revenue"
        amount = cell("amount_column").replace(",", "")
        return mapping.NativeLine(
            ref=f"row {row[ROW]}",
            sub_job=cell("sub_job_column"),
            cost_code=cell("cost_code_column") or None,
            cost_type=cell("cost_type_column") or None,
            kind=LineKind.REVENUE if revenue else LineKind.COST,
            amount=amount if _NUMBER.match(amount) and amount else cell("amount_column"),
            description=cell("description_column"),
        )

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        jobs = self._store.jobs(self._prefix) if self._prefix else []
        projects = (ErpProject(erp_job_id=job, name=job, erp_status="") for job in jobs)
        return ErpProjectPage.window(projects, offset, limit)

    def cost_catalog(self) -> ErpCatalog:
        """The codes and types the jobs' latest exports use (a spreadsheet has no catalog)."""
        codes: set[str] = set()
        types: set[str] = set()
        for job in self._store.jobs(self._prefix) if self._prefix else []:
            for line in self.fetch_budget(job):
                if line.kind is LineKind.COST:
                    codes.add(line.key.cost_code)
                    types.add(line.key.cost_type)
        # A blank cell is a line error (the rules name it), never a code or type to learn.
        return ErpCatalog(
            cost_codes=[CatalogEntry(code=c, description="") for c in sorted(codes) if c],
            cost_types=[CatalogEntry(code=t, description="") for t in sorted(types) if t],
        )
