"""A refused import or re-import answers the same code and sentence whether or not the request
carries an Idempotency-Key (the web app always sends one, curl usually not), on both stores.

The rule and its sentences live once in domain/admission.py; the request service asks it first
when there is no key, the stores enforce it atomically and ask it for the sentence when there is.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.integration.api_support import World, erp_user

ERP = "/api/v1/companies/demo/erp"


def ask(client: Client, world: World, budget_id: str, verb: str, key: str | None) -> Any:
    extra = {"Idempotency-Key": key} if key else {}
    answer = client.http.post(
        f"{ERP}/budgets/{budget_id}/{verb}", headers=world.headers(erp_user("standard"), **extra)
    )
    return answer.status_code, json.loads(answer.body)


@pytest.mark.parametrize(
    ("budget_id", "verb", "code", "sentence"),
    [
        ("b-1002", "reimport", "budget_locked",
         "The budget for Project 1002 of demo is locked. Unlock the budget to re-import."),
        ("b-1003", "reimport", "job_in_progress",
         "A job is already queued or running for the budget of Project 1003 of demo; wait for it to "
         "finish."),
        ("b-1004", "reimport", "not_synced",
         "The budget for Project 1004 of demo has not been imported yet. Import it first."),
        ("b-1001", "import", "already_imported",
         "The budget for Project 1001 of demo is already imported. Use Re-import instead."),
        # Two reasons at once: the status decides first, with and without a key.
        ("b-1002", "import", "already_imported",
         "The budget for Project 1002 of demo is already imported. Use Re-import instead."),
    ],
)  # fmt: skip
def test_a_refusal_reads_the_same_with_and_without_an_idempotency_key(
    client: Client, world: World, budget_id: str, verb: str, code: str, sentence: str
) -> None:
    without = ask(client, world, budget_id, verb, None)
    with_key = ask(client, world, budget_id, verb, f"click-{budget_id}-{verb}")

    assert without == with_key
    status, answer = without
    assert (status, answer["error"]["code"], answer["error"]["message"]) == (409, code, sentence)


def test_an_unlinked_project_is_refused_the_same_way_with_and_without_a_key(
    client: Client, world: World
) -> None:
    world.budgets.unlink(world.budgets.get("demo", "b-1001"))

    without = ask(client, world, "b-1001", "reimport", None)
    with_key = ask(client, world, "b-1001", "reimport", "click-unlinked")

    assert without == with_key
    assert without[0] == 409 and without[1]["error"]["code"] == "not_linked"
    assert world.budgets.get("demo", "b-1001").active_job_id is None


def test_a_replayed_key_still_answers_its_job_while_that_job_holds_the_budget(
    client: Client, world: World
) -> None:
    first = ask(client, world, "b-1001", "reimport", "click-1")
    again = ask(client, world, "b-1001", "reimport", "click-1")
    other = ask(client, world, "b-1001", "reimport", None)

    assert first[0] == 202 and again == first
    assert other[0] == 409 and other[1]["error"]["job_id"] == first[1]["job_id"]
