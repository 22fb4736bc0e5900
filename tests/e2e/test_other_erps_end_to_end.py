"""End to end for MYOB, Sage Intacct, CMiC, Workday, Yardi Voyager and MRI Platform X: a budget changed in the ERP's sandbox is re-imported.

Each demo company's admin re-imports its synced job through the local stack's API after the
job's budget was changed through the sandbox's uniform switch (and, for MYOB, through MYOB's own
`PUT ProjectBudget`); the connector reads the ERP's own wire format.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack, request

JOBS = {"myob": ("MYOB Demo", "M-5001"), "intacct": ("intacct-demo", "I-6001"),
        "cmic": ("BB", "C-7001"), "workday": ("bb_demo", "W-1201"),
        "yardi": ("bb_demo", "Y-1301"), "mri": ("BBDEMO", "R-1401")}  # fmt: skip


class Erp:
    """The uniform switch for one company's job."""

    def __init__(self, stack: RunningStack, erp: str) -> None:
        tenant, self.job = JOBS[erp]
        self.url = f"{stack.erp_url}/sandbox/budgets/{erp}/{urllib.parse.quote(tenant)}/{self.job}"

    def lines(self) -> list[dict[str, Any]]:
        answer = request("GET", self.url)
        assert answer.status == 200, answer.body
        return answer.body["lines"]

    def put(self, method: str, key: tuple[str, str, str], amount: str, kind: str = "cost") -> None:
        line = dict(zip(("sub_job", "cost_code", "cost_type"), key, strict=True))
        answer = request(method, self.url + "/lines", {**line, "amount": amount, "kind": kind})
        assert answer.status == 200, answer.body

    def delete(self, key: tuple[str, str, str]) -> None:
        query = urllib.parse.urlencode(
            dict(zip(("sub_job", "cost_code", "cost_type"), key, strict=True))
        )
        answer = request("DELETE", f"{self.url}/lines?{query}")
        assert answer.status == 204, answer.body


def budget(stack: RunningStack, token: str, company: str, job: str) -> dict[Any, Any]:
    answer = request(
        "GET", f"{stack.api_url}/companies/{company}/projects/{job}/budget", token=token
    )
    assert answer.status == 200, answer.body
    return {(i["sub_job"], i["cost_code"], i["cost_type"]): i for i in answer.body["line_items"]}


def reimport(stack: RunningStack, token: str, company: str, job: str) -> dict[str, Any]:
    answer = request(
        "POST", f"{stack.api_url}/companies/{company}/erp/budgets/{job}/reimport", token=token
    )
    assert answer.status == 202, answer.body
    return stack.finished_job(token, company, answer.body["job_id"])


def single_keys(lines: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    keys = [(x["sub_job"], x["cost_code"], x["cost_type"]) for x in lines if x["kind"] == "cost"]
    return {key for key in keys if keys.count(key) == 1}


@pytest.mark.parametrize("company", sorted(JOBS))
def test_a_change_in_the_erp_is_reimported_by_the_companys_admin(
    stack: RunningStack, company: str
) -> None:
    token = stack.sign_in(f"admin@{company}.test")
    erp = Erp(stack, company)
    before = budget(stack, token, company, erp.job)
    singles = single_keys(erp.lines())
    key = next(k for k, item in sorted(before.items()) if item["uom"] and k in singles)
    changed = Decimal(before[key]["original_budget_amount"]) + Decimal("1234.56")

    erp.put("PUT", key, f"{changed:.2f}")
    assert reimport(stack, token, company, erp.job)["status"] == "succeeded"
    after = budget(stack, token, company, erp.job)
    assert Decimal(after[key]["original_budget_amount"]) == changed
    assert [after[key][f] for f in ("uom", "quantity", "unit_cost")] == [
        before[key][f] for f in ("uom", "quantity", "unit_cost")
    ]

    # A second native line for the key arrives summed; a revenue line never arrives.
    erp.put("POST", key, "100.00")
    revenue_key = ("", sorted(k[1] for k in before)[0], "")
    erp.put("PUT", revenue_key, "999999.00", kind="revenue")
    assert reimport(stack, token, company, erp.job)["status"] == "succeeded"
    after = budget(stack, token, company, erp.job)
    assert Decimal(after[key]["original_budget_amount"]) == changed + 100
    assert set(after) == set(before)

    # A deleted key goes to 0.
    erp.delete(key)
    assert reimport(stack, token, company, erp.job)["status"] == "succeeded"
    assert Decimal(budget(stack, token, company, erp.job)[key]["original_budget_amount"]) == 0

    # An unknown cost code fails the job, naming the line; nothing changes.
    unknown = (key[0], "99-999", key[2])
    erp.put("PUT", unknown, "10.00")
    try:
        failed = reimport(stack, token, company, erp.job)
    finally:
        erp.delete(unknown)
    assert failed["status"] == "failed", failed
    assert [e["field"] for e in failed["errors"]] == ["cost_code"], failed["errors"]
    assert failed["errors"][0]["line"] >= 1


def test_a_change_through_myobs_own_project_budget_api_is_reimported(stack: RunningStack) -> None:
    token = stack.sign_in("admin@myob.test")
    erp = Erp(stack, "myob")
    before = budget(stack, token, "myob", erp.job)
    key = sorted(k for k in single_keys(erp.lines()) if k in before)[-1]
    signed_in = _myob_token(stack)
    entity = {
        "ProjectID": {"value": erp.job}, "ProjectTaskID": {"value": key[0]},
        "CostCode": {"value": key[1]}, "AccountGroup": {"value": key[2]},
        "OriginalBudgetedAmount": {"value": "4321.09"},
    }  # fmt: skip
    put = request(
        "PUT",
        f"{stack.erp_url}/myob/entity/Default/22.200.001/ProjectBudget",
        entity,
        headers={"Authorization": f"Bearer {signed_in}"},
    )
    assert put.status == 200, put.body

    assert reimport(stack, token, "myob", erp.job)["status"] == "succeeded"
    after = budget(stack, token, "myob", erp.job)
    assert Decimal(after[key]["original_budget_amount"]) == Decimal("4321.09")
    assert after[key]["uom"] == before[key]["uom"]


def _myob_token(stack: RunningStack) -> str:
    """MYOB's OAuth2 password grant, as an API client of MYOB signs in."""
    form = urllib.parse.urlencode({
        "grant_type": "password", "client_id": "myob-client", "client_secret": "myob-secret",
        "username": "admin", "password": "sandbox", "scope": "api",
    }).encode()  # fmt: skip
    call = urllib.request.Request(  # noqa: S310 - the local sandbox
        f"{stack.erp_url}/myob/identity/connect/token", data=form, method="POST"
    )
    with urllib.request.urlopen(call, timeout=30) as answer:  # noqa: S310
        return str(json.loads(answer.read())["access_token"])
