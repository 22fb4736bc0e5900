"""Malformed requests get a 4xx with a sentence naming the problem, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from tests.fixtures.api import app_client
from tests.integration.api_support import World, build_world, erp_user

SETTINGS = "/api/v1/companies/demo/erp/settings"
BUDGETS = "/api/v1/companies/demo/erp/budgets"
PROJECT = "/api/v1/companies/demo/projects/p-1001/budget"


@pytest.fixture
def world() -> World:
    return build_world("memory")


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


def error_of(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.body
    error = json.loads(answer.body)["error"]
    assert error["message"].endswith("."), "a message is a sentence"
    return error


def line_path(world: World) -> str:
    return f"{PROJECT}/line_items/{world.ids['line_item_id']}"


def test_an_unknown_field_is_refused_by_name(client: Client, world: World) -> None:
    body = {"auto_reimport": {"enabled": True, "every_hours": 6, "evry_hours": 6}}

    answer = client.http.put(
        SETTINGS, headers=world.headers(erp_user("admin")), body=json.dumps(body)
    )

    error = error_of(answer, 422)
    assert error["code"] == "validation_failed"
    assert "'auto_reimport.evry_hours'" in error["message"]
    assert "not allowed" in error["message"]
    settings = client.http.get(SETTINGS, headers=world.headers(erp_user("admin")))
    assert json.loads(settings.body)["auto_reimport"]["enabled"] is False


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"auto_reimport": {"enabled": "yes"}}, "auto_reimport.enabled", "true or false"),
        (
            {"auto_reimport": {"enabled": True, "every_hours": "6"}},
            "auto_reimport.every_hours",
            "whole number",
        ),
        (
            {"auto_reimport": {"enabled": True, "every_hours": 6.5}},
            "auto_reimport.every_hours",
            "whole number",
        ),
        (
            {"auto_reimport": {"enabled": True, "every_hours": 0}},
            "auto_reimport.every_hours",
            "at least 1",
        ),
        ({"auto_reimport": True}, "auto_reimport", "JSON object"),
        ({}, "auto_reimport", "required"),
    ],
)
def test_wrong_types_and_values_in_settings_are_named(
    client: Client, world: World, body: dict[str, Any], field: str, words: str
) -> None:
    answer = client.http.put(
        SETTINGS, headers=world.headers(erp_user("admin")), body=json.dumps(body)
    )

    error = error_of(answer, 422)
    assert f"'{field}'" in error["message"] and words in error["message"]
    assert error["fields"][0]["name"] == field


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"original_budget_amount": 1300.5}, "string"),
        ({"original_budget_amount": "1300.505"}, "more than 2 decimal places"),
        ({"original_budget_amount": "NaN"}, "finite"),
        ({"original_budget_amount": "1e15"}, "beyond"),
        ({"original_budget_amount": None}, "cannot be null"),
        ({"quantity": "ten"}, "not a number"),
        ({"description": 12}, "must be a string"),
        ({}, "at least one of"),
        # Forms Python's Decimal() takes but the published pattern does not: refused, not guessed.
        *(
            ({"original_budget_amount": text}, "not written as an amount")
            for text in ("1_000", "\u0661\u0662", "+12.50", " 12.50", ".5", "12.", "1e3")
        ),
        *(
            ({"quantity": text}, "not written as a number")
            for text in ("1_000", "\u0661\u0662", "+2", " 2", ".5", "1e3")
        ),
    ],
)
def test_bad_line_edits_are_refused_and_change_nothing(
    client: Client, world: World, body: dict[str, Any], words: str
) -> None:
    headers = world.headers(erp_user("admin"))

    answer = client.http.patch(line_path(world), headers=headers, body=json.dumps(body))

    assert words in error_of(answer, 422)["message"]
    budget = json.loads(client.http.get(PROJECT, headers=headers).body)
    assert budget["total"] == "2050.00"


FIELD_SENTENCES = [
    (
        {"original_budget_amount": "NaN"},
        "The field 'original_budget_amount' is not valid: the amount is not a finite number.",
    ),
    ({"quantity": "abc"}, "The field 'quantity' is not valid: 'abc' is not a number."),
    (
        {"original_budget_amount": "1.234"},
        "The field 'original_budget_amount' is not valid: 1.234 has more than 2 decimal places.",
    ),
    (
        {"original_budget_amount": 1300.5},
        "The field 'original_budget_amount' is not valid: it must be a string with at most 2 "
        'decimals, such as "1250.00".',
    ),
    (
        {"unit_cost": "1.2345678"},
        "The field 'unit_cost' is not valid: 1.2345678 has more than 6 decimal places.",
    ),
    (
        {"quantity": "1e15"},
        "The field 'quantity' is not valid: it must be a finite number below 1,000,000,000,000.",
    ),
    (
        {"quantity": 3},
        "The field 'quantity' is not valid: it must be a decimal number written "
        'as a string, such as "12.5".',
    ),  # fmt: skip
    ({"description": 12}, "The field 'description' must be a string."),
]
# A problem of the whole body (no single field failed its type) stands alone.
BODY_SENTENCES = [
    ({"original_budget_amount": None}, "The field 'original_budget_amount' cannot be null."),
    ({}, "Give at least one of description, uom, quantity, unit_cost, original_budget_amount."),
]


@pytest.mark.parametrize(("body", "sentence"), FIELD_SENTENCES)
def test_a_refused_field_is_named_in_a_sentence_a_person_can_read(
    client: Client, world: World, body: dict[str, Any], sentence: str
) -> None:
    answer = client.http.patch(
        line_path(world), headers=world.headers(erp_user("admin")), body=json.dumps(body)
    )

    error = error_of(answer, 422)
    assert error["message"] == sentence
    assert error["fields"] == [{"name": next(iter(body)), "message": sentence}]


@pytest.mark.parametrize(("body", "sentence"), BODY_SENTENCES)
def test_a_refused_body_is_told_in_a_sentence_a_person_can_read(
    client: Client, world: World, body: dict[str, Any], sentence: str
) -> None:
    answer = client.http.patch(
        line_path(world), headers=world.headers(erp_user("admin")), body=json.dumps(body)
    )

    assert error_of(answer, 422)["message"] == sentence


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b'{"auto_reimport": {"enabled": true, "every_hours": NaN}}', 400, "invalid_json"),
        (b"\xff\xfe", 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b"[]", 422, "validation_failed"),
        (b'"text"', 422, "validation_failed"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    client: Client, world: World, raw: bytes, status: int, code: str
) -> None:
    answer = client.http.put(SETTINGS, headers=world.headers(erp_user("admin")), body=raw)

    assert error_of(answer, status)["code"] == code


def test_a_body_over_64_kb_is_refused_before_it_is_read(client: Client, world: World) -> None:
    body = json.dumps({"description": "x" * (65 * 1024)})

    answer = client.http.patch(
        line_path(world), headers=world.headers(erp_user("admin")), body=body
    )

    error = error_of(answer, 400)
    assert error["code"] == "payload_too_large" and "64 KB" in error["message"]


def test_a_body_on_a_route_that_takes_none_is_refused(client: Client, world: World) -> None:
    answer = client.http.post(
        f"{PROJECT}/lock", headers=world.headers(erp_user("admin")), body=json.dumps({"locked": 1})
    )

    error_of(answer, 422)
    assert world.budgets.get("demo", "b-1001").locked is False


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("limit=0", "'limit' must be at least 1"),
        ("limit=501", "'limit' must be at most 500"),
        ("limit=ten", "'limit' must be a whole number"),
        ("filter=archived", "'filter' must be 'ready_to_import' or 'synced'"),
        ("cursor=not-a-cursor", "cursor"),
        ("colour=blue", "'colour' is not allowed"),
        ("limit=1&limit=2", "'limit' may be given only once"),
    ],
)
def test_bad_query_parameters_are_refused_with_a_sentence(
    client: Client, world: World, query: str, words: str
) -> None:
    answer = client.http.get(f"{BUDGETS}?{query}", headers=world.headers(erp_user("admin")))

    error = error_of(answer, 400)
    assert words in error["message"]


@pytest.mark.parametrize(
    "path",
    [
        f"{PROJECT}?limit=5001",
        f"{PROJECT}?cursor=bm9wZQ",
        "/api/v1/companies/demo/erp/jobs?limit=101",
        "/api/v1/companies/demo/erp/jobs/job-b-1003/changes?limit=0",
        "/api/v1/companies/demo/erp/jobs/job-b-1003/changes?cursor=%%%",
    ],
)
def test_limits_and_cursors_are_checked_on_every_list(
    client: Client, world: World, path: str
) -> None:
    answer = client.http.get(path, headers=world.headers(erp_user("admin")))

    error_of(answer, 400)


@pytest.mark.parametrize("size", ["1" + "0" * 400, "9" * 30], ids=["400 digits", "30 digits"])
def test_an_export_of_a_size_far_beyond_the_limit_is_refused_naming_the_limit(
    client: Client, world: World, size: str
) -> None:
    # Such a size was an OverflowError (a 500) when the service wrote it in MB.
    body = '{"file_name": "budget.csv", "size": ' + size + "}"
    answer = client.http.post(
        f"{BUDGETS}/b-1001/exports", headers=world.headers(erp_user("admin")), body=body
    )

    error = error_of(answer, 422)
    assert error["code"] == "validation_failed"
    assert "may be at most 10 MB" in error["message"]


def test_an_export_just_over_the_limit_is_told_its_size_in_mb(client: Client, world: World) -> None:
    body = json.dumps({"file_name": "budget.csv", "size": 11 * 1024 * 1024})
    answer = client.http.post(
        f"{BUDGETS}/b-1001/exports", headers=world.headers(erp_user("admin")), body=body
    )

    error = error_of(answer, 400)
    assert error["message"] == "The file is 11.0 MB; budget exports may be at most 10 MB."


def test_the_budget_page_size_is_capped_at_5000(client: Client, world: World) -> None:
    answer = client.http.get(f"{PROJECT}?limit=5000", headers=world.headers(erp_user("admin")))

    assert answer.status_code == 200


def test_an_over_long_idempotency_key_is_refused(client: Client, world: World) -> None:
    headers = world.headers(erp_user("admin"), **{"Idempotency-Key": "k" * 129})

    answer = client.http.post("/api/v1/companies/demo/erp/budgets/b-1001/reimport", headers=headers)

    assert "Idempotency-Key" in error_of(answer, 400)["message"]
    assert world.queue.sent == []


def test_a_line_item_id_no_line_has_is_not_found(client: Client, world: World) -> None:
    for line_item_id in ("not-an-id", "WyIwOSIsIjk5IiwiWiJd", "x" * 300):
        answer = client.http.patch(
            f"{PROJECT}/line_items/{line_item_id}",
            headers=world.headers(erp_user("admin")),
            body=json.dumps({"description": "Nope"}),
        )

        assert error_of(answer, 404)["code"] == "not_found"


def test_signing_in_without_a_password_names_the_missing_field(client: Client) -> None:
    answer = client.http.post(
        "/api/v1/session",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"email": "erp-admin@demo.test"}),
    )

    assert "'password' is required" in error_of(answer, 422)["message"]


def test_framework_refusals_have_the_same_error_shape(client: Client, world: World) -> None:
    wrong_method = client.http.request("PUT", "/api/v1/health")
    wrong_type = client.http.put(
        SETTINGS,
        headers={**world.headers(erp_user("admin")), "Content-Type": "text/plain"},
        body="enabled",
    )

    assert error_of(wrong_method, 405)["code"] == "method_not_allowed"
    assert error_of(wrong_type, 415)["code"] == "unsupported_media_type"


def test_an_unexpected_failure_answers_500_without_internals(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("table budget-bridge-secret-internals exploded")

    monkeypatch.setattr(world.ports.directory, "erp_settings", broken)

    answer = client.http.get(SETTINGS, headers=world.headers(erp_user("admin")))

    error = error_of(answer, 500)
    assert error["code"] == "internal_error"
    assert b"exploded" not in answer.body and b"Traceback" not in answer.body
