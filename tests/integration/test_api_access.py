"""Every route, table-driven: sign-in required, permissions per tool (docs/domain-rules.md), and tenancy (404s).

The rows are checked against `app.routes`, so a route added without a row here fails the suite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib.domain.model import Permission
from tests.fixtures.api import app_client
from tests.integration.api_support import (
    LEVELS,
    TokenIssuer,
    World,
    both_user,
    budget_user,
    build_world,
    erp_user,
)

PREFIX = "/api/v1"
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("POST", "/session"),
    ("POST", "/session/new-password"),  # an invited person has no token yet
    ("GET", "/dev/outbox"),  # the local stack's mail catcher; 404 anywhere else
}
ERP, BUDGET = "erp", "budget"
# Routes for a level in EITHER tool: checked with members holding that level in both tools.
EITHER = "either"
C = "/companies/{company_id}"
PB = C + "/projects/{project_id}/budget"


@dataclass(frozen=True)
class Rule:
    tool: str | None  # None: any signed-in user
    at_least: str = "read_only"
    body: dict[str, Any] | None = None
    ids: dict[str, str] = field(default_factory=dict)  # path parameters other than the defaults
    query: str = ""  # a query string the route needs


ROWS: dict[tuple[str, str], Rule] = {
    ("GET", "/me"): Rule(None),
    ("GET", C + "/erp/budgets"): Rule(ERP),
    ("POST", C + "/erp/budgets/{budget_id}/import"): Rule(
        ERP, "standard", ids={"budget_id": "b-1004"}
    ),
    ("POST", C + "/erp/budgets/{budget_id}/reimport"): Rule(ERP, "standard"),
    ("POST", C + "/erp/budgets/{budget_id}/exports"): Rule(
        ERP, "admin", body={"file_name": "budget.csv", "size": 2048}
    ),
    ("GET", C + "/erp/spreadsheet/mapping"): Rule(ERP),
    ("PUT", C + "/erp/spreadsheet/mapping"): Rule(
        ERP,
        "admin",
        body={"cost_code_column": "Code", "cost_type_column": "Type", "amount_column": "Amount"},
    ),
    ("POST", C + "/erp/budgets/{budget_id}/preview"): Rule(ERP, "standard"),
    ("GET", C + "/erp/jobs"): Rule(ERP),
    ("GET", C + "/erp/jobs/{job_id}"): Rule(ERP),
    ("GET", C + "/erp/jobs/{job_id}/changes"): Rule(ERP),
    ("GET", C + "/erp/jobs/{job_id}/errors"): Rule(ERP),
    ("GET", C + "/erp/jobs/{job_id}/changes.csv"): Rule(ERP),
    ("GET", C + "/erp/settings"): Rule(ERP),
    ("PUT", C + "/erp/settings"): Rule(
        ERP, "admin", body={"auto_reimport": {"enabled": True, "every_hours": 12}}
    ),
    ("GET", C + "/target"): Rule(ERP),
    ("PUT", C + "/target"): Rule(ERP, "admin", body={"target": "budget_bridge"}),
    ("GET", C + "/erp/mapping-preview"): Rule(ERP, "admin", query="?erp_job_id=P-1001"),
    ("GET", C + "/projects"): Rule(BUDGET),
    ("GET", PB): Rule(BUDGET),
    ("GET", C + "/projects/{project_id}/budget.csv"): Rule(BUDGET),
    ("GET", PB + "/history"): Rule(BUDGET),
    ("GET", PB + "/history/{version}"): Rule(BUDGET),
    ("POST", PB + "/history/{version}/restore"): Rule(BUDGET, "admin"),
    ("PATCH", PB + "/line_items/{line_item_id}"): Rule(
        BUDGET, "standard", body={"description": "Formwork, edited"}
    ),
    ("POST", PB + "/lock"): Rule(BUDGET, "admin"),
    ("DELETE", PB + "/lock"): Rule(BUDGET, "admin"),
    ("GET", C + "/erp/connection"): Rule(ERP),
    ("PUT", C + "/erp/connection"): Rule(
        ERP,
        "admin",
        body={
            "erp_system": "acumatica",
            "base_url": "https://93.184.216.34",
            "settings": {"company": "Demo"},
            "credentials": {"username": "u", "password": "p"},
        },
    ),
    ("DELETE", C + "/erp/connection"): Rule(ERP, "admin"),
    ("POST", C + "/erp/connection/test"): Rule(ERP, "admin"),
    ("GET", C + "/erp/projects"): Rule(ERP, "standard"),
    ("POST", C + "/erp/projects/{erp_job_id}/link"): Rule(
        ERP, "admin", body={"project_name": "Linked"}, ids={"erp_job_id": "P-1006"}
    ),
    ("DELETE", C + "/erp/projects/{erp_job_id}/link"): Rule(ERP, "admin"),
    ("GET", C + "/cost-catalog"): Rule(EITHER),
    ("PUT", C + "/cost-catalog"): Rule(
        ERP,
        "admin",
        body={
            "cost_codes": [{"code": "03-300", "description": "Concrete"}, {"code": "05-100"}],
            "cost_types": [{"code": "L"}, {"code": "M"}, {"code": "S"}],
        },
    ),
    ("POST", C + "/cost-catalog/sync"): Rule(ERP, "admin"),
    ("GET", C + "/members"): Rule(EITHER, "admin"),
    ("POST", C + "/members"): Rule(
        EITHER,
        "admin",
        body={"email": "new@demo.test", "erp_permission": "none", "budget_permission": "none"},
    ),
    ("PATCH", C + "/members/{email}"): Rule(EITHER, "admin", body={"erp_permission": "read_only"}),
    ("DELETE", C + "/members/{email}"): Rule(EITHER, "admin"),
    ("GET", C + "/audit"): Rule(EITHER, "admin"),
}
PROTECTED = sorted(ROWS)


def _route_id(route: tuple[str, str]) -> str:
    return f"{route[0]} {route[1]}"


@pytest.fixture(scope="module", params=["memory", "moto"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """Each check runs against the in-memory stores and the DynamoDB adapters on moto."""
    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield build_world(request.param)


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    world.restore()  # the connection, link and member the adoption routes change or remove
    with app_client(world.ports) as test_client:
        yield test_client


def call(
    client: Client,
    route: tuple[str, str],
    ids: dict[str, str],
    headers: dict[str, str],
) -> Any:
    method, template = route
    rule = ROWS[route]
    path = (
        PREFIX
        + template.format(**{**ids, **rule.ids} if ids.get("company_id") == "demo" else ids)
        + rule.query
    )
    body = json.dumps(rule.body) if rule.body is not None else None
    return client.http.request(method, path, headers=headers, body=body or b"")


def error_of(answer: Any) -> dict[str, Any]:
    body = json.loads(answer.body)
    assert set(body) == {"error"}, f"an error answer carries only the error: {body}"
    return body["error"]


def test_every_route_of_the_app_has_a_row_in_this_table() -> None:
    served = {
        (method, path.removeprefix(PREFIX))
        for path, methods in app.routes.items()
        for method in methods
    }

    assert served - PUBLIC == set(ROWS), "add a row to ROWS for each new route"


@pytest.mark.parametrize("route", PROTECTED, ids=_route_id)
def test_a_request_without_a_token_is_refused(client: Client, world: World, route: Any) -> None:
    for headers in ({}, {"Authorization": "Basic YWRtaW46c2VjcmV0"}, {"Authorization": "Bearer"}):
        answer = call(client, route, world.ids, headers)

        assert answer.status_code == 401
        assert error_of(answer)["code"] == "unauthorized"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        # RFC 6750 3.1: no credentials, or another scheme's, get the challenge without an error.
        bearer = headers.get("Authorization", "").startswith("Bearer")
        assert ("invalid_token" in answer.headers["WWW-Authenticate"]) == bearer


@pytest.mark.parametrize("route", PROTECTED, ids=_route_id)
def test_a_forged_token_is_refused(client: Client, world: World, route: Any) -> None:
    forger = TokenIssuer(kid=world.identity.issuer.kid)  # same key id, another private key
    headers = {"Authorization": f"Bearer {forger.token(erp_user('admin'))}"}

    answer = call(client, route, world.ids, headers)

    assert answer.status_code == 401
    assert error_of(answer)["code"] == "unauthorized"


@pytest.mark.parametrize("route", PROTECTED, ids=_route_id)
def test_an_expired_token_is_refused(client: Client, world: World, route: Any) -> None:
    token = world.identity.issuer.token(erp_user("admin"), expires_in=-600)

    answer = call(client, route, world.ids, {"Authorization": f"Bearer {token}"})

    assert answer.status_code == 401
    assert "sign in again" in error_of(answer)["message"]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("route", PROTECTED, ids=_route_id)
def test_each_permission_level_gets_what_its_tool_allows(
    client: Client, world: World, route: Any, level: str
) -> None:
    rule = ROWS[route]
    users = {BUDGET: budget_user, EITHER: both_user}
    user = users.get(rule.tool or ERP, erp_user)(level)
    allowed = rule.tool is None or Permission.parse(level) >= Permission.parse(rule.at_least)

    answer = call(client, route, world.ids, world.headers(user))

    if allowed:
        # 409 is a permitted caller meeting the budget's state (locked, job running), not a refusal.
        assert 200 <= answer.status_code < 300 or answer.status_code == 409, answer.body
    else:
        assert answer.status_code == 403, answer.body
        error = error_of(answer)
        assert error["code"] == "forbidden"
        assert rule.at_least.replace("_", "-") in error["message"]


TOOL_WORDS = {
    ERP: "in the ERP Integrations tool",
    BUDGET: "in the Budget tool",
    EITHER: "in the ERP Integrations or the Budget tool",
}


@pytest.mark.parametrize("route", [r for r in PROTECTED if ROWS[r].tool], ids=_route_id)
def test_a_refusal_names_the_tool_and_the_level_the_route_needs(
    client: Client, world: World, route: Any
) -> None:
    """Checked with members who hold the same level in both tools, so the sentence cannot name
    the wrong tool and still read true."""
    rule = ROWS[route]
    assert rule.tool is not None
    below = [level for level in LEVELS if Permission.parse(level) < Permission.parse(rule.at_least)]

    for level in below:
        answer = call(client, route, world.ids, world.headers(both_user(level)))

        assert answer.status_code == 403, (level, answer.body)
        message = error_of(answer)["message"]
        assert f"You need {rule.at_least.replace('_', '-')} permission" in message, message
        assert TOOL_WORDS[rule.tool] in message, message


def test_a_removed_member_s_token_answers_404_at_once(client: Client, world: World) -> None:
    member = world.headers("member@demo.test")
    before = client.http.get(f"{PREFIX}/companies/demo/erp/budgets", headers=member)

    removed = client.http.delete(
        f"{PREFIX}/companies/demo/members/member@demo.test",
        headers=world.headers(both_user("admin")),
    )
    after = client.http.get(f"{PREFIX}/companies/demo/erp/budgets", headers=member)
    me = client.http.get(f"{PREFIX}/me", headers=member)

    assert (before.status_code, removed.status_code, after.status_code) == (200, 204, 404)
    assert json.loads(me.body)["companies"] == []


@pytest.mark.parametrize("level", ["none", "read_only", "standard"])
def test_a_member_below_admin_in_both_tools_cannot_invite_or_change_anyone(
    client: Client, world: World, level: str
) -> None:
    world.restore()
    headers = world.headers(both_user(level))
    members = f"{PREFIX}/companies/demo/members"
    invite = {"email": "x@demo.test", "erp_permission": "admin", "budget_permission": "admin"}
    promote = {"erp_permission": "admin", "budget_permission": "admin"}

    answers = [
        client.http.post(members, headers=headers, body=json.dumps(invite)),
        client.http.patch(
            f"{members}/{both_user(level)}", headers=headers, body=json.dumps(promote)
        ),
        client.http.patch(f"{members}/member@demo.test", headers=headers, body=json.dumps(promote)),
        client.http.delete(f"{members}/member@demo.test", headers=headers),
    ]

    assert [a.status_code for a in answers] == [403] * 4
    me = world.ports.directory.membership("demo", both_user(level))
    assert me is not None and me.erp_permission.label == level
    assert world.ports.directory.membership("demo", "x@demo.test") is None
    assert world.ports.directory.membership("demo", "member@demo.test") is not None


@pytest.mark.parametrize("route", [r for r in PROTECTED if ROWS[r].tool], ids=_route_id)
def test_a_company_the_caller_is_not_in_does_not_exist_for_them(
    client: Client, world: World, route: Any
) -> None:
    answer = call(client, route, world.other_ids, world.headers(erp_user("admin")))

    assert answer.status_code == 404
    assert error_of(answer)["code"] == "not_found"
    assert b"Other Builders" not in answer.body and b"2001" not in answer.body


@pytest.mark.parametrize(
    "route",
    [
        r
        for r in PROTECTED
        if ROWS[r].tool
        and set(r[1].split("/"))
        & {"{budget_id}", "{job_id}", "{project_id}", "{erp_job_id}", "{email}"}
    ],
    ids=_route_id,
)
def test_another_company_s_ids_under_the_caller_s_company_are_not_found(
    client: Client, world: World, route: Any
) -> None:
    mixed = {**world.other_ids, "company_id": "demo"}
    method, template = route
    path = PREFIX + template.format(**mixed)
    body = json.dumps(ROWS[route].body) if ROWS[route].body else b""

    answer = client.http.request(method, path, headers=world.headers(erp_user("admin")), body=body)

    assert answer.status_code == 404
    assert b"2001" not in answer.body and b"2002" not in answer.body
    assert world.budgets.get("other", "b-2001").locked is False


def test_lists_of_the_caller_s_company_hold_nothing_of_another_company(
    client: Client, world: World
) -> None:
    headers = world.headers(erp_user("admin"))

    budgets = client.http.get(f"{PREFIX}/companies/demo/erp/budgets", headers=headers)
    jobs = client.http.get(f"{PREFIX}/companies/demo/erp/jobs", headers=headers)

    assert {b["budget_id"] for b in json.loads(budgets.body)["budgets"]} >= {"b-1001", "b-1004"}
    for answer in (budgets, jobs):
        assert answer.status_code == 200
        # The other company's ids (b-2001, p-2001, P-2001, ...), not any "2001": a job's
        # microsecond timestamp may hold those digits.
        assert not re.search(rb"[bpP]-200[12]", answer.body)


@pytest.mark.parametrize("budget_id", ["b-2002", "b-9999"], ids=["another-company-s", "nobody-s"])
def test_jobs_filtered_by_a_budget_the_company_does_not_have_answer_404_like_the_budget(
    client: Client, world: World, budget_id: str
) -> None:
    """Tenancy (docs/domain-rules.md): another company's budget id (b-2002 has a job there) is not
    found, as on the budget's own routes, where it used to list no jobs with 200."""
    headers = world.headers(erp_user("read_only"))
    jobs = f"{PREFIX}/companies/demo/erp/jobs"

    by_budget = client.http.get(f"{jobs}?budget_id={budget_id}", headers=headers)
    budget_route = client.http.post(
        f"{PREFIX}/companies/demo/erp/budgets/{budget_id}/reimport",
        headers=world.headers(erp_user("admin")),
        body=b"",
    )

    assert (by_budget.status_code, budget_route.status_code) == (404, 404)
    assert error_of(by_budget) == error_of(budget_route)
    assert error_of(by_budget)["code"] == "not_found"
    assert b"2002" not in by_budget.body and b"Other Builders" not in by_budget.body


def test_jobs_filtered_by_one_of_the_company_s_budgets_list_its_jobs(
    client: Client, world: World
) -> None:
    """Other tests of this module's world request jobs too: only the filter is checked here."""
    headers = world.headers(erp_user("read_only"))

    answer = client.http.get(f"{PREFIX}/companies/demo/erp/jobs?budget_id=b-1003", headers=headers)

    assert answer.status_code == 200
    listed = json.loads(answer.body)["jobs"]
    assert world.ids["job_id"] in [job["job_id"] for job in listed]
    assert {job["budget_id"] for job in listed} == {"b-1003"}


def test_me_lists_only_the_caller_s_companies_with_their_permissions(
    client: Client, world: World
) -> None:
    answer = client.http.get(f"{PREFIX}/me", headers=world.headers(budget_user("read_only")))

    assert json.loads(answer.body) == {
        "email": budget_user("read_only"),
        "companies": [
            {
                "company_id": "demo",
                "name": "Demo Construction Co.",
                "erp_permission": "admin",
                "budget_permission": "read_only",
                "target": "budget_bridge",
                "target_name": "Budget Bridge",
            }
        ],
    }
