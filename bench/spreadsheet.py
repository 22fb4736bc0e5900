"""Measurement 6: the spreadsheet import reading a 10,000-row budget export (CSV and XLSX).

The same N-line budget the connector measurement pages out of the sandbox, written as the ERP's
export and read through `SpreadsheetSource` (size and zip checks, openpyxl in read-only mode,
formula scan, mapping), median of 3; beside measurement 5's 10,000 Acumatica lines.
"""

from __future__ import annotations

import io
import statistics
import time
from typing import Any

from chalicelib.adapters.erp.spreadsheet import Export, SpreadsheetSource
from devstack import demo_data

COLUMNS = demo_data.SPREADSHEET_COLUMNS


class _One:
    def __init__(self, export: Export) -> None:
        self.export = export

    def latest(self, prefix: str, erp_job_id: str) -> Export:
        return self.export

    def jobs(self, prefix: str) -> list[str]:
        return ["P-9001"]


def _xlsx(csv_bytes: bytes) -> bytes:
    import csv

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for number, row in enumerate(csv.reader(io.StringIO(csv_bytes.decode()))):
        sheet.append(row if number == 0 else [*row[:4], float(row[4]), *row[5:]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(n_lines: int = 10_000, repeats: int = 3) -> list[dict[str, Any]]:
    project = demo_data.large_project("P-9001", n_lines, seed=1)
    data = demo_data.export_csv(project)
    results = []
    for name, payload in (("budget.csv", data), ("budget.xlsx", _xlsx(data))):
        source = SpreadsheetSource(_One(Export(name, payload)), "bench", dict(COLUMNS))
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            lines = source.fetch_budget("P-9001")
            times.append(time.perf_counter() - started)
            if len(lines) != len(project.erp_lines):
                raise RuntimeError(f"read {len(lines)} lines, not {len(project.erp_lines)}")
        results.append({"format": name.rsplit(".", 1)[-1], "lines": len(lines),
                        "bytes": len(payload), "seconds": statistics.median(times)})  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(measure(args.lines), out)


if __name__ == "__main__":
    main()
