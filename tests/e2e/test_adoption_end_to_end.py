"""A company adopts Budget Bridge on its own, over HTTP on the local stack (docs/adoption.md).

Fresh Start Builders starts with its admin only: no ERP connection, no projects, an empty catalog.
Its admin connects the Acumatica sandbox (a wrong password first), syncs the cost catalog, links
F-3001 and imports it, invites a project manager, who signs in with the temporary password from the
local outbox, chooses a password, and re-imports a change made in the sandbox.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

from tests.e2e.conftest import DEMO_PASSWORD, REPO, RunningStack, SandboxErpClient, request

COMPANY = "fresh"
ADMIN = "admin@fresh.test"
PM = "pm@fresh.test"
PM_PASSWORD = "Fresh-start-2"


def api(stack: RunningStack, path: str) -> str:
    return f"{stack.api_url}/companies/{COMPANY}{path}"


def connect(stack: RunningStack, token: str, password: str) -> dict[str, Any]:
    body = {
        "erp_system": "acumatica",
        "base_url": stack.erp_url,
        "settings": {"company": "Fresh"},
        "credentials": {"username": "admin", "password": password},
    }
    saved = request("PUT", api(stack, "/erp/connection"), body, token=token)
    assert saved.status == 200, saved.body
    tested = request("POST", api(stack, "/erp/connection/test"), token=token)
    assert tested.status == 200, tested.body
    return tested.body


def run_job(stack: RunningStack, token: str, budget_id: str, kind: str) -> dict[str, Any]:
    asked = request("POST", api(stack, f"/erp/budgets/{budget_id}/{kind}"), token=token)
    assert asked.status == 202, asked.body
    return stack.finished_job(token, COMPANY, asked.body["job_id"])


def key(entity: dict[str, Any]) -> tuple[str, str, str]:
    return tuple(entity[name]["value"] for name in ("ProjectTaskID", "CostCode", "AccountGroup"))  # type: ignore[return-value]


def one_line_of_its_own(entities: list[dict[str, Any]]) -> dict[str, Any]:
    """An Expense line that is the only ERP line of its WBS key (so its amount is the key's)."""
    cost = [e for e in entities if e["Type"]["value"] == "Expense"]
    keys = [key(e) for e in cost]
    return next(e for e in cost if keys.count(key(e)) == 1)


def sign_in_first_time(stack: RunningStack, email: str, new_password: str = PM_PASSWORD) -> str:
    outbox = request("GET", f"{stack.api_url}/dev/outbox")
    assert outbox.status == 200, outbox.body
    invitation = next(m for m in outbox.body if m["to"] == email)
    first = request(
        "POST",
        f"{stack.api_url}/session",
        {"email": email, "password": invitation["temporary_password"]},
    )
    assert first.status == 200, first.body
    assert first.body["challenge"] == "new_password_required"
    weak = request(
        "POST",
        f"{stack.api_url}/session/new-password",
        {"email": email, "session": first.body["session"], "new_password": "short"},
    )
    assert weak.status == 422 and weak.body["error"]["code"] == "weak_password"
    # The local pool keeps the deployed pool's rules (resources.PASSWORD_POLICY): twelve
    # characters are not enough without a symbol.
    no_symbol = request(
        "POST",
        f"{stack.api_url}/session/new-password",
        {"email": email, "session": first.body["session"], "new_password": "Freshstart22"},
    )
    assert no_symbol.status == 422, no_symbol.body
    assert "symbol" in no_symbol.body["error"]["message"]
    chosen = request(
        "POST",
        f"{stack.api_url}/session/new-password",
        {"email": email, "session": first.body["session"], "new_password": new_password},
    )
    assert chosen.status == 200, chosen.body
    return chosen.body["token"]


def test_a_new_company_connects_its_erp_links_a_job_invites_a_pm_who_reimports_a_change(
    stack: RunningStack,
) -> None:
    admin = stack.sign_in(ADMIN, DEMO_PASSWORD)
    before = request("GET", api(stack, "/erp/connection"), token=admin)
    catalog = request("GET", api(stack, "/cost-catalog"), token=admin)
    assert before.body == {"connection": None}
    assert catalog.body == {"cost_codes": [], "cost_types": []}

    refused = connect(stack, admin, "not-the-password")
    assert refused["ok"] is False and refused["code"] == "erp_auth_failed"
    stored = request("GET", api(stack, "/erp/connection"), token=admin).body["connection"]
    assert stored["status"] == "failing" and stored["credentials_set"] is True

    accepted = connect(stack, admin, "sandbox")
    assert accepted["ok"] is True and accepted["projects_visible"] == 2
    shown = request("GET", api(stack, "/erp/connection"), token=admin)
    assert shown.body["connection"]["status"] == "ok"
    assert "sandbox" not in str(shown.body)

    synced = request("POST", api(stack, "/cost-catalog/sync"), token=admin)
    assert synced.status == 200 and synced.body["added_cost_codes"] >= 4
    assert synced.body["added_cost_types"] >= 3

    projects = request("GET", api(stack, "/erp/projects"), token=admin).body["projects"]
    assert {(p["erp_job_id"], p["name"], p["project_id"]) for p in projects} == {
        ("F-3001", "Fresh Tower", None),
        ("F-3002", "Fresh Depot", None),
    }
    linked = request("POST", api(stack, "/erp/projects/F-3001/link"), {}, token=admin)
    assert linked.status == 201, linked.body
    assert linked.body["project_name"] == "Fresh Tower"
    assert linked.body["status"] == "ready_to_import"
    ready = request("GET", api(stack, "/erp/budgets?filter=ready_to_import"), token=admin)
    assert [b["erp_job_id"] for b in ready.body["budgets"]] == ["F-3001"]

    imported = run_job(stack, admin, linked.body["budget_id"], "import")
    assert imported["status"] == "succeeded", imported
    assert imported["summary"]["lines_added"] >= 25

    invited = request(
        "POST",
        api(stack, "/members"),
        {"email": PM, "erp_permission": "standard", "budget_permission": "standard"},
        token=admin,
    )
    assert invited.status == 201 and invited.body["status"] == "invited"
    pm = sign_in_first_time(stack, PM)

    erp = SandboxErpClient(stack.erp_url, tenant="Fresh")
    try:
        entity = one_line_of_its_own(erp.budget("F-3001"))
        erp.set_amount(entity, Decimal("424242.42"))
    finally:
        erp.logout()

    reimported = run_job(stack, pm, linked.body["budget_id"], "reimport")
    assert reimported["status"] == "succeeded", reimported
    assert reimported["summary"]["lines_updated"] == 1
    budget = request(
        "GET", api(stack, f"/projects/{linked.body['project_id']}/budget"), token=pm
    ).body
    changed = [
        line
        for line in budget["line_items"]
        if (line["sub_job"], line["cost_code"], line["cost_type"]) == key(entity)
    ]
    assert [line["original_budget_amount"] for line in changed] == ["424242.42"]

    members = request("GET", api(stack, "/members"), token=admin).body["members"]
    assert {(m["email"], m["status"]) for m in members} == {(ADMIN, "active"), (PM, "active")}
    actions = [
        e["action"] for e in request("GET", api(stack, "/audit"), token=admin).body["events"]
    ]
    assert actions[0] == "reimport.requested"
    assert {"connection.saved", "connection.tested", "catalog.synced", "project.linked",
            "import.requested", "member.added"} <= set(actions)  # fmt: skip


def test_the_operator_command_creates_a_company_whose_admin_signs_in_and_finds_it_empty(
    stack: RunningStack,
) -> None:
    port = stack.aws_url.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "devstack.company", "acme", "Acme Construction",
         "Admin@Acme.test", "--aws-port", port],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "functions")},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "admin@acme.test is ERP admin and Budget admin" in done.stdout

    token = sign_in_first_time(stack, "admin@acme.test", "Acme-admin-1")
    me = request("GET", f"{stack.api_url}/me", token=token).body
    companies = f"{stack.api_url}/companies/acme"
    budgets = request("GET", f"{companies}/erp/budgets", token=token).body
    connection = request("GET", f"{companies}/erp/connection", token=token).body

    assert me["companies"] == [
        {"company_id": "acme", "name": "Acme Construction",
         "erp_permission": "admin", "budget_permission": "admin",
         "target": "budget_bridge", "target_name": "Budget Bridge"}
    ]  # fmt: skip
    assert budgets["budgets"] == [] and connection == {"connection": None}


def test_the_demo_companys_imported_jobs_list_as_linked_and_cannot_be_linked_again(
    stack: RunningStack,
) -> None:
    """The seeded projects came from ERP jobs as a link and import would make them: each job
    shows its project in the ERP's project list, and linking it again is refused, not a second
    project for the same job."""
    token = stack.sign_in("admin@demo.test")
    projects = request("GET", f"{stack.api_url}/companies/demo/erp/projects", token=token)
    assert projects.status == 200, projects.body
    linked = {p["erp_job_id"]: p["project_id"] for p in projects.body["projects"]}
    assert linked["P-1001"] == "P-1001"
    again = request(
        "POST", f"{stack.api_url}/companies/demo/erp/projects/P-1001/link", {}, token=token
    )
    assert again.status == 409, again.body
    assert again.body["error"]["code"] == "already_linked"
