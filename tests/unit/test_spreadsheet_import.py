"""The spreadsheet import: an uploaded budget export (CSV or XLSX) re-imported like an ERP budget.

Through the real re-import use case on in-memory ports: a good export re-imports (10,000 rows
too), a bad cell is a line error, and hostile files (an XLSX zip bomb, a CSV with formulas, a file
in the wrong encoding, 11 MB) are refused with a sentence and change nothing. The header alone
says which columns an export has (a row's blank cells are blank values), and a number in exponent
form (`-1E3`, an XLSX float read as `-1e-05`) is a number, never a formula.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from chalicelib.adapters.erp.spreadsheet import Export, SpreadsheetSource
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import JobKind, JobStatus
from chalicelib.domain.ports import JobMessage
from chalicelib.services.reimports import request_job, run_job
from tests.fixtures.services import COMPANY, K1, K2, K3, SYNCED, World, me, synced_lines, world

HEADER = "Job,Phase,Cost Category,Cost Element,Budget,Memo\n"
MAPPING = {"sub_job_column": "Phase", "cost_code_column": "Cost Category",
           "cost_type_column": "Cost Element", "amount_column": "Budget",
           "description_column": "Memo"}  # fmt: skip


class Uploads:
    """The export store's in-memory twin: the latest upload per (prefix, job)."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], Export] = {}

    def latest(self, prefix: str, erp_job_id: str) -> Export | None:
        return self.files.get((prefix, erp_job_id))

    def jobs(self, prefix: str) -> list[str]:
        return sorted(job for (p, job) in self.files if p == prefix)


def spreadsheet_world() -> tuple[World, Uploads]:
    w = world()
    uploads = Uploads()
    w.ports = dataclasses.replace(
        w.ports,
        erp_sources=lambda connection, credentials: SpreadsheetSource(uploads, COMPANY, MAPPING),
    )
    return w, uploads


def reimport(w: World):  # type: ignore[no-untyped-def]
    job = request_job(w.ports, me("admin@acme.test"), COMPANY, SYNCED, JobKind.REIMPORT)
    run_job(w.ports, JobMessage(job_id=job.job_id, company_id=COMPANY, budget_id=SYNCED),
            final_attempt=True)  # fmt: skip
    return w.ports.jobs.get(COMPANY, job.job_id)


def csv_export(*rows: str, name: str = "budget.csv") -> Export:
    return Export(name, (HEADER + "".join(row + "\n" for row in rows)).encode())


def test_a_csv_export_reimports_summing_a_split_key():
    w, uploads = spreadsheet_world()
    uploads.files[(COMPANY, SYNCED)] = csv_export(
        "P-1,T1,01-100,L,\"1,200.50\",Labor", "P-1,T1,02-200,M,300.00,Rebar",
        "P-1,T1,02-200,M,200.00,Rebar more", "P-1,T2,03-300,S,250.00,Scaffold",
    )  # fmt: skip

    assert reimport(w).status is JobStatus.SUCCEEDED
    assert w.amounts()[K1] == Decimal("1200.50")
    assert w.amounts()[K2] == Decimal("500.00")
    assert next(line for line in w.lines() if line.key == K1).uom == "HR"  # units kept


def test_an_xlsx_export_is_read_as_values_and_reimports():
    w, uploads = spreadsheet_world()
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["P-1", "T1", "01-100", "L", 1111.25, "Labor"])
    sheet.append(["P-1", "T1", "02-200", "M", 500, "Rebar"])
    sheet.append(["P-1", "T2", "03-300", "S", "250.00", "Scaffold"])
    data = io.BytesIO()
    book.save(data)
    uploads.files[(COMPANY, SYNCED)] = Export("budget.xlsx", data.getvalue())

    assert reimport(w).status is JobStatus.SUCCEEDED
    assert w.amounts() == {K1: Decimal("1111.25"), K2: Decimal("500"), K3: Decimal("250.00")}


def test_an_xlsx_formula_is_never_evaluated_and_refuses_the_file():
    w, uploads = spreadsheet_world()
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["P-1", "T1", "01-100", "L", "=1000*2", "Labor"])
    data = io.BytesIO()
    book.save(data)
    uploads.files[(COMPANY, SYNCED)] = Export("budget.xlsx", data.getvalue())

    job = reimport(w)

    assert job.status is JobStatus.FAILED
    assert "Row 2" in job.message and "'Budget'" in job.message and "formula" in job.message
    assert w.lines() == synced_lines()


def test_a_bad_cell_is_a_line_error_naming_the_line():
    w, uploads = spreadsheet_world()
    uploads.files[(COMPANY, SYNCED)] = csv_export(
        "P-1,T1,01-100,L,1000.00,Labor", "P-1,T1,02-200,M,lots,Rebar",
    )  # fmt: skip

    job = reimport(w)

    assert job.status is JobStatus.FAILED
    assert [e.line for e in job.errors] == [2]
    assert w.lines() == synced_lines()


def test_blank_codes_are_listed_line_by_line_and_never_learned_as_codes():
    w, uploads = spreadsheet_world()
    uploads.files[(COMPANY, SYNCED)] = csv_export(
        "P-1,T1,,L,1000.00,Labor", "P-1,T1,02-200,,5.00,Rebar", "P-1,T1,01-100,L,7.00,Ok",
    )  # fmt: skip

    job = reimport(w)

    assert job.status is JobStatus.FAILED
    assert [e.line for e in job.errors] == [1, 2]  # every blank, not only the first
    assert w.lines() == synced_lines()
    catalog = SpreadsheetSource(uploads, COMPANY, MAPPING).cost_catalog()
    assert [c.code for c in catalog.cost_codes] == ["01-100", "02-200"]
    assert [t.code for t in catalog.cost_types] == ["L"]


def test_a_10000_row_export_reimports():
    w, uploads = spreadsheet_world()
    keys = [(f"S{i // 9}", code, kind) for i, (code, kind) in enumerate(
        [(c, t) for c in ("01-100", "02-200", "03-300") for t in ("L", "M", "S")] * 1112
    )][:10_000]  # fmt: skip
    rows = [f"P-1,{s},{c},{t},{(n % 900) + 1}.25,Line {n}" for n, (s, c, t) in enumerate(keys)]
    uploads.files[(COMPANY, SYNCED)] = csv_export(*rows)

    job = reimport(w)

    assert job.status is JobStatus.SUCCEEDED, job.errors
    assert len(w.lines()) == 10_000 + 3  # the project's three old keys stay, at 0
    assert w.amounts()[K1] == 0


def _zip_bomb() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return data.getvalue()


@pytest.mark.parametrize(
    ("export", "sentence"),
    [
        pytest.param(lambda: Export("budget.xlsx", _zip_bomb()), "zip bomb", id="zip-bomb"),
        pytest.param(
            lambda: csv_export('P-1,T1,01-100,L,1000.00,"=HYPERLINK(""http://x"",""y"")"'),
            "formula",
            id="csv-formula",
        ),  # fmt: skip
        pytest.param(
            lambda: csv_export("P-1,T1,01-100,L,@SUM(1),Labor"), "formula", id="at-formula"
        ),
        pytest.param(
            lambda: Export(
                "budget.csv", (HEADER + "P-1,T1,01-100,L,1.00,Café\n").encode("latin-1")
            ),
            "UTF-8",
            id="latin-1",
        ),  # fmt: skip
        pytest.param(
            lambda: Export("budget.csv", HEADER.encode() + b"x" * (11 * 1024 * 1024)),
            "10 MB",
            id="11-mb",
        ),  # fmt: skip
        pytest.param(lambda: Export("budget.xlsx", b"PK not really a zip"), "XLSX", id="not-xlsx"),
        pytest.param(lambda: Export("budget.pdf", b"%PDF"), ".csv or .xlsx", id="pdf"),
    ],
)
def test_a_hostile_export_is_refused_with_a_sentence_and_changes_nothing(export, sentence):
    w, uploads = spreadsheet_world()
    uploads.files[(COMPANY, SYNCED)] = export()

    job = reimport(w)

    assert job.status is JobStatus.FAILED
    assert sentence in job.message and job.message.endswith((".", ".xlsx."))
    assert w.lines() == synced_lines()


def test_an_export_missing_a_mapped_column_fails_naming_it():
    w, uploads = spreadsheet_world()
    uploads.files[(COMPANY, SYNCED)] = Export("b.csv", b"Phase,Cost Category,Budget\nT1,01-100,1\n")

    job = reimport(w)

    assert job.status is JobStatus.FAILED
    assert "'Cost Element'" in job.message and "cost_type_column" in job.message


def test_a_negative_amount_is_a_number_not_a_formula():
    w, uploads = spreadsheet_world()
    uploads.files[(COMPANY, SYNCED)] = csv_export(
        "P-1,T1,01-100,L,1000.00,Labor", "P-1,T1,01-100,L,-100.00,Credit",
        "P-1,T1,02-200,M,500.00,Rebar", "P-1,T2,03-300,S,250.00,Scaffold",
    )  # fmt: skip

    assert reimport(w).status is JobStatus.SUCCEEDED
    assert w.amounts()[K1] == Decimal("900.00")


def test_a_required_column_saved_blank_is_its_default_column():
    # docs/erps/spreadsheet.md: a required column's default is its documented header, also when
    # a connection was saved with the setting blank.
    uploads = Uploads()
    uploads.files[(COMPANY, "J-1")] = Export("b.csv", b"Cost Code,Cost Type,Amount\n01-100,L,5\n")
    blank = {"cost_code_column": "", "cost_type_column": " ", "amount_column": ""}

    (line,) = SpreadsheetSource(uploads, COMPANY, blank).fetch_budget("J-1")

    assert (line.key.cost_code, line.key.cost_type, line.amount) == ("01-100", "L", Decimal(5))


LEAN_HEADER = ["Phase", "Cost Code", "Cost Type", "Amount", "Description"]
LEAN = {"sub_job_column": "Phase", "description_column": "Description"}


def xlsx_export(*rows: list[object]) -> Export:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return Export("budget.xlsx", data.getvalue())


def lean_budget(export: Export) -> list[tuple[str, str, str, Decimal, str]]:
    uploads = Uploads()
    uploads.files[(COMPANY, "J-1")] = export
    lines = SpreadsheetSource(uploads, COMPANY, LEAN).fetch_budget("J-1")
    return [(*dataclasses.astuple(line.key), line.amount, line.description) for line in lines]


@pytest.mark.parametrize(
    ("export", "expected"),
    [
        pytest.param(
            lambda: Export(
                "b.csv", (",".join(LEAN_HEADER) + "\n01,100,L,5\n02,200,M,7,Rebar\n").encode()
            ),
            [("01", "100", "L", Decimal(5), ""), ("02", "200", "M", Decimal(7), "Rebar")],
            id="csv-first-row-ending-early",
        ),  # fmt: skip
        pytest.param(
            # XLSX writes no empty cell: no row of this sheet holds a Phase or a Description.
            lambda: xlsx_export(LEAN_HEADER, [None, "100", "L", 5, None], [None, "200", "M", 7]),
            [("", "100", "L", Decimal(5), ""), ("", "200", "M", Decimal(7), "")],
            id="xlsx-blank-cells",
        ),
    ],
)
def test_blank_cells_are_blank_values_never_a_missing_column(export, expected):
    # docs/erps/spreadsheet.md: which columns an export has is the header's to say.
    assert lean_budget(export()) == expected


@pytest.mark.parametrize(
    "export",
    [
        pytest.param(
            lambda: Export("b.csv", b"Phase,Cost Code,Cost Type,Amount\n01,100,L,5,Labor\n"),
            id="csv",
        ),
        pytest.param(
            lambda: xlsx_export(LEAN_HEADER[:4], ["01", "100", "L", 5, "Labor"]), id="xlsx"
        ),
    ],
)
def test_a_header_without_a_mapped_column_is_refused_whatever_its_rows_hold(export):
    # The row's fifth cell is beyond the header's columns: nobody's, so no Description.
    with pytest.raises(ErpRejected) as refused:
        lean_budget(export())

    assert str(refused.value) == (
        "The budget export has no column 'Description' (the mapping's description_column): map "
        "the export's columns again or upload the export with that column."
    )


def test_an_empty_export_is_refused_and_a_header_alone_has_no_lines():
    with pytest.raises(ErpRejected, match="The budget export is empty"):
        lean_budget(Export("b.csv", b""))
    assert lean_budget(Export("b.csv", (",".join(LEAN_HEADER) + "\n").encode())) == []
    assert lean_budget(Export("b.csv", b"Cost Code,Cost Type,Amount\n")) == []  # as before
    assert lean_budget(xlsx_export(LEAN_HEADER)) == []


def test_an_amount_in_exponent_form_is_a_number_not_a_formula():
    w, uploads = spreadsheet_world()
    uploads.files[(COMPANY, SYNCED)] = csv_export(
        "P-1,T1,01-100,L,1000.00,Labor", "P-1,T1,01-100,L,-1E2,Credit",
        "P-1,T1,02-200,M,5e2,Rebar", "P-1,T2,03-300,S,+2.5E+2,Scaffold",
    )  # fmt: skip

    assert reimport(w).status is JobStatus.SUCCEEDED
    assert w.amounts() == {K1: Decimal("900.00"), K2: Decimal("500.00"), K3: Decimal("250.00")}


def test_a_tiny_negative_xlsx_number_is_a_bad_amount_not_a_formula():
    # A typed number is never a formula; openpyxl reads -0.00001 as the float whose text is
    # -1e-05, which has more than two decimal places: a line error, the file is not refused.
    w, uploads = spreadsheet_world()
    uploads.files[(COMPANY, SYNCED)] = xlsx_export(
        HEADER.strip().split(","),
        ["P-1", "T1", "01-100", "L", 1000, "Labor"],
        ["P-1", "T1", "02-200", "M", -0.00001, "Rebar"],
    )

    job = reimport(w)

    assert job.status is JobStatus.FAILED
    assert "formula" not in job.message
    assert [(e.line, e.field) for e in job.errors] == [(2, "amount")]
    assert "more than 2 decimal places" in job.errors[0].message
    assert w.lines() == synced_lines()


@pytest.mark.parametrize("cell", ["-E3", "+1e", "-1E3+A1", "-1E", "-e5", "+.E2"])
def test_an_exponent_without_a_number_before_it_is_still_a_formula(cell):
    w, uploads = spreadsheet_world()
    uploads.files[(COMPANY, SYNCED)] = csv_export(f"P-1,T1,01-100,L,{cell},Labor")

    job = reimport(w)

    assert job.status is JobStatus.FAILED
    assert "Row 2" in job.message and "formula in column 'Budget'" in job.message
