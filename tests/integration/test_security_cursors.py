"""Forged list cursors: refused with a 400 sentence, never a 500, never another company's rows."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.adapters.dynamodb.base import decode_cursor
from chalicelib.domain.errors import InvalidRequest
from tests.fixtures.api import app_client, moto_world_with_connectors
from tests.integration.api_support import World, both_user, build_world, erp_user

ERP = "/api/v1/companies/demo/erp"


def forged(payload: dict[str, Any]) -> str:
    """A cursor shaped like ours (base64 JSON) with fields of the forger's choosing."""
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def world() -> Iterator[World]:
    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield build_world("moto")


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "path",
    [
        f"{ERP}/budgets?cursor=" + forged({"after": ""}),
        f"{ERP}/budgets?filter=synced&cursor=" + forged({"after": ""}),
        f"{ERP}/jobs?cursor="
        + forged({"pk": "", "sk": "", "gsi1pk": "COMPANY#demo", "gsi1sk": ""}),
        f"{ERP}/jobs?budget_id=b-1001&cursor="
        + forged({"pk": "", "sk": "META", "gsi2pk": "BUDGET#demo#b-1001", "gsi2sk": ""}),
    ],
    ids=["budgets", "synced-budgets", "jobs", "jobs-of-a-budget"],
)
def test_a_cursor_with_empty_fields_is_refused_as_not_ours(
    client: Client, world: World, path: str
) -> None:
    answer = client.http.get(path, headers=world.headers(erp_user("admin")))

    assert answer.status_code == 400, answer.body
    assert "cursor" in json.loads(answer.body)["error"]["message"]


def test_a_jobs_cursor_naming_another_company_is_refused(client: Client, world: World) -> None:
    cursor = forged(
        {"pk": "JOB#other#job-1", "sk": "META", "gsi1pk": "COMPANY#other", "gsi1sk": "z"}
    )

    answer = client.http.get(
        f"{ERP}/jobs?cursor={cursor}", headers=world.headers(erp_user("admin"))
    )

    assert answer.status_code == 400, answer.body


LONGER_THAN_A_KEY = "z" * 1025  # DynamoDB refuses a sort key value over 1,024 bytes


@pytest.mark.parametrize(
    "payload,fields",
    [
        ({"after": LONGER_THAN_A_KEY}, ["after"]),
        ({"before": LONGER_THAN_A_KEY}, ["before"]),
        ({"sk": "VERSION#" + LONGER_THAN_A_KEY}, ["sk"]),
        (
            {
                "pk": "JOB#demo#j",
                "sk": "META",
                "gsi1pk": "COMPANY#demo",
                "gsi1sk": LONGER_THAN_A_KEY,
            },
            ["pk", "sk", "gsi1pk", "gsi1sk"],
        ),
    ],
    ids=["budgets", "audit", "history", "jobs"],
)
def test_a_cursor_field_longer_than_a_dynamodb_key_is_refused_before_any_query(
    payload: dict[str, Any], fields: list[str]
) -> None:
    """moto takes such a key; DynamoDB answers a ValidationException, which would be a 500."""
    with pytest.raises(InvalidRequest, match="cursor"):
        decode_cursor(forged(payload), fields)


def offset_cursor(text: str) -> str:
    """An offset cursor as the API writes them (base64 of `o:<offset>`), with any offset."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "text", ["o:10000000000000000000", "o:1000000001", "v:1:10000000000000000000"]
)
def test_an_offset_cursor_beyond_any_list_is_refused_as_not_ours(text: str) -> None:
    # The spreadsheet import lists its jobs from memory, sliced at the offset: one past what a
    # C index holds was a 500.
    with moto_world_with_connectors() as world, app_client(world.ports) as client:
        headers = world.headers(both_user("admin"))
        body = json.dumps({"erp_system": "spreadsheet"})
        client.http.put("/api/v1/companies/demo/erp/connection", headers=headers, body=body)

        answer = client.http.get(f"{ERP}/projects?cursor={offset_cursor(text)}", headers=headers)
        first = client.http.get(f"{ERP}/projects?cursor={offset_cursor('o:0')}", headers=headers)

    assert answer.status_code == 400, answer.body
    assert json.loads(answer.body)["error"] == {
        "code": "invalid_request",
        "message": "The cursor is not one this API gave out.",
    }
    assert first.status_code == 200, first.body


def test_a_cursor_given_out_for_another_list_is_refused_by_the_budget_and_the_history_page() -> (
    None
):
    """A budget's cursor names the version it pages; a history version's or a job's does not, and
    handed to the budget it paged the current version from an offset nobody chose."""
    with moto_world_with_connectors() as world, app_client(world.ports) as client:
        headers = world.headers(both_user("admin"))
        budget = "/api/v1/companies/demo/projects/p-1001/budget"
        at_version = f"{budget}/history/0"
        cursor = json.loads(client.http.get(f"{budget}?limit=1", headers=headers).body)
        own = client.http.get(f"{budget}?cursor={cursor['next_cursor']}", headers=headers)
        borrowed = client.http.get(f"{budget}?cursor={offset_cursor('o:1')}", headers=headers)
        reversed_ = client.http.get(f"{at_version}?cursor={cursor['next_cursor']}", headers=headers)

    assert own.status_code == 200, own.body
    for answer in (borrowed, reversed_):
        assert answer.status_code == 400, answer.body
        assert json.loads(answer.body)["error"]["code"] == "invalid_request"


def test_a_budget_s_cursor_is_refused_by_another_budget() -> None:
    """It names the version it pages: on another budget it paged that budget's version of the
    same number (or answered 410 when there was none), from an offset nobody chose there."""
    with moto_world_with_connectors() as world, app_client(world.ports) as client:
        headers = world.headers(both_user("admin"))
        projects = "/api/v1/companies/demo/projects"
        first = json.loads(
            client.http.get(f"{projects}/p-1001/budget?limit=1", headers=headers).body
        )
        cursor = first["next_cursor"]
        other = client.http.get(f"{projects}/p-1003/budget?cursor={cursor}", headers=headers)
        own = client.http.get(f"{projects}/p-1001/budget?cursor={cursor}", headers=headers)

    assert cursor is not None
    assert other.status_code == 400, other.body
    assert json.loads(other.body)["error"] == {
        "code": "invalid_request",
        "message": "The cursor pages another budget: pass this budget's next_cursor.",
    }
    assert own.status_code == 200, own.body
