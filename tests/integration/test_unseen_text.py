"""Codes and names people type for others to read hold nothing no one can see: a cost code with a
space at either end would be a second code that looks like the first in every list, and a project
name with a right-to-left override shows one name and is another (docs/adoption.md)."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client

from tests.integration.api_support import World, erp_user

PREFIX = "/api/v1/companies/demo"
CATALOG = {
    "cost_codes": [{"code": "03-300", "description": "Concrete"}],
    "cost_types": [{"code": "M", "description": "Material"}],
}


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (" 03-300 ", "cannot begin or end with a space"),
        ("03-300\t", "a control character (U+0009)"),
        ("03-300\u00a0", "cannot begin or end with a space"),
        ("03\u0000300", "a control character (U+0000)"),
        ("03-3\u200b00", "an invisible formatting character (U+200B)"),
    ],
)
def test_a_cost_code_no_one_could_tell_apart_is_refused_and_nothing_is_saved(
    client: Client, world: World, code: str, said: str
) -> None:
    headers = world.headers(erp_user("admin"))
    before = client.http.get(f"{PREFIX}/cost-catalog", headers=headers).body
    body = {**CATALOG, "cost_codes": [*CATALOG["cost_codes"], {"code": code}]}

    answer = client.http.put(f"{PREFIX}/cost-catalog", headers=headers, body=json.dumps(body))

    assert answer.status_code == 422, answer.body
    error = json.loads(answer.body)["error"]
    assert error["code"] == "validation_failed"
    assert said in error["message"]
    assert client.http.get(f"{PREFIX}/cost-catalog", headers=headers).body == before


def test_a_project_name_with_a_direction_override_is_refused_before_the_erp_is_asked(
    client: Client, world: World
) -> None:
    asked: list[str] = []
    world.ports.erp_sources = lambda connection, credentials: asked.append("erp")
    headers = world.headers(erp_user("admin"))
    body = json.dumps({"project_name": "Quay \u202eLofts"})

    answer = client.http.post(f"{PREFIX}/erp/projects/P-1005/link", headers=headers, body=body)

    assert answer.status_code == 422, answer.body
    error = json.loads(answer.body)["error"]
    assert error["code"] == "validation_failed"
    assert "an invisible formatting character (U+202E)" in error["message"]
    assert asked == []
