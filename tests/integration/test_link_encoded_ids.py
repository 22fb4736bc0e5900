"""ERP job ids in the link routes are the ids the person chose, not their URL encoding.

The web app URL-encodes a job id in the path (frontend/src/api.ts), and the local Chalice server
hands path parameters on still encoded: `S%201502` must link and unlink the job `S 1502`, as the
member routes already read `a%40b.test` as `a@b.test`. Through the API on moto, with the
spreadsheet import (which links any id the admin names) and the DynamoDB directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.services import erp_projects
from tests.fixtures.api import app_client, moto_world_with_connectors
from tests.fixtures.services import me
from tests.integration.api_support import World, both_user

PREFIX = "/api/v1/companies/demo"
ADMIN = both_user("admin")


@pytest.fixture
def world() -> Iterator[World]:
    with moto_world_with_connectors() as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        saved = call(test_client, world, "put", "/erp/connection", {"erp_system": "spreadsheet"})
        assert saved[0] == 200, saved
        yield test_client


def call(client: Client, world: World, method: str, path: str, body: Any = None) -> Any:
    answer = getattr(client.http, method)(
        PREFIX + path, headers=world.headers(ADMIN),
        **({} if body is None else {"body": json.dumps(body)}),
    )  # fmt: skip
    return answer.status_code, json.loads(answer.body) if answer.body else None


def test_an_encoded_job_id_links_the_job_it_names(client: Client, world: World) -> None:
    status, linked = call(client, world, "post", "/erp/projects/S%201502/link", {})

    assert status == 201, linked
    assert linked["project_name"] == "S 1502"
    budget = world.budgets.get("demo", linked["budget_id"])
    assert budget.erp_job_id == "S 1502"
    assert world.ports.directory.links("demo").get("S 1502") == linked["project_id"]
    assert "S%201502" not in world.ports.directory.links("demo")


def test_an_encoded_job_id_unlinks_the_job_it_names(client: Client, world: World) -> None:
    budget = erp_projects.link(world.ports, me(ADMIN), "demo", "S 1502", "Harbour")

    status, body = call(client, world, "delete", "/erp/projects/S%201502/link")

    assert status == 204, body
    assert "S 1502" not in world.ports.directory.links("demo")
    assert world.budgets.get("demo", budget.budget_id).project_name == "Harbour"  # it stays
