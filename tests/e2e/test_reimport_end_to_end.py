"""End to end: a budget changed in the (sandbox) ERP is re-imported through the local stack's API.

Everything runs as `make run` runs it: the API on Chalice's local server, jobs through the SQS
queue on moto to the worker, the sandbox ERP over Acumatica's REST API, Cognito tokens.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chalicelib.resources import JOB_QUEUE
from tests.e2e.conftest import (
    REPO,
    RunningStack,
    SandboxErpClient,
    request,
    start_stack,
    stop_stack,
)


def project_budget(stack: RunningStack, token: str, project_id: str, company: str = "demo") -> Any:
    answer = request(
        "GET", f"{stack.api_url}/companies/{company}/projects/{project_id}/budget", token=token
    )
    assert answer.status == 200, (answer.status, answer.body)
    return answer.body


def reimport(stack: RunningStack, token: str, budget_id: str, company: str = "demo") -> Any:
    return request(
        "POST", f"{stack.api_url}/companies/{company}/erp/budgets/{budget_id}/reimport", token=token
    )


def key_of(entity: dict[str, Any]) -> tuple[str, str, str]:
    return (
        entity["ProjectTaskID"]["value"],
        entity["CostCode"]["value"],
        entity["AccountGroup"]["value"],
    )


def single_line_keys(entities: list[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    """Keys fed by exactly one cost line of the ERP budget -> that line's position (1-based)."""
    positions: dict[tuple[str, str, str], list[int]] = {}
    for position, entity in enumerate(entities, start=1):
        if entity["Type"]["value"] == "Expense":
            positions.setdefault(key_of(entity), []).append(position)
    return {key: found[0] for key, found in positions.items() if len(found) == 1}


def test_the_api_answers_health_without_a_token(stack: RunningStack) -> None:
    answer = request("GET", f"{stack.api_url}/health")
    assert answer.status == 200


@pytest.mark.parametrize("method", ["TRACE", "QUERY"])
def test_a_method_no_route_takes_answers_a_json_405(stack: RunningStack, method: str) -> None:
    answer = request(method, f"{stack.api_url}/health")
    assert answer.status == 405
    assert answer.body["error"]["code"] == "method_not_allowed"


def test_a_path_no_route_takes_answers_404_without_echoing_the_token(
    stack: RunningStack,
) -> None:
    token = stack.sign_in("none@demo.test")
    for path in ("/nothing-here", "/companies/demo/erp/nothing", "/companies/demo/erp/jobs/x/y"):
        for sent in (None, token):
            answer = request("GET", f"{stack.api_url}{path}", token=sent)

            assert answer.status == 404, (path, answer.status, answer.body)
            assert answer.body["error"]["code"] == "not_found"
            assert answer.body["error"]["message"].endswith(".")
            assert token not in str(answer.body) and "Authorization" not in str(answer.body)


def test_a_wrong_password_is_refused(stack: RunningStack) -> None:
    answer = request(
        "POST",
        f"{stack.api_url}/session",
        {"email": "standard@demo.test", "password": "not-the-password"},
    )
    assert answer.status == 401
    assert answer.body["error"]["code"] == "invalid_credentials"


def test_a_member_of_two_companies_has_each_companys_own_permissions(stack: RunningStack) -> None:
    token = stack.sign_in("accountant@demo.test")

    me = request("GET", f"{stack.api_url}/me", token=token)
    assert me.status == 200, me.body
    assert {
        (c["company_id"], c["name"], c["erp_permission"], c["budget_permission"])
        for c in me.body["companies"]
    } == {
        ("demo", "Demo Construction Co.", "standard", "read_only"),
        ("other", "Other Builders", "read_only", "standard"),
    }
    # ERP standard in `demo` is not ERP standard everywhere: `other` refuses the re-import.
    refused = reimport(stack, token, "P-2001", company="other")
    assert refused.status == 403, refused.body


def test_reimport_brings_the_erp_amount_and_keeps_units(
    stack: RunningStack, erp: SandboxErpClient
) -> None:
    token = stack.sign_in("standard@demo.test")
    before = project_budget(stack, token, "P-1001")
    entities = erp.budget("P-1001")
    singles = single_line_keys(entities)
    # A line a person gave units to on the project side, fed by a single ERP line.
    line = next(
        item
        for item in before["line_items"]
        if item["uom"] and item["quantity"] is not None
        and (item["sub_job"], item["cost_code"], item["cost_type"]) in singles
    )  # fmt: skip
    key = (line["sub_job"], line["cost_code"], line["cost_type"])
    entity = entities[singles[key] - 1]
    new_amount = Decimal(line["original_budget_amount"]) + Decimal("1234.56")
    erp.set_amount(entity, new_amount)

    answer = reimport(stack, token, "P-1001")
    assert answer.status == 202, answer.body
    assert answer.body["status"] == "queued"
    assert answer.headers["Location"].endswith(f"/erp/jobs/{answer.body['job_id']}")
    job = stack.finished_job(token, "demo", answer.body["job_id"])

    assert job["status"] == "succeeded", job
    assert job["message"] == "Successfully Re-imported to Budget Bridge"
    assert job["summary"]["lines_updated"] == 1
    assert job["requested_by"] == "standard@demo.test"
    after = project_budget(stack, token, "P-1001")
    changed = next(
        item for item in after["line_items"] if item["line_item_id"] == line["line_item_id"]
    )
    assert Decimal(changed["original_budget_amount"]) == new_amount
    assert changed["original_budget_amount"] == f"{new_amount:.2f}"
    assert (changed["uom"], changed["quantity"], changed["unit_cost"]) == (
        line["uom"],
        line["quantity"],
        line["unit_cost"],
    )
    assert Decimal(after["total"]) == Decimal(before["total"]) + Decimal("1234.56")
    # The worker told the event source it succeeded: the message is gone, not waiting to return.
    stack.wait_for(
        lambda: stack.messages_in_queue(JOB_QUEUE.default_name) == 0,
        timeout=30,
        what="the job's message to leave the queue",
    )
    assert stack.messages_in_queue(JOB_QUEUE.dlq_default_name) == 0


def test_importing_a_ready_budget_creates_its_lines_and_marks_it_synced(
    stack: RunningStack, erp: SandboxErpClient
) -> None:
    token = stack.sign_in("standard@demo.test")
    before = project_budget(stack, token, "P-1004")
    assert (before["status"], before["line_count"]) == ("ready_to_import", 0)
    expected: dict[tuple[str, str, str], Decimal] = {}
    for entity in erp.budget("P-1004"):
        if entity["Type"]["value"] == "Expense":
            amount = Decimal(str(entity["OriginalBudgetedAmount"]["value"]))
            expected[key_of(entity)] = expected.get(key_of(entity), Decimal("0")) + amount

    answer = request(
        "POST", f"{stack.api_url}/companies/demo/erp/budgets/P-1004/import", token=token
    )
    assert answer.status == 202, answer.body
    job = stack.finished_job(token, "demo", answer.body["job_id"])

    assert job["status"] == "succeeded", job
    assert job["message"] == "Successfully Imported to Budget Bridge"
    after = project_budget(stack, token, "P-1004")
    assert after["status"] == "synced"
    assert {
        (i["sub_job"], i["cost_code"], i["cost_type"]): Decimal(i["original_budget_amount"])
        for i in after["line_items"]
    } == {key: amount for key, amount in expected.items() if amount != 0}
    again = request(
        "POST", f"{stack.api_url}/companies/demo/erp/budgets/P-1004/import", token=token
    )
    assert (again.status, again.body["error"]["code"]) == (409, "already_imported")


def test_a_locked_budget_is_refused_with_409(stack: RunningStack) -> None:
    token = stack.sign_in("standard@demo.test")
    answer = reimport(stack, token, "P-1002")
    assert answer.status == 409
    assert answer.body["error"]["code"] == "budget_locked"


def test_a_bad_erp_amount_fails_the_job_listing_the_line_and_changes_nothing(
    stack: RunningStack, erp: SandboxErpClient
) -> None:
    token = stack.sign_in("standard@demo.test")
    before = project_budget(stack, token, "P-1003")
    entities = erp.budget("P-1003")
    position, entity = next(
        (n, e) for n, e in enumerate(entities, start=1) if e["Type"]["value"] == "Expense"
    )
    original = entity["OriginalBudgetedAmount"]["value"]
    erp.set_amount(entity, Decimal("1.234"))  # three decimals: not money
    try:
        answer = reimport(stack, token, "P-1003")
        assert answer.status == 202, answer.body
        job = stack.finished_job(token, "demo", answer.body["job_id"])
    finally:
        erp.set_amount(entity, original)

    assert job["status"] == "failed", job
    assert [(e["line"], e["field"]) for e in job["errors"]] == [(position, "amount")]
    assert "unchanged" in job["message"]
    assert project_budget(stack, token, "P-1003") == before


def test_a_transient_erp_fault_is_retried_and_the_job_succeeds(
    stack: RunningStack, erp: SandboxErpClient
) -> None:
    token = stack.sign_in("admin@other.test")
    before = project_budget(stack, token, "P-2001", company="other")
    fault = request(
        "POST",
        f"{stack.erp_url}/sandbox/faults",
        {"fail_next": 1, "status": 503, "match": "ProjectBudget"},
    )
    assert fault.status == 200, fault.body

    answer = reimport(stack, token, "P-2001", company="other")
    assert answer.status == 202, answer.body
    job = stack.finished_job(token, "other", answer.body["job_id"])

    assert job["status"] == "succeeded", job
    assert job["message"].startswith("Successfully Re-imported to Budget Bridge")
    assert project_budget(stack, token, "P-2001", company="other")["total"] == before["total"]


def test_a_second_request_while_a_job_runs_gets_409_with_that_job(
    stack: RunningStack, erp: SandboxErpClient
) -> None:
    token = stack.sign_in("standard@demo.test")
    # Slow the ERP down so the first job is surely still queued or running.
    slow = request("POST", f"{stack.erp_url}/sandbox/faults", {"delay_seconds": 2, "delay_next": 3})
    assert slow.status == 200, slow.body
    try:
        first = reimport(stack, token, "P-1001")
        assert first.status == 202, first.body
        second = reimport(stack, token, "P-1001")
        assert second.status == 409
        assert second.body["error"]["code"] == "job_in_progress"
        assert first.body["job_id"] in str(second.body)
        assert stack.finished_job(token, "demo", first.body["job_id"])["status"] == "succeeded"
    finally:
        request("DELETE", f"{stack.erp_url}/sandbox/faults")


def test_the_built_web_app_is_served_at_the_root_with_client_routes(stack: RunningStack) -> None:
    if not (REPO / "frontend" / "dist" / "index.html").is_file():
        pytest.skip("the web app is not built (make web)")
    home = request("GET", f"{stack.web_url}/", headers={"Accept": "text/html"})
    assert home.status == 200
    assert "<html" in home.body.lower()
    deep = request("GET", f"{stack.web_url}/companies/demo/projects/P-1001/budget")
    assert deep.status == 200
    assert deep.body == home.body


def test_the_schedule_queues_reimports_once_a_company_enables_them(stack: RunningStack) -> None:
    """Runs last: from here on the schedule re-imports the demo company's due budgets."""
    admin = stack.sign_in("admin@demo.test")
    settings_url = f"{stack.api_url}/companies/demo/erp/settings"
    enabled = request(
        "PUT", settings_url, {"auto_reimport": {"enabled": True, "every_hours": 1}}, token=admin
    )
    assert enabled.status == 200, enabled.body
    try:

        def scheduled_job() -> dict[str, Any] | None:
            answer = request("GET", f"{stack.api_url}/companies/demo/erp/jobs", token=admin)
            assert answer.status == 200, answer.body
            return next((j for j in answer.body["jobs"] if j["requested_by"] == "schedule"), None)

        job = stack.wait_for(scheduled_job, what="a job requested by the schedule")
        assert job["kind"] == "reimport"
        # P-1003 was last synced by the seed, two days ago: due; P-1002 is locked: never.
        finished = stack.finished_job(admin, "demo", job["job_id"])
        assert finished["status"] == "succeeded", finished
        every = request("GET", f"{stack.api_url}/companies/demo/erp/jobs", token=admin).body
        assert "P-1002" not in {j["budget_id"] for j in every["jobs"]}
    finally:
        request(
            "PUT",
            settings_url,
            {"auto_reimport": {"enabled": False, "every_hours": 1}},
            token=admin,
        )


def test_ctrl_c_stops_the_whole_stack_and_exits_cleanly() -> None:
    with tempfile.TemporaryDirectory(prefix="budget-bridge-e2e-") as folder:
        running = start_stack(Path(folder) / "stack.log")
        assert stop_stack(running) == 0, running.log_tail()
        for url in (f"{running.api_url}/health", f"{running.erp_url}/sandbox/health"):
            with pytest.raises(OSError):
                request("GET", url)
