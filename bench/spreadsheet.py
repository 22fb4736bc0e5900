"""Measurement 8: the spreadsheet import re-importing a 10,000-row budget export (CSV and XLSX).

Two parts. **Read**: an N-row export read through `SpreadsheetSource` alone (size and zip checks,
the XLSX reader, formula scan, mapping), median of 3. **Re-import**: on the local stack
(`devstack.stack.LocalStack`, as `bench/e2e.py`), the path a person takes: an N-line budget of
the `spreadsheet` company whose every amount differs from the export; the export uploaded through
`POST .../exports` and the presigned form POSTed to the stack's S3 (moto), then `POST
.../reimport` polled until the worker has applied it. Beside it, in the same stack and run, an
N-line Acumatica re-import of company `demo` (every amount differs too). Each is repeated
(fresh amounts each time) and the median reported.

    python -m bench.spreadsheet --lines 10000 --out r.json
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


def measure_read(n_lines: int = 10_000, repeats: int = 3) -> list[dict[str, Any]]:
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


SHEET_COMPANY = "spreadsheet"
SHEET_ADMIN = "admin@spreadsheet.test"
ACUMATICA_ADMIN = "admin@demo.test"


def _export(project_id: str, n_lines: int, seed: int, file_format: str) -> bytes:
    """The ERP's export of an N-line budget of the spreadsheet company (amounts from `seed`)."""
    project = demo_data.large_project(project_id, n_lines, seed, SHEET_COMPANY)
    data = demo_data.export_csv(project)
    return data if file_format == "csv" else _xlsx(data)


def upload(api: Any, budget_id: str, name: str, data: bytes) -> None:
    """What the web app's Upload Export does: ask for a presigned form, POST the file to it."""
    import urllib.parse
    import urllib.request
    import uuid

    status, form = api.call("POST", f"/companies/{SHEET_COMPANY}/erp/budgets/{budget_id}/exports",
                            {"file_name": name, "size": len(data)})  # fmt: skip
    if status != 201:
        raise RuntimeError(f"upload form refused: {status} {form}")
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in form["fields"].items()]  # fmt: skip
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                 + data + f"\r\n--{boundary}--\r\n".encode())  # fmt: skip
    post = urllib.request.Request(  # noqa: S310 - the local stack's own S3 address
        urllib.parse.urljoin(api.base, form["url"]), data=b"".join(parts), method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    with urllib.request.urlopen(post, timeout=120) as answer:  # noqa: S310
        if answer.status not in (200, 201, 204):
            raise RuntimeError(f"S3 refused the upload: {answer.status}")


def _seed_sheet_budget(project_id: str, n_lines: int) -> None:
    from bench.world import project_side
    from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore

    budget, lines = project_side(n_lines, 1, project_id, SHEET_COMPANY)
    DynamoBudgetStore().create_budget(budget, lines)


def _sheet_run(
    api: Any, project_id: str, n_lines: int, seed: int, file_format: str
) -> dict[str, Any]:
    from bench.e2e import reimport

    data = _export(project_id, n_lines, seed, file_format)
    started = time.perf_counter()
    upload(api, project_id, f"budget.{file_format}", data)
    uploaded = time.perf_counter() - started
    run = reimport(api, project_id, SHEET_COMPANY)
    updated = (run["summary"] or {}).get("lines_updated", 0)
    if updated < n_lines * 0.99:  # (a random amount may rarely repeat; every other one changes)
        raise RuntimeError(f"{file_format}: {updated} lines updated of {n_lines}")
    return {"upload_seconds": uploaded, "seconds": run["seconds"], "bytes": len(data),
            "total_seconds": uploaded + run["seconds"], "polls": run["polls"]}  # fmt: skip


def measure_reimport(n_lines: int = 10_000, repeats: int = 3) -> dict[str, Any]:
    """Full re-imports of an N-row CSV and XLSX export and of N Acumatica lines, one stack."""
    from bench.e2e import Api, reimport, seed_pair
    from bench.world import generate_erp_budget
    from devstack.stack import LocalStack

    runs: dict[str, list[dict[str, Any]]] = {"acumatica": [], "csv": [], "xlsx": []}
    with LocalStack(port=0, aws_port=0, erp_port=0, schedule_interval=3600.0) as stack:
        demo, sheet = Api(stack.api_url), Api(stack.api_url)
        demo.sign_in(ACUMATICA_ADMIN, demo_data.DEMO_PASSWORD)
        sheet.sign_in(SHEET_ADMIN, demo_data.DEMO_PASSWORD)
        reimport(demo, "P-1001")  # warm-up: imports and first clients are not what we time
        reimport(sheet, "S-1501", SHEET_COMPANY)
        acumatica = seed_pair(stack.erp_url, "P-8900001", n_lines)
        ids = {"csv": "S-8900001", "xlsx": "S-8900002"}
        for project_id in ids.values():
            _seed_sheet_budget(project_id, n_lines)
        for repeat in range(repeats):  # alternating, so a busy moment hits all three alike
            if repeat:
                generate_erp_budget(stack.erp_url, "P-8900001", n_lines, seed=2 + repeat)
            run = reimport(demo, acumatica.budget_id)
            runs["acumatica"].append({"seconds": run["seconds"], "polls": run["polls"]})
            for file_format, project_id in ids.items():
                runs[file_format].append(
                    _sheet_run(sheet, project_id, n_lines, 2 + repeat, file_format)
                )
    return {"lines": n_lines, "repeats": repeats, "runs": runs,
            **{name: _medians(r) for name, r in runs.items()}}  # fmt: skip


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--part", choices=("read", "reimport", "both"), default="both")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {}
    if args.part in ("read", "both"):
        result["read"] = measure_read(args.lines)
    if args.part in ("reimport", "both"):
        result["reimport"] = measure_reimport(args.lines, args.repeats)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
