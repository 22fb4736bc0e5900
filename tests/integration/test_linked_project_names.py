"""The ERP Projects list names each linked project as it was named when linked, which may not be
the ERP's name (PRODUCT: `POST /erp/projects/{erp_job_id}/link {project_name?}`); in memory and on
moto, through the API."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from tests.integration.api_support import World, both_user

ERP = "/api/v1/companies/demo/erp"


def _call(client: Client, world: World, method: str, path: str, body: Any = None) -> Any:
    answer = getattr(client.http, method)(
        ERP + path, headers=world.headers(both_user("admin")),
        **({} if body is None else {"body": json.dumps(body)}),
    )  # fmt: skip
    assert answer.status_code in (200, 201, 204), answer.body
    return json.loads(answer.body) if answer.body else None


def test_the_projects_list_names_a_linked_project_by_the_name_it_was_given(
    client: Client, world: World
) -> None:
    world.restore()  # the connection the adoption routes read
    linked = _call(client, world, "post", "/projects/P-1006/link", {"project_name": "Tower A"})
    named_as_erp = _call(client, world, "post", "/projects/P-1007/link", {})

    rows = {p["erp_job_id"]: p for p in _call(client, world, "get", "/projects")["projects"]}

    assert (rows["P-1006"]["name"], rows["P-1006"]["project_name"]) == ("Job P-1006", "Tower A")
    assert rows["P-1006"]["project_id"] == linked["project_id"]
    assert rows["P-1007"]["project_name"] == named_as_erp["project_name"] == "Job P-1007"


def test_an_unlinked_project_has_no_project_name(client: Client, world: World) -> None:
    world.restore()
    _call(client, world, "post", "/projects/P-1006/link", {"project_name": "Tower A"})
    _call(client, world, "delete", "/projects/P-1006/link")

    rows = {p["erp_job_id"]: p for p in _call(client, world, "get", "/projects")["projects"]}

    assert (rows["P-1006"]["project_id"], rows["P-1006"]["project_name"]) == (None, None)
