"""A line edit whose number has an exponent past what Python's decimal context holds is refused
like any other out-of-range number: 422 `validation_failed` naming the field, never a 500
(docs/api.md, "Errors": the API never answers 500 for bad input). Such numbers made abs() raise
decimal.Overflow in the edit models (entrypoints/api/schemas.py) and in domain/money.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from chalice.test import Client

from tests.fixtures.api import app_client
from tests.integration.api_support import World, build_world, erp_user

PROJECT = "/api/v1/companies/demo/projects/p-1001/budget"
BEYOND_ANY_CONTEXT = ["1e1000000", "-1e999999999", "1e999999999", "1E+1000000", "-1e1000000"]
OTHER_EXTREMES = ["1e-1000000", "9" * 5000, "0e999999999", "sNaN", "1e9999999999999999999"]


@pytest.fixture
def world() -> World:
    return build_world("memory")


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


def refused_naming(client: Client, world: World, field: str, text: str) -> str:
    headers = world.headers(erp_user("admin"))
    line = f"{PROJECT}/line_items/{world.ids['line_item_id']}"

    answer = client.http.patch(line, headers=headers, body=json.dumps({field: text}))

    assert answer.status_code == 422, answer.body
    error = json.loads(answer.body)["error"]
    assert error["code"] == "validation_failed"
    assert error["message"].startswith(f"The field '{field}' is not valid: ")
    assert error["message"].endswith(".") and len(error["message"]) < 300
    budget = json.loads(client.http.get(PROJECT, headers=headers).body)
    assert budget["total"] == "2050.00", "nothing changed"
    return str(error["message"])


@pytest.mark.parametrize("text", BEYOND_ANY_CONTEXT + OTHER_EXTREMES, ids=lambda t: t[:24])
@pytest.mark.parametrize("field", ["quantity", "unit_cost"])
def test_a_quantity_or_unit_cost_with_a_huge_exponent_is_refused_naming_the_field(
    client: Client, world: World, field: str, text: str
) -> None:
    refused_naming(client, world, field, text)


@pytest.mark.parametrize("text", BEYOND_ANY_CONTEXT, ids=lambda t: t[:24])
def test_a_quantity_with_a_huge_exponent_gets_the_sentence_of_a_too_large_one(
    client: Client, world: World, text: str
) -> None:
    said = refused_naming(client, world, "quantity", text)

    assert said == refused_naming(client, world, "quantity", "1e15")


@pytest.mark.parametrize("text", BEYOND_ANY_CONTEXT + OTHER_EXTREMES, ids=lambda t: t[:24])
def test_an_amount_with_a_huge_exponent_is_refused_naming_the_field(
    client: Client, world: World, text: str
) -> None:
    said = refused_naming(client, world, "original_budget_amount", text)

    if text in BEYOND_ANY_CONTEXT:
        assert "is beyond ±999,999,999,999.99" in said  # as "1e15" is told
