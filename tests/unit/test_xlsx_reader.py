"""The streamed XLSX worksheet reader reads what openpyxl's own read-only reader reads.

Every kind of cell an ERP's export holds (shared and inline strings, rich text, integers, floats,
dates, booleans, errors, formulas, blanks, gaps between rows and columns) is compared with
openpyxl's `iter_rows(values_only=True)` on the same workbook; a worksheet declaring a document
type (the road to entity expansion) is refused before anything is read.
"""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from chalicelib.adapters.erp.common.xlsx import UnsafeXml, read_first_sheet
from chalicelib.adapters.erp.spreadsheet import Export, rows_of
from chalicelib.domain.errors import ErpRejected


def _text(value: object) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def openpyxl_rows(data: bytes) -> list[tuple[int, dict[int, str]]]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    rows = []
    for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        cells = {i: _text(v) for i, v in enumerate(values) if _text(v)}
        if cells:
            rows.append((number, cells))
    book.close()
    return rows


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def varied_book() -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.append(["Cost Code", "Cost Type", "Amount", "When", "Done", "Note"])
    sheet.append(["01-100", "L", 1250.5, datetime.datetime(2026, 3, 1), True, "plain"])
    sheet.append(["01-200", "M", 42, datetime.date(2026, 1, 2), False, None])
    sheet.append(["01-300", "S", 1e-7, None, None, "=SUM(C2:C3)"])
    sheet["F5"] = CellRichText(["rich ", TextBlock(InlineFont(b=True), "text")])
    sheet["C5"] = -17.25
    sheet["A9"] = "after a gap"  # rows 6 to 8 are absent
    sheet["H9"] = "past the header"
    sheet["B10"] = "#N/A"
    book.create_sheet("Second")["A1"] = "never read"
    return book


def test_every_kind_of_cell_reads_as_openpyxl_reads_it() -> None:
    data = saved(varied_book())

    assert read_first_sheet(data) == openpyxl_rows(data)


def test_shared_strings_as_excel_writes_them_read_as_openpyxl_reads_them() -> None:
    # openpyxl writes inline strings; Excel writes a shared-string table, rich runs and phonetic
    # runs included. Rewrite the sheet that way and compare again.
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:C3"/><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>1.5E3</v></c>'
        '<c r="C3" t="str"><f>A3&amp;"x"</f><v>textx</v></c></row>'
        "</sheetData></worksheet>"
    )
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3">'
        "<si><t>Cost Code</t></si><si><r><t>Am</t></r><r><rPr><b/></rPr><t>ount</t></r></si>"
        '<si><t xml:space="preserve"> 05-100 </t><rPh sb="0" eb="1"><t>phonetic</t></rPh></si>'
        "</sst>"
    )
    data = _with_parts(saved(Workbook()), sheet, strings)

    rows = read_first_sheet(data)

    assert rows == openpyxl_rows(data)
    assert rows == [(1, {0: "Cost Code", 1: "Amount"}), (3, {0: " 05-100 ", 1: "1500.0",
                                                            2: '=A3&"x"'})]  # fmt: skip


def _with_parts(data: bytes, sheet: str, strings: str) -> bytes:
    """The workbook with its first sheet replaced and a shared-string table added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = sheet.encode()
            elif item.filename == "[Content_Types].xml":
                body = body.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            target.writestr(item.filename, body)
        target.writestr("xl/sharedStrings.xml", strings)
    return out.getvalue()


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ],
    ids=["billion-laughs", "external-entity"],
)
def test_a_sheet_declaring_entities_is_refused_with_a_sentence(doctype: str) -> None:
    sheet = (
        f'<?xml version="1.0"?>{doctype}<worksheet xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t>'
        "</is></c></row></sheetData></worksheet>"
    )
    data = _with_parts(saved(Workbook()), sheet, "<sst/>")

    with pytest.raises(UnsafeXml):
        read_first_sheet(data)
    with pytest.raises(ErpRejected, match="could not be read as an XLSX workbook"):
        rows_of(Export("budget.xlsx", data))


def test_a_formula_anywhere_under_the_header_refuses_the_export() -> None:
    with pytest.raises(ErpRejected, match="Row 4 .* formula in column 'Note'"):
        rows_of(Export("budget.xlsx", saved(varied_book())))
