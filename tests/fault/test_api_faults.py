"""Hostile and unlucky input through the HTTP API, on the real DynamoDB adapters (moto).

Money at the limits, versions changing under a reader's cursor, deeply nested JSON, edits racing
a re-import and the request that allows an empty ERP answer (docs/reliability.md).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamodb.items import budget_pk, version_sk
from chalicelib.domain.errors import ConcurrentChange
from chalicelib.domain.model import (
    ChangeKind,
    ChangeRecord,
    JobKind,
    JobStatus,
    LineItem,
    WbsKey,
)
from chalicelib.domain.money import MAX_AMOUNT
from chalicelib.domain.ports import Identity, LineEdit
from chalicelib.services import budgets as budget_service
from chalicelib.services.reimports import request_job
from devstack.memory import MemoryBudgetStore
from tests.fixtures.domain import commit_as_worker
from tests.integration.api_support import World, budget_user, erp_user

API = "/api/v1"
BUDGET = API + "/companies/demo/projects/p-1001/budget"


def ask(client: Client, world: World, method: str, path: str, body: Any = None) -> Any:
    headers = world.headers(budget_user("admin"))
    raw = b"" if body is None else (body if isinstance(body, str) else json.dumps(body))
    answer = client.http.request(method, path, headers=headers, body=raw)
    return answer.status_code, json.loads(answer.body) if answer.body else None


def _as(email: str) -> Identity:
    return Identity(email, email)


def line_ids(client: Client, world: World) -> list[str]:
    status, body = ask(client, world, "GET", BUDGET)
    assert status == 200, body
    return [line["line_item_id"] for line in body["line_items"]]


# --- 1. one money limit ---------------------------------------------------------------------


def test_lines_at_the_limit_keep_every_read_and_the_lock_answering(
    client: Client, world: World
) -> None:
    first, second, _ = line_ids(client, world)
    for line_id in (first, second):
        status, body = ask(
            client, world, "PATCH", f"{BUDGET}/line_items/{line_id}",
            {"original_budget_amount": f"{MAX_AMOUNT}"},
        )  # fmt: skip
        assert status == 200, body

    status, budget = ask(client, world, "GET", BUDGET)
    assert status == 200, budget
    assert budget["total"] == f"{MAX_AMOUNT * 2}"
    listed = ask(client, world, "GET", API + "/companies/demo/erp/budgets")
    assert listed[0] == 200, listed
    row = next(b for b in listed[1]["budgets"] if b["budget_id"] == "b-1001")
    assert row["current_procore_total"] == f"{MAX_AMOUNT * 2}"
    assert ask(client, world, "POST", BUDGET + "/lock")[0] == 200
    assert ask(client, world, "DELETE", BUDGET + "/lock")[0] == 200


def test_an_edit_that_takes_the_total_beyond_the_limit_is_refused(
    client: Client, world: World
) -> None:
    # 1,000 lines at the line limit: the largest total the rules admit, give or take 9.99.
    budget = world.budgets.get("demo", "b-1001")
    full = [
        LineItem(WbsKey("01", f"C-{n:04d}", "M"), "at the limit", MAX_AMOUNT) for n in range(1000)
    ]
    spare = LineItem(WbsKey("02", "Z-0001", "M"), "spare", Decimal("0.00"))
    world.budgets.create_budget(budget, [*full, spare])  # type: ignore[attr-defined]
    assert ask(client, world, "GET", BUDGET + "?limit=5")[0] == 200

    status, body = ask(
        client, world, "PATCH", f"{BUDGET}/line_items/{spare.line_item_id}",
        {"original_budget_amount": "10.00"},
    )  # fmt: skip

    assert status == 400, body
    assert body["error"]["code"] == "invalid_request"
    assert "beyond" in body["error"]["message"]
    status, after = ask(client, world, "GET", BUDGET + "?limit=5")
    assert status == 200 and after["total"] == f"{MAX_AMOUNT * 1000}"


# --- 3. a cursor pages one version ----------------------------------------------------------


def _reimport(world: World, amount: str) -> None:
    """A re-import applied through the store's one commit, as the worker applies it."""
    job = request_job(world.ports, _as(erp_user("admin")), "demo", "b-1001", JobKind.REIMPORT)
    job = world.jobs.start(job.company_id, job.job_id, job.requested_at)
    budget = world.budgets.get("demo", "b-1001")
    lines = world.budgets.read_lines(budget)
    old = lines[0].original_budget_amount
    lines[0].original_budget_amount = Decimal(amount)
    change = ChangeRecord(
        lines[0].line_item_id, lines[0].key, ChangeKind.UPDATED, old, Decimal(amount)
    )
    done = commit_as_worker(world.budgets, budget, job, lines, [change], message="ok",
                            at=job.requested_at)  # fmt: skip
    assert done.status is JobStatus.SUCCEEDED


def test_a_cursor_pages_the_version_it_began_with_through_a_reimport(
    client: Client, world: World
) -> None:
    status, first_page = ask(client, world, "GET", BUDGET + "?limit=1")
    assert status == 200
    began = first_page["version"]
    _reimport(world, "4242.00")

    status, rest = ask(client, world, "GET", f"{BUDGET}?limit=5&cursor={first_page['next_cursor']}")

    assert status == 200, rest
    assert rest["version"] == began
    assert rest["next_cursor"] is None
    assert "4242.00" not in [line["original_budget_amount"] for line in rest["line_items"]]
    whole = first_page["line_items"] + rest["line_items"]
    assert len(whole) == first_page["line_count"] == rest["line_count"]
    fresh = ask(client, world, "GET", BUDGET)[1]
    assert fresh["version"] == began + 1


def _drop_from_history(world: World, version: int) -> None:
    """What the history's retention does to a version past it: DynamoDB's TTL deletes its
    record; the in-memory twin forgets it."""
    budget = world.budgets.get("demo", "b-1001")
    if isinstance(world.budgets, MemoryBudgetStore):
        with world.budgets.db.lock:
            world.budgets.db.budgets[("demo", "b-1001")].versions.pop(version)
        return
    world.budgets.client.delete_item(  # type: ignore[attr-defined]
        TableName=world.budgets.budgets_table,  # type: ignore[attr-defined]
        Key={"pk": {"S": budget_pk("demo", budget.budget_id)}, "sk": {"S": version_sk(version)}},
    )


def test_a_cursor_reads_its_version_from_the_history_after_two_reimports(
    client: Client, world: World
) -> None:
    status, first_page = ask(client, world, "GET", BUDGET + "?limit=1")
    _reimport(world, "4242.00")
    _reimport(world, "4343.00")

    status, rest = ask(client, world, "GET", f"{BUDGET}?limit=5&cursor={first_page['next_cursor']}")

    assert status == 200, rest
    assert rest["version"] == first_page["version"]
    amounts = [line["original_budget_amount"] for line in rest["line_items"]]
    assert "4242.00" not in amounts and "4343.00" not in amounts
    assert len(first_page["line_items"] + rest["line_items"]) == first_page["line_count"]


def test_a_cursor_of_a_version_no_longer_kept_answers_410(client: Client, world: World) -> None:
    status, first_page = ask(client, world, "GET", BUDGET + "?limit=1")
    _reimport(world, "4242.00")
    _drop_from_history(world, first_page["version"])

    status, body = ask(client, world, "GET", f"{BUDGET}?limit=5&cursor={first_page['next_cursor']}")

    assert status == 410, body
    assert body["error"]["code"] == "version_gone"
    assert "first page" in body["error"]["message"]


def test_a_cursor_across_an_edit_never_mixes_the_edit_in(client: Client, world: World) -> None:
    status, first_page = ask(client, world, "GET", BUDGET + "?limit=1")
    last = line_ids(client, world)[-1]
    assert ask(client, world, "PATCH", f"{BUDGET}/line_items/{last}", {"uom": "EA"})[0] == 200

    status, body = ask(client, world, "GET", f"{BUDGET}?limit=5&cursor={first_page['next_cursor']}")

    # The edit made a new version; the cursor goes on reading the one it began with.
    assert status == 200, body
    assert body["version"] == first_page["version"]
    assert "EA" not in [line["uom"] for line in body["line_items"]]


# --- 4. JSON depth --------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 5_000, 60_000])
def test_deeply_nested_json_answers_400_even_before_sign_in(client: Client, depth: int) -> None:
    body = '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'
    if len(body) > 64 * 1024:
        body = "[" * 30_000 + "]" * 30_000  # within the size limit, still far too deep
    answer = client.http.request(
        "POST", API + "/session", headers={"Content-Type": "application/json"}, body=body
    )

    assert answer.status_code == 400, answer.body
    assert json.loads(answer.body)["error"]["code"] == "invalid_json"


def test_deeply_nested_json_on_a_signed_in_route_answers_400(client: Client, world: World) -> None:
    first = line_ids(client, world)[0]
    body = '{"description": ' + "[" * 20_000 + "]" * 20_000 + "}"

    status, answer = ask(client, world, "PATCH", f"{BUDGET}/line_items/{first}", body)

    assert status == 400, answer
    assert answer["error"]["code"] == "invalid_json"


def test_json_nested_within_the_bound_is_judged_on_its_fields(client: Client) -> None:
    body = '{"email": ' + "[" * 10 + "]" * 10 + ', "password": "x"}'
    answer = client.http.request(
        "POST", API + "/session", headers={"Content-Type": "application/json"}, body=body
    )

    assert answer.status_code == 422


# --- 8. edits racing a re-import; allow_empty on the request ----------------------------------


def test_a_units_edit_is_applied_to_the_new_version_when_a_reimport_lands_first(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = world.budgets
    original = type(store).edit_line
    raced: list[int] = []

    def reimport_lands_first(
        self: Any, budget: Any, line_item_id: str, edit: LineEdit, by: str = ""
    ) -> Any:
        if not raced:
            raced.append(budget.version)
            _reimport(world, "777.00")
        return original(self, budget, line_item_id, edit, by)

    monkeypatch.setattr(type(store), "edit_line", reimport_lands_first)
    target = world.budgets.read_lines(world.budgets.get("demo", "b-1001"))[1]

    edited = budget_service.edit_line(
        world.ports, _as(budget_user("admin")), "demo", "p-1001",
        target.line_item_id, LineEdit(uom="LF", quantity=Decimal("12")),
    )  # fmt: skip

    assert raced and edited.uom == "LF"
    lines = world.budgets.read_lines(world.budgets.get("demo", "b-1001"))
    assert lines[0].original_budget_amount == Decimal("777.00"), "the re-import stays applied"
    assert lines[1].uom == "LF" and lines[1].quantity == Decimal("12")


def test_an_amount_edit_racing_a_reimport_is_refused_not_applied_blindly(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = world.budgets
    original = type(store).edit_line

    def reimport_lands_first(
        self: Any, budget: Any, line_item_id: str, edit: LineEdit, by: str = ""
    ) -> Any:
        _reimport(world, "777.00")
        return original(self, budget, line_item_id, edit, by)

    monkeypatch.setattr(type(store), "edit_line", reimport_lands_first)
    target = world.budgets.read_lines(world.budgets.get("demo", "b-1001"))[0]

    with pytest.raises(ConcurrentChange):
        budget_service.edit_line(
            world.ports, _as(budget_user("admin")), "demo", "p-1001",
            target.line_item_id, LineEdit(original_budget_amount=Decimal("1.00")),
        )  # fmt: skip


@pytest.mark.parametrize("body", [None, {}, {"allow_empty": True}, {"allow_empty": False}])
def test_import_and_reimport_take_an_optional_allow_empty(
    client: Client, world: World, body: Any
) -> None:
    path = API + "/companies/demo/erp/budgets/b-1001/reimport"
    headers = world.headers(erp_user("admin"))
    answer = client.http.request(
        "POST", path, headers=headers, body=b"" if body is None else json.dumps(body)
    )

    assert answer.status_code == 202, answer.body
    job = world.jobs.get("demo", json.loads(answer.body)["job_id"])
    assert job.allow_empty is bool((body or {}).get("allow_empty"))


@pytest.mark.parametrize("body", [{"allow_empty": "yes"}, {"allow_empty": 1}, {"allow": True}])
def test_a_wrong_allow_empty_is_refused(client: Client, world: World, body: Any) -> None:
    path = API + "/companies/demo/erp/budgets/b-1001/reimport"
    answer = client.http.request(
        "POST", path, headers=world.headers(erp_user("admin")), body=json.dumps(body)
    )

    assert answer.status_code == 422, answer.body
    assert world.queue.sent == []


def test_brackets_inside_a_string_are_text_not_nesting(client: Client) -> None:
    body = json.dumps({"email": "[{" * 5_000 + '\\"', "password": "x"})
    answer = client.http.request(
        "POST", API + "/session", headers={"Content-Type": "application/json"}, body=body
    )

    assert answer.status_code == 422, answer.body  # the email is too long, not too deep
