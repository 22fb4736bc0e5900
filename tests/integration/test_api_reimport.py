"""Re-import and import requests, job answers, line edits and locks, as an API client sees them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.domain.model import (
    BudgetStatus,
    ChangeKind,
    ChangeRecord,
    Job,
    JobKind,
    utc_now,
)
from chalicelib.domain.ports import JobMessage
from chalicelib.services.reimports import run_job
from tests.fixtures.api import app_client
from tests.fixtures.domain import commit_as_worker
from tests.integration.api_support import (
    World,
    budget_user,
    build_world,
    erp_user,
    finished_preview,
    line,
)

ERP = "/api/v1/companies/demo/erp"
PROJECT = "/api/v1/companies/demo/projects/p-1001/budget"
JOB_FIELDS = {
    "job_id", "budget_id", "kind", "status", "progress", "message", "summary", "changes",
    "change_count", "errors", "error_count", "requested_by", "requested_at", "started_at",
    "finished_at", "totals", "error_code", "preview_job_id", "restore_version",
}  # fmt: skip


@pytest.fixture
def world() -> World:
    return build_world("memory")


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


def reimport(client: Client, world: World, budget_id: str = "b-1001", **headers: str) -> Any:
    return client.http.post(
        f"{ERP}/budgets/{budget_id}/reimport",
        headers=world.headers(erp_user("standard"), **headers),
    )


def body(answer: Any) -> Any:
    return json.loads(answer.body)


def test_reimport_answers_202_with_the_queued_job_and_its_location(
    client: Client, world: World
) -> None:
    answer = reimport(client, world)

    assert answer.status_code == 202
    job = body(answer)
    assert set(job) == JOB_FIELDS
    assert job["status"] == "queued" and job["kind"] == "reimport"
    assert job["budget_id"] == "b-1001" and job["requested_by"] == erp_user("standard")
    assert job["requested_at"].endswith("Z")
    assert answer.headers["Location"] == f"{ERP}/jobs/{job['job_id']}"
    polled = client.http.get(
        answer.headers["Location"], headers=world.headers(erp_user("read_only"))
    )
    assert body(polled) == job
    assert [m.job_id for m in world.queue.sent] == [job["job_id"]]


def test_import_of_a_ready_budget_is_accepted_and_the_list_shows_it_busy(
    client: Client, world: World
) -> None:
    answer = client.http.post(
        f"{ERP}/budgets/b-1004/import", headers=world.headers(erp_user("standard"))
    )
    listed = client.http.get(
        f"{ERP}/budgets?filter=ready_to_import", headers=world.headers(erp_user("standard"))
    )

    assert answer.status_code == 202 and body(answer)["kind"] == "import"
    [row] = body(listed)["budgets"]
    assert row["budget_id"] == "b-1004"
    assert row["active_job_id"] == body(answer)["job_id"]
    assert row["can_import"] is False and row["can_reimport"] is False


def test_a_locked_budget_answers_409_budget_locked(client: Client, world: World) -> None:
    answer = reimport(client, world, "b-1002")

    assert answer.status_code == 409
    error = body(answer)["error"]
    assert error["code"] == "budget_locked" and "Unlock the budget" in error["message"]
    assert world.queue.sent == []


def run_worker(world: World, job: dict[str, Any]) -> None:
    """The worker's run of a queued job, as the queue would deliver it (against the world's
    stand-in ERP, its connection set up as an admin leaves it)."""
    world.restore()
    message = JobMessage(job_id=job["job_id"], company_id="demo", budget_id=job["budget_id"])
    run_job(world.ports, message, final_attempt=False)


def test_a_preview_of_a_locked_budget_is_queued_and_fails_telling_the_reimport_is_refused(
    client: Client, world: World
) -> None:
    headers = world.headers(erp_user("standard"))
    refused = reimport(client, world, "b-1002")
    queued = client.http.post(f"{ERP}/budgets/b-1002/preview", headers=headers)
    run_worker(world, body(queued))
    job = body(client.http.get(f"{ERP}/jobs/{body(queued)['job_id']}", headers=headers))

    assert queued.status_code == 202  # a preview holds nothing, so its request is not refused
    assert (job["status"], job["error_code"]) == ("failed", "budget_locked")
    assert job["message"] == body(refused)["error"]["message"]
    assert (
        job["message"] != "Preview ready: nothing would change; the budget already matches the ERP."
    )
    assert job["summary"] is None and job["changes"] == []
    assert world.budgets.get("demo", "b-1002").status is BudgetStatus.SYNCED


def test_a_failed_preview_carries_its_totals(client: Client, world: World) -> None:
    # The stand-in ERP answers one cost line of 1250.00 whose cost code and type this company's
    # (empty) catalog does not know: the preview fails listing it.
    headers = world.headers(erp_user("standard"))
    queued = client.http.post(f"{ERP}/budgets/b-1001/preview", headers=headers)
    run_worker(world, body(queued))

    job = body(client.http.get(f"{ERP}/jobs/{body(queued)['job_id']}", headers=headers))

    assert job["status"] == "failed" and {e["field"] for e in job["errors"]} == {
        "cost_code", "cost_type",
    }  # fmt: skip
    assert job["totals"] == {
        "current_erp_total": "1250.00", "current_total": "2050.00", "new_total": "2050.00",
    }  # fmt: skip


def test_a_job_that_never_read_the_erp_answers_totals_with_a_null_erp_total(
    client: Client, world: World
) -> None:
    world.queue.available = False
    refused = reimport(client, world)
    [failed] = [j for j in world.jobs.list("demo", "b-1001", 10, None).items]

    job = body(
        client.http.get(f"{ERP}/jobs/{failed.job_id}", headers=world.headers(erp_user("standard")))
    )

    assert refused.status_code == 503 and job["status"] == "failed"
    assert job["totals"] == {
        "current_erp_total": None, "current_total": "2050.00", "new_total": "2050.00",
    }  # fmt: skip


def test_a_second_request_answers_409_with_the_running_job(client: Client, world: World) -> None:
    answer = reimport(client, world, "b-1003")

    assert answer.status_code == 409
    assert body(answer)["error"]["code"] == "job_in_progress"
    assert body(answer)["error"]["job_id"] == world.ids["job_id"]


def test_reimport_of_a_budget_never_imported_answers_not_synced(
    client: Client, world: World
) -> None:
    not_synced = reimport(client, world, "b-1004")
    already = client.http.post(
        f"{ERP}/budgets/b-1001/import", headers=world.headers(erp_user("standard"))
    )

    assert not_synced.status_code == 409 and body(not_synced)["error"]["code"] == "not_synced"
    assert already.status_code == 409 and body(already)["error"]["code"] == "already_imported"


@pytest.mark.parametrize("key", [{}, {"Idempotency-Key": "click-9"}])
@pytest.mark.parametrize(
    ("budget_id", "verb", "status", "code"),
    [
        ("b-1004", "reimport", 409, "not_synced"),  # P-1004: ready to import
        ("b-1001", "import", 409, "already_imported"),  # P-1001: synced
        ("b-1002", "reimport", 409, "budget_locked"),
    ],
)  # fmt: skip
def test_applying_a_preview_answers_the_budget_s_own_refusal_first(
    client: Client,
    world: World,
    key: dict[str, str],
    budget_id: str,
    verb: str,
    status: int,
    code: str,
) -> None:
    url = f"{ERP}/budgets/{budget_id}/{verb}"
    headers = world.headers(erp_user("standard"), **key)
    plain = client.http.post(url, headers=headers)
    preview_id = finished_preview(world, budget_id)

    applied = client.http.post(
        url, headers=headers, body=json.dumps({"preview_job_id": preview_id})
    )

    assert (applied.status_code, body(applied)["error"]["code"]) == (status, code)
    assert body(applied) == body(plain)
    assert "since the preview" not in body(applied)["error"]["message"]
    assert world.queue.sent == []


def test_a_preview_of_the_other_kind_answers_422_preview_wrong_kind(
    client: Client, world: World
) -> None:
    # A preview of b-1001's import, made while it was ready to import; it is synced now.
    preview_id = finished_preview(world, "b-1001", planned=JobKind.IMPORT)

    answer = client.http.post(
        f"{ERP}/budgets/b-1001/reimport",
        headers=world.headers(erp_user("standard")),
        body=json.dumps({"preview_job_id": preview_id}),
    )

    assert answer.status_code == 422
    assert body(answer)["error"] == {
        "code": "preview_wrong_kind",
        "message": "That preview is of an import of the budget for Project 1001 of demo, so it "
        "cannot be applied as a re-import. Preview again and apply the new preview.",
    }
    assert world.queue.sent == []


def test_the_same_idempotency_key_answers_the_same_job(client: Client, world: World) -> None:
    first = reimport(client, world, **{"Idempotency-Key": "click-7"})
    again = reimport(client, world, **{"Idempotency-Key": "click-7"})
    other_budget = client.http.post(
        f"{ERP}/budgets/b-1004/import",
        headers=world.headers(erp_user("standard"), **{"Idempotency-Key": "click-7"}),
    )

    assert first.status_code == again.status_code == 202
    assert body(again)["job_id"] == body(first)["job_id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert body(other_budget)["job_id"] != body(first)["job_id"]
    assert len(world.queue.sent) == 2


def test_when_the_queue_is_down_the_request_answers_503_and_frees_the_budget(
    client: Client, world: World
) -> None:
    world.queue.available = False
    refused = reimport(client, world)
    world.queue.available = True
    retried = reimport(client, world)

    assert refused.status_code == 503
    assert body(refused)["error"]["code"] == "service_unavailable"
    assert refused.headers["Retry-After"]
    assert retried.status_code == 202


def test_a_lock_blocks_reimport_until_unlocked(client: Client, world: World) -> None:
    admin = world.headers(budget_user("admin"))

    locked = client.http.post(f"{PROJECT}/lock", headers=admin)
    refused = reimport(client, world)
    unlocked = client.http.delete(f"{PROJECT}/lock", headers=admin)
    accepted = reimport(client, world)

    assert locked.status_code == 200 and body(locked)["locked"] is True
    assert body(locked)["total"] == "2050.00" and body(locked)["line_count"] == 3
    assert body(refused)["error"]["code"] == "budget_locked"
    assert unlocked.status_code == 200 and body(unlocked)["locked"] is False
    assert accepted.status_code == 202


def test_editing_one_field_keeps_the_others(client: Client, world: World) -> None:
    headers = world.headers(budget_user("standard"))
    before = body(client.http.get(PROJECT, headers=headers))
    material = next(
        i for i in before["line_items"] if i["line_item_id"] == world.ids["line_item_id"]
    )
    others = [i for i in before["line_items"] if i is not material]

    edited = client.http.patch(
        f"{PROJECT}/line_items/{material['line_item_id']}",
        headers=headers,
        body=json.dumps({"original_budget_amount": "1300.00", "uom": None}),
    )
    after = body(client.http.get(PROJECT, headers=headers))

    assert edited.status_code == 200
    assert body(edited) == {**material, "original_budget_amount": "1300.00", "uom": None}
    assert material["quantity"] == "10" and body(edited)["description"] == material["description"]
    assert after["total"] == "2100.00" and after["version"] > before["version"]
    assert [
        i for i in after["line_items"] if i["line_item_id"] != material["line_item_id"]
    ] == others


def test_a_locked_budget_refuses_edits(client: Client, world: World) -> None:
    client.http.post(f"{PROJECT}/lock", headers=world.headers(budget_user("admin")))
    headers = world.headers(budget_user("standard"))
    line_id = world.ids["line_item_id"]

    answer = client.http.patch(
        f"{PROJECT}/line_items/{line_id}", headers=headers, body=json.dumps({"uom": "M3"})
    )

    assert answer.status_code == 409 and body(answer)["error"]["code"] == "budget_locked"
    lines = body(client.http.get(PROJECT, headers=headers))["line_items"]
    assert {i["line_item_id"]: i["uom"] for i in lines}[line_id] == "CY"


def test_the_project_budget_pages_its_lines_with_whole_budget_totals(
    client: Client, world: World
) -> None:
    headers = world.headers(budget_user("read_only"))

    first = body(client.http.get(f"{PROJECT}?limit=2", headers=headers))
    rest = body(
        client.http.get(f"{PROJECT}?limit=2&cursor={first['next_cursor']}", headers=headers)
    )

    assert [len(first["line_items"]), len(rest["line_items"])] == [2, 1]
    assert first["total"] == rest["total"] == "2050.00" and first["line_count"] == 3
    assert rest["next_cursor"] is None
    assert set(first["line_items"][0]) == {
        "line_item_id", "sub_job", "cost_code", "cost_type", "description",
        "original_budget_amount", "uom", "quantity", "unit_cost",
    }  # fmt: skip


def _finished_job_with_changes(world: World, count: int) -> str:
    """A re-import of `count` lines committed through the store, as the worker does."""
    lines = [line("01", f"{n:04d}", "M", "100.00") for n in range(count)]
    budget = world.budgets.create_budget(  # type: ignore[attr-defined]
        world.budgets.get("demo", "b-1001").model_copy(update={"budget_id": "b-big"}), lines
    )
    job = Job(
        job_id="job-big",
        company_id="demo",
        budget_id="b-big",
        kind=JobKind.REIMPORT,
        requested_by=erp_user("admin"),
        requested_at=utc_now(),
    )
    queued = world.jobs.enqueue(job, budget, None)
    job = world.jobs.start(queued.company_id, queued.job_id, utc_now())
    budget = world.budgets.get("demo", "b-big")
    changed = [line("01", f"{n:04d}", "M", "125.50") for n in range(count)]
    changes = [
        ChangeRecord(
            new.line_item_id, new.key, ChangeKind.UPDATED, Decimal("100.00"), Decimal("125.50")
        )
        for new in changed
    ]
    commit_as_worker(world.budgets, budget, job, changed, changes)
    return job.job_id


def test_a_finished_job_carries_100_changes_and_pages_the_rest(
    client: Client, world: World
) -> None:
    job_id = _finished_job_with_changes(world, 130)
    headers = world.headers(erp_user("read_only"))

    job = body(client.http.get(f"{ERP}/jobs/{job_id}", headers=headers))
    page = body(client.http.get(f"{ERP}/jobs/{job_id}/changes?limit=100", headers=headers))
    rest = body(
        client.http.get(
            f"{ERP}/jobs/{job_id}/changes?limit=100&cursor={page['next_cursor']}", headers=headers
        )
    )

    assert job["status"] == "succeeded"
    assert job["message"] == "Successfully Re-imported to Budget Bridge"
    assert job["summary"] == {
        "lines_updated": 130, "lines_added": 0, "lines_zeroed": 0, "lines_unchanged": 0,
    }  # fmt: skip
    assert job["change_count"] == 130 and len(job["changes"]) == 100
    assert job["finished_at"].endswith("Z")
    assert job["changes"][0] == {
        "line_item_id": job["changes"][0]["line_item_id"],
        "sub_job": "01",
        "cost_code": "0000",
        "cost_type": "M",
        "kind": "updated",
        "old_amount": "100.00",
        "new_amount": "125.50",
    }
    assert page["changes"] == job["changes"]
    assert len(rest["changes"]) == 30 and rest["next_cursor"] is None
    listed = body(client.http.get(f"{ERP}/jobs?budget_id=b-big", headers=headers))
    assert [j["job_id"] for j in listed["jobs"]] == [job_id]
    assert listed["jobs"][0] == job


def test_erp_settings_round_trip(client: Client, world: World) -> None:
    admin = world.headers(erp_user("admin"))
    wanted = {"auto_reimport": {"enabled": True, "every_hours": 6}, "add_unknown_cost_codes": True}

    saved = client.http.put(f"{ERP}/settings", headers=admin, body=json.dumps(wanted))
    read = client.http.get(f"{ERP}/settings", headers=world.headers(erp_user("read_only")))

    assert saved.status_code == 200 and body(saved) == wanted
    assert body(read) == wanted
