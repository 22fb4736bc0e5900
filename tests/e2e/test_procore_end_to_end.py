"""End to end with Procore as the target: the pilot company's re-imports land in the Procore sandbox.

admin@pilot.test changes K-4001 in the Acumatica sandbox (tenant Pilot), re-imports through the
local stack's API, and the test reads the result through Procore's own REST API, as a person
checking Procore would.
"""

from __future__ import annotations

import urllib.parse
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack, request
from tests.fixtures.procore import ProcoreClient

JOB = "K-4001"
ERP_SWITCH = "/sandbox/budgets/acumatica/Pilot/K-4001"


def _flat(key: tuple[str, str, str]) -> str:
    return ".".join(part for part in key if part)


def _reimport(stack: RunningStack, token: str) -> dict[str, Any]:
    answer = request(
        "POST", f"{stack.api_url}/companies/pilot/erp/budgets/{JOB}/reimport", token=token
    )
    assert answer.status == 202, answer.body
    return stack.finished_job(token, "pilot", answer.body["job_id"])


def _erp_line(stack: RunningStack, method: str, key: tuple[str, str, str], amount: str) -> None:
    line = dict(zip(("sub_job", "cost_code", "cost_type"), key, strict=True))
    answer = request(method, stack.erp_url + ERP_SWITCH + "/lines", {**line, "amount": amount})
    assert answer.status == 200, answer.body


def _erp_drop(stack: RunningStack, key: tuple[str, str, str]) -> None:
    query = urllib.parse.urlencode(
        dict(zip(("sub_job", "cost_code", "cost_type"), key, strict=True))
    )
    answer = request("DELETE", f"{stack.erp_url}{ERP_SWITCH}/lines?{query}")
    assert answer.status == 204, answer.body


def _amounts(procore: ProcoreClient) -> dict[str, str]:
    return {code: row["original_budget_amount"] for code, row in procore.by_flat_code().items()}


@pytest.fixture
def procore(stack: RunningStack) -> ProcoreClient:
    request("POST", stack.erp_url + "/sandbox/reset")
    return ProcoreClient(stack.erp_url + "/procore")


def test_the_pilot_admin_reimports_k4001_into_procore_keeping_units(
    stack: RunningStack, procore: ProcoreClient
) -> None:
    token = stack.sign_in("admin@pilot.test")
    before = procore.by_flat_code()
    erp = request("GET", stack.erp_url + ERP_SWITCH).body["lines"]
    keys = [(x["sub_job"], x["cost_code"], x["cost_type"]) for x in erp if x["kind"] == "cost"]
    singles = sorted(k for k in keys if keys.count(k) == 1)
    changed, dropped = singles[0], singles[1]
    added = ("02", "26-100", "O")
    assert _flat(added) not in before and before[_flat(changed)]["uom"]
    new_amount = Decimal(before[_flat(changed)]["original_budget_amount"]) + Decimal("1234.56")

    _erp_line(stack, "PUT", changed, f"{new_amount:.2f}")
    _erp_line(stack, "PUT", added, "2500.00")
    _erp_drop(stack, dropped)
    job = _reimport(stack, token)

    assert job["status"] == "succeeded", job
    assert job["message"] == "Successfully Re-imported to Procore"
    after = procore.by_flat_code()
    row = after[_flat(changed)]
    assert Decimal(row["original_budget_amount"]) == new_amount
    for field in ("uom", "quantity", "unit_cost"):
        assert row[field] == before[_flat(changed)][field]
    assert after[_flat(added)]["original_budget_amount"] == "2500.00"
    assert _flat(added) in {code["flat_code"] for code in procore.wbs_codes()}
    assert after[_flat(dropped)]["original_budget_amount"] == "0.00"
    rows = request("GET", f"{stack.api_url}/companies/pilot/erp/budgets", token=token).body
    assert {row["target_name"] for row in rows["budgets"]} == {"Procore"}


def test_locking_in_procore_between_request_and_apply_fails_the_job_and_changes_nothing(
    stack: RunningStack, procore: ProcoreClient
) -> None:
    token = stack.sign_in("admin@pilot.test")
    before = _amounts(procore)
    row = procore.by_flat_code()[sorted(before)[0]]
    key = (row["sub_job"]["code"], row["cost_code"]["full_code"], row["line_item_type"]["code"])
    _erp_line(stack, "PUT", key, "1.00")
    # The ERP answers slowly, so the budget is locked in Procore after the request was accepted
    # and before the worker applies it.
    slow = {"prefix": "acumatica", "delay_seconds": 3, "delay_next": 1}
    assert request("POST", stack.erp_url + "/sandbox/faults", slow).status == 200
    answer = request(
        "POST", f"{stack.api_url}/companies/pilot/erp/budgets/{JOB}/reimport", token=token
    )
    assert answer.status == 202, answer.body
    procore.lock(True)
    try:
        job = stack.finished_job(token, "pilot", answer.body["job_id"])
        refused = request(
            "POST", f"{stack.api_url}/companies/pilot/erp/budgets/{JOB}/reimport", token=token
        )
    finally:
        procore.lock(False)

    assert job["status"] == "failed"
    assert "locked" in job["message"]
    assert _amounts(procore) == before
    # Once locked, a request is refused at once.
    assert refused.status == 409 and refused.body["error"]["code"] == "budget_locked"


def test_procore_failing_the_second_batch_puts_every_amount_back(
    stack: RunningStack, procore: ProcoreClient
) -> None:
    token = stack.sign_in("admin@pilot.test")
    # The same 2,500 keys on both sides with other amounts: three sync batches.
    generated = request(
        "POST",
        stack.erp_url + "/procore/sandbox/projects/2001/generate",
        {"lines": 2500, "seed": 1},
    )
    assert generated.status == 200, generated.body
    generated = request(
        "POST",
        stack.erp_url + "/sandbox/projects/Pilot/K-4001/generate",
        {"lines": 2500, "seed": 2},
    )
    assert generated.status == 200, generated.body
    before = _amounts(procore)
    fault = request(
        "POST", stack.erp_url + "/sandbox/faults", {"prefix": "procore", "fail_sync_batch": 2}
    )
    assert fault.status == 200, fault.body
    try:
        job = _reimport(stack, token)
        after = _amounts(procore)
    finally:
        request("POST", stack.erp_url + "/sandbox/reset")

    assert job["status"] == "failed", job
    assert "Procore refused batch 2 of 3" in job["message"]
    assert "sandbox fault" in job["message"] and "put back" in job["message"]
    assert job["errors"] and "sandbox fault" in job["errors"][0]["message"]
    assert len(before) == 2500 and after == before
