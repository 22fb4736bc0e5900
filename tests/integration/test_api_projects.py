"""GET /companies/{cid}/projects: where someone with Budget access and no ERP access starts; every
project budget of the company by name, paged, and nothing of another company's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.domain.model import Permission
from tests.integration.api_support import World

PROJECTS = "/api/v1/companies/demo/projects"
BUDGET_ONLY = "budget-only@demo.test"


@pytest.fixture(autouse=True)
def budget_only(world: World) -> None:
    world.ports.directory.put_member("demo", BUDGET_ONLY, Permission.NONE, Permission.READ_ONLY)


def _get(client: Client, world: World, query: str = "", who: str = BUDGET_ONLY) -> Any:
    answer = client.http.get(PROJECTS + query, headers=world.headers(who))
    assert answer.status_code == 200, answer.body
    return json.loads(answer.body)


def test_a_budget_reader_without_erp_access_lists_every_project_budget_by_name(
    client: Client, world: World
) -> None:
    listed = _get(client, world)

    rows = {p["project_id"]: p for p in listed["projects"]}
    assert list(rows) == ["p-1001", "p-1002", "p-1003", "p-1004"]  # by name: "Project 1001 of demo"
    assert rows["p-1001"] == {
        "project_id": "p-1001",
        "project_name": "Project 1001 of demo",
        "budget_id": "b-1001",
        "status": "synced",
        "locked": False,
        "locked_in_target": False,
        "total": "2050.00",
        "line_count": 3,
        "target_name": "Budget Bridge",
    }
    assert rows["p-1002"]["locked"] is True
    assert (rows["p-1004"]["status"], rows["p-1004"]["line_count"]) == ("ready_to_import", 0)
    assert listed["next_cursor"] is None


def test_the_list_pages_by_name_without_repeating_a_project(client: Client, world: World) -> None:
    seen: list[str] = []
    page = _get(client, world, "?limit=1")
    while True:
        seen += [p["project_id"] for p in page["projects"]]
        if page["next_cursor"] is None:
            break
        page = _get(client, world, f"?limit=1&cursor={page['next_cursor']}")

    assert seen == ["p-1001", "p-1002", "p-1003", "p-1004"]


def test_no_budget_access_is_403_and_another_company_is_404(client: Client, world: World) -> None:
    world.ports.directory.put_member(
        "demo", "erp-only@demo.test", Permission.ADMIN, Permission.NONE
    )
    headers = world.headers(BUDGET_ONLY)

    erp_only = client.http.get(PROJECTS, headers=world.headers("erp-only@demo.test"))
    other = client.http.get("/api/v1/companies/other/projects", headers=headers)

    assert erp_only.status_code == 403
    assert other.status_code == 404
