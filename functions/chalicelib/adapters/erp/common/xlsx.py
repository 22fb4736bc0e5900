"""The first worksheet of an XLSX workbook as rows of cell text, streamed, formulas as their text.

openpyxl (read-only, `data_only=False`) reads the workbook's structure: its manifest, which part
is the first worksheet, which part holds the shared strings and which number styles are dates.
The worksheet and the shared strings themselves are streamed here with expat, one handler call
per XML event: openpyxl's own read-only cell reader builds an element tree and a dictionary per
cell and, for a sheet without a `<dimension>`, parses the whole sheet once more just to size it,
which made a 10,000-row export take seconds (docs/performance.md, "8. The spreadsheet import").

What a cell reads as is what openpyxl's `iter_rows(values_only=True)` gives, as text: a formula
as `=` and its text (never evaluated), a shared or inline string as its text, a number as the
shortest text of openpyxl's int or float, a date-styled number as openpyxl's date, a boolean as
`True`/`False`. Like defusedxml, the parser refuses any document type declaration, so no entity
is ever declared or expanded.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any
from xml.parsers import expat

Row = tuple[int, dict[int, str]]  # the row's number in the sheet, {column (0-based): text}


class UnsafeXml(ValueError):
    """The part declares a document type (the road to entity expansion); it is never read."""


def read_first_sheet(data: bytes) -> list[Row]:
    """The rows holding at least one cell, in sheet order. Raises on a damaged workbook."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import SHARED_STRINGS

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=False)
    reader.read_manifest()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)  # which number styles are dates and durations
    sheet_part = next(
        rel.target
        for _, rel in reader.parser.find_sheets()
        if "chartsheet" not in rel.Type and rel.target in reader.valid_files
    )
    strings_part = reader.package.find(SHARED_STRINGS)
    shared = _shared_strings(reader.archive, strings_part.PartName[1:]) if strings_part else []
    sheet = _Sheet(shared, reader.wb)
    with reader.archive.open(sheet_part) as source:
        _parse(source, sheet.start, sheet.end, sheet.text)
    reader.archive.close()
    return sheet.rows


def _parse(
    source: Any,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    text: Callable[[str], None],
) -> None:
    parser = expat.ParserCreate()
    parser.buffer_text = True  # one text call per run of characters, not per buffer boundary
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ParseFile(source)


def _refuse_doctype(*_: Any) -> None:
    raise UnsafeXml("a worksheet part declares a document type")


def _local(name: str) -> str:
    return name.rpartition(":")[2]  # "x:c" and "c" alike: producers choose their own prefix


def _shared_strings(archive: zipfile.ZipFile, part: str) -> list[str]:
    table = _Strings()
    with archive.open(part) as source:
        _parse(source, table.start, table.end, table.text)
    return table.strings


class _Strings:
    """`<si>` entries: the text of its `<t>` and rich-text runs, without phonetic runs (`<rPh>`)."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._parts: list[str] = []
        self._capture = False
        self._phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "t":
            self._capture = not self._phonetic
        elif tag == "si":
            self._parts = []
        elif tag == "rPh":
            self._phonetic += 1

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag == "t":
            self._capture = False
        elif tag == "si":
            self.strings.append("".join(self._parts).replace("x005F_", ""))  # as openpyxl does
        elif tag == "rPh":
            self._phonetic -= 1

    def text(self, data: str) -> None:
        if self._capture:
            self._parts.append(data)


class _Sheet:
    """`<row>`s of `<c>` cells; a cell's text comes from `<v>`, `<is>` or its formula `<f>`."""

    def __init__(self, shared: list[str], book: Any) -> None:
        self.rows: list[Row] = []
        self._shared = shared
        self._dates: set[int] = set(book._date_formats)
        self._durations: set[int] = set(book._timedelta_formats)
        self._epoch = book.epoch
        self._cells: dict[int, str] = {}
        self._row = 0
        self._column = -1
        self._type = "n"
        self._style = 0
        self._value: list[str] = []
        self._formula: list[str] | None = None
        self._capture: list[str] | None = None
        self._phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "c":
            ref = attrs.get("r")
            self._column = _column_of(ref) if ref else self._column + 1
            self._type = attrs.get("t", "n")
            self._style = int(attrs.get("s") or 0)
            self._value, self._formula = [], None
        elif tag == "v" or (tag == "t" and not self._phonetic):
            self._capture = self._value
        elif tag == "f":
            self._formula = []
            self._capture = self._formula
        elif tag == "row":
            number = attrs.get("r")
            self._row = int(float(number)) if number else self._row + 1
            self._cells, self._column = {}, -1
        elif tag == "rPh":
            self._phonetic += 1

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag == "c":
            value = self._cell_text()
            if value:
                self._cells[self._column] = value
        elif tag in ("v", "t", "f"):
            self._capture = None
        elif tag == "row":
            if self._cells:
                self.rows.append((self._row, self._cells))
        elif tag == "rPh":
            self._phonetic -= 1

    def text(self, data: str) -> None:
        if self._capture is not None:
            self._capture.append(data)

    def _cell_text(self) -> str:
        if self._formula is not None:  # kept as its text, as openpyxl does with data_only=False
            return "=" + "".join(self._formula)
        value = "".join(self._value)
        kind = self._type
        if kind == "inlineStr" or kind == "str" or kind == "e" or not value:
            return value
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return str(from_ISO8601(value))
        if kind == "s":
            return self._shared[int(value)]
        if kind == "b":
            return str(bool(int(value)))
        return self._number_text(value)

    def _number_text(self, value: str) -> str:
        number: int | float = (
            float(value) if "." in value or "E" in value or "e" in value else int(value)
        )
        if self._style in self._dates:
            from openpyxl.utils.datetime import from_excel

            try:
                return str(
                    from_excel(number, self._epoch, timedelta=self._style in self._durations)
                )
            except (OverflowError, ValueError):
                return "#VALUE!"  # openpyxl's reading of a date beyond the calendar
        return repr(number) if isinstance(number, float) else str(number)


def _column_of(ref: str) -> int:
    """0-based column of a cell reference such as `AB12`."""
    column = 0
    for char in ref:
        if "A" <= char <= "Z":
            column = column * 26 + ord(char) - 64
        else:
            break
    return column - 1
