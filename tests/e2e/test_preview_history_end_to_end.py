"""Preview, history, restore and CSV over HTTP against the whole local stack.

Uses company `other` (its own ERP tenant and budget P-2001), so the re-import walkthroughs of
company `demo` in the other end-to-end tests are not disturbed.
"""

from __future__ import annotations

import csv
import io
import urllib.request
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack, SandboxErpClient, request

COMPANY, BUDGET, ADMIN = "other", "P-2001", "admin@other.test"


@pytest.fixture
def other_erp(stack: RunningStack) -> Any:
    """The `Other` tenant of the sandbox ERP; every amount a test changes is put back after it,
    so the other end-to-end tests find P-2001 as the seed made it."""
    client = SandboxErpClient(stack.erp_url, tenant="Other")
    before = client.budget(BUDGET)
    yield client
    now = {e["id"]: e for e in client.budget(BUDGET)}
    for entity in before:
        was = entity["OriginalBudgetedAmount"]["value"]
        if now[entity["id"]]["OriginalBudgetedAmount"]["value"] != was:
            client.set_amount(entity, Decimal(str(was)))
    client.logout()


def call(stack: RunningStack, token: str, method: str, path: str, body: Any = None) -> Any:
    return request(method, f"{stack.api_url}/companies/{COMPANY}{path}", body, token=token)


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status == status, (answer.status, answer.body)
    return answer.body


def csv_rows(stack: RunningStack, token: str, path: str) -> list[dict[str, str]]:
    sent = urllib.request.Request(  # noqa: S310 - the local stack only
        f"{stack.api_url}/companies/{COMPANY}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(sent, timeout=30) as reply:  # noqa: S310
        assert reply.headers["Content-Type"].startswith("text/csv")
        text = reply.read().decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def cells(item: dict[str, Any]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in item.items()}


def run(stack: RunningStack, token: str, answer: Any) -> dict[str, Any]:
    queued = ok(answer, 202)
    return stack.finished_job(token, COMPANY, queued["job_id"])


def bump_one_erp_line(erp: SandboxErpClient, by: Decimal) -> None:
    entity = next(e for e in erp.budget(BUDGET) if e["Type"]["value"] == "Expense")
    amount = Decimal(str(entity["OriginalBudgetedAmount"]["value"])) + by
    erp.set_amount(entity, amount)


def test_preview_apply_history_restore_and_csv_over_http(
    stack: RunningStack, other_erp: SandboxErpClient
) -> None:
    token = stack.sign_in(ADMIN)
    then = ok(call(stack, token, "GET", f"/projects/{BUDGET}/budget"))
    bump_one_erp_line(other_erp, Decimal("10.01"))

    preview = run(stack, token, call(stack, token, "POST", f"/erp/budgets/{BUDGET}/preview"))
    assert (preview["kind"], preview["status"]) == ("preview", "succeeded"), preview
    assert preview["summary"]["lines_updated"] == 1 and len(preview["changes"]) == 1
    totals = preview["totals"]
    assert Decimal(totals["new_total"]) - Decimal(totals["current_total"]) == Decimal("10.01")
    assert ok(call(stack, token, "GET", f"/projects/{BUDGET}/budget")) == then
    row = next(
        r
        for r in ok(call(stack, token, "GET", "/erp/budgets"))["budgets"]
        if r["budget_id"] == BUDGET
    )
    assert row["current_erp_total"] == totals["current_erp_total"]

    applied = run(
        stack,
        token,
        call(stack, token, "POST", f"/erp/budgets/{BUDGET}/reimport",
             {"preview_job_id": preview["job_id"]}),
    )  # fmt: skip
    assert applied["status"] == "succeeded", applied
    assert applied["changes"] == preview["changes"] and applied["totals"] == totals
    after = ok(call(stack, token, "GET", f"/projects/{BUDGET}/budget"))
    assert Decimal(after["total"]) == Decimal(then["total"]) + Decimal("10.01")

    versions = ok(call(stack, token, "GET", f"/projects/{BUDGET}/budget/history"))["versions"]
    assert (versions[0]["source"], versions[0]["by"], versions[0]["job_id"]) == (
        "reimport",
        ADMIN,
        applied["job_id"],
    )
    as_of = ok(call(stack, token, "GET", f"/projects/{BUDGET}/budget/history/{then['version']}"))
    assert {k: as_of[k] for k in then} == then

    restored = run(
        stack,
        token,
        call(stack, token, "POST", f"/projects/{BUDGET}/budget/history/{then['version']}/restore"),
    )
    assert restored["message"] == f"Successfully Restored version {then['version']}", restored
    now = ok(call(stack, token, "GET", f"/projects/{BUDGET}/budget"))
    assert now["line_items"] == then["line_items"] and now["total"] == then["total"]

    assert csv_rows(stack, token, f"/projects/{BUDGET}/budget.csv") == [
        cells(i) for i in now["line_items"]
    ]
    assert csv_rows(stack, token, f"/erp/jobs/{applied['job_id']}/changes.csv") == [
        cells(c) for c in applied["changes"]
    ]


def test_an_erp_change_after_the_preview_fails_its_apply_over_http(
    stack: RunningStack, other_erp: SandboxErpClient
) -> None:
    token = stack.sign_in(ADMIN)
    preview = run(stack, token, call(stack, token, "POST", f"/erp/budgets/{BUDGET}/preview"))
    before = ok(call(stack, token, "GET", f"/projects/{BUDGET}/budget"))
    bump_one_erp_line(other_erp, Decimal("0.01"))

    job = run(
        stack,
        token,
        call(stack, token, "POST", f"/erp/budgets/{BUDGET}/reimport",
             {"preview_job_id": preview["job_id"]}),
    )  # fmt: skip

    assert (job["status"], job["error_code"]) == ("failed", "preview_stale"), job
    assert ok(call(stack, token, "GET", f"/projects/{BUDGET}/budget")) == before
