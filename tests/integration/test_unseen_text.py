"""Codes and names people type for others to read hold nothing no one can see: a cost code with a
space at either end would be a second code that looks like the first in every list, and a project
name with a right-to-left override shows one name and is another (docs/adoption.md)."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client

from chalicelib.domain.model import CatalogEntry, ErpCatalog
from tests.integration.api_support import World, erp_user

PREFIX = "/api/v1/companies/demo"
CATALOG = {
    "cost_codes": [{"code": "03-300", "description": "Concrete"}],
    "cost_types": [{"code": "M", "description": "Material"}],
}


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (" 03-310 ", "cannot begin or end with a space"),
        ("03-310\u00a0", "cannot begin or end with a space"),
        ("03-310\t", "a control character (U+0009)"),
        ("03\u0000310", "a control character (U+0000)"),
        ("03-3\u200b10", "an invisible formatting character (U+200B)"),
        ("03-3\u200d10", "an invisible formatting character (U+200D)"),
    ],
)
def test_a_new_cost_code_no_one_could_tell_apart_is_refused_and_nothing_is_saved(
    client: Client, world: World, code: str, said: str
) -> None:
    headers = world.headers(erp_user("admin"))
    before = client.http.get(f"{PREFIX}/cost-catalog", headers=headers).body
    body = {**CATALOG, "cost_codes": [*CATALOG["cost_codes"], {"code": code}]}

    answer = client.http.put(f"{PREFIX}/cost-catalog", headers=headers, body=json.dumps(body))

    assert answer.status_code == 422, answer.body
    error = json.loads(answer.body)["error"]
    assert error["code"] == "invalid_code"
    assert said in error["message"]
    assert client.http.get(f"{PREFIX}/cost-catalog", headers=headers).body == before


def test_a_code_already_in_the_catalog_does_not_stop_the_rest_from_being_saved(
    client: Client, world: World
) -> None:
    """Saved before the rule, or added from the ERP: the web app sends the whole catalog back."""
    odd = "03-3\u200b00"
    world.ports.directory.save_catalog(
        "demo",
        ErpCatalog([CatalogEntry("03-300", ""), CatalogEntry(odd, "")], [CatalogEntry("M", "")]),
    )
    headers = world.headers(erp_user("admin"))
    body = {
        "cost_codes": [{"code": "03-300"}, {"code": odd}, {"code": "05-100"}],
        "cost_types": [{"code": "M"}],
    }

    answer = client.http.put(f"{PREFIX}/cost-catalog", headers=headers, body=json.dumps(body))

    assert answer.status_code == 200, answer.body
    assert {e["code"] for e in json.loads(answer.body)["cost_codes"]} == {"03-300", odd, "05-100"}


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


@pytest.mark.parametrize(
    "name", ["\u06a9\u062a\u0627\u0628\u200c\u0647\u0627", "Crew \U0001f477\u200d\u2640\ufe0f"]
)
def test_a_name_may_hold_the_joiners_its_writing_needs(name: str) -> None:
    from chalicelib.entrypoints.api.schemas import LinkBody

    assert LinkBody.model_validate({"project_name": name}).project_name == name
