"""End to end for QuickBooks Online, Xero and Oracle NetSuite on the local stack.

Each demo company's admin re-imports its synced job through the API after the job's budget was
changed through the sandbox's uniform switch: the amount set is spread over 12 months in the
ERP's own form and must come back summed to the cent; a second native line for a key arrives
summed, a revenue line never arrives. QuickBooks and Xero rotate their refresh tokens on the way,
so the second re-import signs in with the token the first one stored.
"""

from __future__ import annotations

import urllib.parse
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack, request

JOBS = {"qbo": ("9130350000000001", "Q-8001"),
        "xero": ("b1f2c3d4-0000-4000-8000-000000000001", "X-9001"),
        "netsuite": ("1234567", "N-1101")}  # fmt: skip


def _switch(stack: RunningStack, erp: str) -> str:
    tenant, job = JOBS[erp]
    return f"{stack.erp_url}/sandbox/budgets/{erp}/{urllib.parse.quote(tenant)}/{job}"


def _lines(stack: RunningStack, erp: str) -> list[dict[str, Any]]:
    answer = request("GET", _switch(stack, erp))
    assert answer.status == 200, answer.body
    return answer.body["lines"]


def _put(stack: RunningStack, erp: str, method: str, key: tuple[str, ...], amount: str,
         kind: str = "cost") -> None:  # fmt: skip
    line = dict(zip(("sub_job", "cost_code", "cost_type"), key, strict=True))
    answer = request(
        method, _switch(stack, erp) + "/lines", {**line, "amount": amount, "kind": kind}
    )
    assert answer.status == 200, answer.body


def _budget(stack: RunningStack, token: str, company: str) -> dict[Any, Any]:
    job = JOBS[company][1]
    answer = request(
        "GET", f"{stack.api_url}/companies/{company}/projects/{job}/budget", token=token
    )
    assert answer.status == 200, answer.body
    return {(i["sub_job"], i["cost_code"], i["cost_type"]): i for i in answer.body["line_items"]}


def _reimport(stack: RunningStack, token: str, company: str) -> dict[str, Any]:
    job = JOBS[company][1]
    answer = request(
        "POST", f"{stack.api_url}/companies/{company}/erp/budgets/{job}/reimport", token=token
    )
    assert answer.status == 202, answer.body
    return stack.finished_job(token, company, answer.body["job_id"])


@pytest.mark.parametrize("company", sorted(JOBS))
def test_a_period_budget_changed_in_the_erp_is_reimported_summed_to_the_cent(
    stack: RunningStack, company: str
) -> None:
    token = stack.sign_in(f"admin@{company}.test")
    before = _budget(stack, token, company)
    keys = [(x["sub_job"], x["cost_code"], x["cost_type"]) for x in _lines(stack, company)
            if x["kind"] == "cost"]  # fmt: skip
    key = next(k for k in sorted(before) if keys.count(k) == 1 and before[k]["uom"])

    _put(stack, company, "PUT", key, "12345.67")  # 1,028.80 a month, 1,028.87 in the last
    first = _reimport(stack, token, company)
    assert first["status"] == "succeeded", first
    after = _budget(stack, token, company)
    assert Decimal(after[key]["original_budget_amount"]) == Decimal("12345.67")
    assert after[key]["uom"] == before[key]["uom"]

    # A second native line for the key arrives summed; a revenue line never arrives.
    _put(stack, company, "POST", key, "100.01")
    _put(stack, company, "PUT", ("", key[1], ""), "999999.00", kind="revenue")
    second = _reimport(stack, token, company)
    assert second["status"] == "succeeded", second
    after = _budget(stack, token, company)
    assert Decimal(after[key]["original_budget_amount"]) == Decimal("12445.68")
    assert set(after) == set(before)
