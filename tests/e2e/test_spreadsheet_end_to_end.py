"""End to end for the spreadsheet import: an admin uploads the ERP's export and re-imports it.

On the local stack: the API answers a presigned upload to the stack's S3 (moto), the browser's
form POST sends the file there, and the re-import reads the job's latest upload through the same
worker and rules as any ERP. A hostile file is refused with a sentence and changes nothing.
"""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal
from typing import Any

from devstack import demo_data
from tests.e2e.conftest import RunningStack, request

COMPANY = "spreadsheet"
JOB = "S-1501"


def budget(stack: RunningStack, token: str) -> dict[Any, Any]:
    answer = request("GET", f"{stack.api_url}/companies/{COMPANY}/projects/{JOB}/budget",
                     token=token)  # fmt: skip
    assert answer.status == 200, answer.body
    return {(i["sub_job"], i["cost_code"], i["cost_type"]): i for i in answer.body["line_items"]}


def upload(
    stack: RunningStack, token: str, name: str, data: bytes, declared: int | None = None
) -> int:
    """Asks the API for an upload form and POSTs the file as a browser would; S3's status."""
    size = len(data) if declared is None else declared
    form = request("POST", f"{stack.api_url}/companies/{COMPANY}/erp/budgets/{JOB}/exports",
                   {"file_name": name, "size": size}, token=token)  # fmt: skip
    assert form.status == 201, form.body
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in form.body["fields"].items()
    ]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{name}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                 + data + f"\r\n--{boundary}--\r\n".encode())  # fmt: skip
    post = urllib.request.Request(  # noqa: S310 - the local stack's S3
        urllib.parse.urljoin(stack.api_url, form.body["url"]), data=b"".join(parts), method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(post, timeout=60) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def reimport(stack: RunningStack, token: str) -> dict[str, Any]:
    answer = request("POST", f"{stack.api_url}/companies/{COMPANY}/erp/budgets/{JOB}/reimport",
                     token=token)  # fmt: skip
    assert answer.status == 202, answer.body
    return stack.finished_job(token, COMPANY, answer.body["job_id"])


def export_with(key: tuple[str, str, str], amount: str, extra: list[str] | None = None) -> bytes:
    project = demo_data.company(COMPANY).project(JOB)
    rows = list(csv.reader(io.StringIO(demo_data.export_csv(project).decode())))
    for row in rows[1:]:
        if (row[1], row[2], row[3]) == key and row[5] == "Cost":
            row[4] = amount
    if extra:
        rows.append(extra)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def test_an_uploaded_export_is_reimported_and_a_hostile_one_changes_nothing(
    stack: RunningStack,
) -> None:
    token = stack.sign_in("admin@spreadsheet.test")
    mapping_url = f"{stack.api_url}/companies/{COMPANY}/erp/spreadsheet/mapping"
    mapping = request("GET", mapping_url, token=token)
    assert mapping.status == 200 and mapping.body == demo_data.SPREADSHEET_COLUMNS, mapping.body
    missing = request("PUT", mapping_url, {**mapping.body, "amount_column": " "}, token=token)
    assert missing.status == 400 and "amount" in missing.body["error"]["message"]
    assert request("PUT", mapping_url, mapping.body, token=token).status == 200
    before = budget(stack, token)
    project = demo_data.company(COMPANY).project(JOB)
    sums = project.cost_sums()
    key = next(k for k in sorted(before) if before[k]["uom"] and sums[k].line_count == 1)

    assert upload(stack, token, "budget.csv", export_with(key, "4321.09")) in (200, 201, 204)
    done = reimport(stack, token)
    assert done["status"] == "succeeded", done.get("message")
    after = budget(stack, token)
    assert Decimal(after[key]["original_budget_amount"]) == Decimal("4321.09")
    assert after[key]["uom"] == before[key]["uom"]

    formula = export_with(key, "1.00", [JOB, key[0], key[1], key[2], "=1+1", "Cost", "x"])
    assert upload(stack, token, "budget.csv", formula) in (200, 201, 204)
    failed = reimport(stack, token)
    assert failed["status"] == "failed" and "formula" in failed["message"], failed
    assert budget(stack, token) == after

    too_big = request("POST", f"{stack.api_url}/companies/{COMPANY}/erp/budgets/{JOB}/exports",
                      {"file_name": "budget.csv", "size": 11 * 1024 * 1024}, token=token)  # fmt: skip
    assert too_big.status == 400 and "10 MB" in too_big.body["error"]["message"]
    # A client that understates the size is stopped by the storage, as S3's size condition does.
    lying = export_with(key, "1.00") + b"," * (11 * 1024 * 1024)
    assert upload(stack, token, "budget.csv", lying, declared=2048) == 400
    assert reimport(stack, token)["status"] == "failed"  # still the formula export: unchanged
    assert budget(stack, token) == after
