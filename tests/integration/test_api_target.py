"""PUT/GET /companies/{cid}/target: an ERP admin moves the company's budgets to Procore and back.

The client secret goes to the secret store and is never answered; the address rules are those of
ERP connections (https to a public address; http://127.0.0.1:<port> on the local stack alone).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.config import reset_settings
from chalicelib.domain.errors import ErpRejected
from tests.integration.api_support import World, erp_user, finish_seeded_job

TARGET = "/api/v1/companies/demo/target"
PROCORE = {
    "target": "procore",
    "base_url": "https://api.procore.com",
    "procore_company_id": "1001",
    "credentials": {"client_id": "pilot-client", "client_secret": "very-secret-value"},
}


@pytest.fixture(autouse=True)
def no_job_running(world: World) -> None:
    """The seeded world keeps a queued job on b-1003; the target moves only while none is."""
    finish_seeded_job(world)


def _put(client: Client, world: World, body: dict[str, Any], who: str = "admin") -> Any:
    return client.http.put(TARGET, headers=world.headers(erp_user(who)), body=json.dumps(body))


def test_a_company_starts_on_budget_bridge(client: Client, world: World) -> None:
    answer = client.http.get(TARGET, headers=world.headers(erp_user("read_only")))

    assert answer.status_code == 200
    assert json.loads(answer.body)["target"] == "budget_bridge"
    assert json.loads(answer.body)["target_name"] == "Budget Bridge"


def test_an_erp_admin_chooses_procore_and_the_secret_is_never_answered(
    client: Client, world: World
) -> None:
    saved = _put(client, world, PROCORE)
    read = client.http.get(TARGET, headers=world.headers(erp_user("read_only")))

    assert saved.status_code == 200
    for answer in (saved, read):
        assert "very-secret-value" not in answer.body.decode()
        assert json.loads(answer.body) == {
            "target": "procore",
            "target_name": "Procore",
            "base_url": "https://api.procore.com",
            "procore_company_id": "1001",
            "credentials_set": True,
        }
    config = world.ports.directory.target("demo")
    stored = world.ports.secrets.erp_credentials(config.credentials_secret_id or "")
    assert stored.get("client_secret") == "very-secret-value"
    me = client.http.get("/api/v1/me", headers=world.headers(erp_user("read_only")))
    assert json.loads(me.body)["companies"][0]["target_name"] == "Procore"
    rows = client.http.get(
        "/api/v1/companies/demo/erp/budgets", headers=world.headers(erp_user("read_only"))
    )
    assert {row["target_name"] for row in json.loads(rows.body)["budgets"]} == {"Procore"}


def test_saving_again_without_credentials_keeps_the_stored_ones(
    client: Client, world: World
) -> None:
    _put(client, world, PROCORE)
    again = _put(client, world, {**PROCORE, "credentials": None, "procore_company_id": "1002"})

    assert again.status_code == 200
    assert json.loads(again.body)["credentials_set"] is True
    assert json.loads(again.body)["procore_company_id"] == "1002"


def test_saving_another_base_url_without_credentials_is_refused(
    client: Client, world: World
) -> None:
    # The stored secret is only sent to the address it was saved for (docs/targets/procore.md).
    _put(client, world, PROCORE)
    moved = {**PROCORE, "credentials": None, "base_url": "https://collector.example.net"}

    refused = _put(client, world, moved)
    again = _put(client, world, {**moved, "credentials": PROCORE["credentials"]})

    assert refused.status_code == 422
    error = json.loads(refused.body)["error"]
    assert (error["code"], error["field"]) == ("invalid_target", "credentials")
    assert "client_id and client_secret again" in error["message"]
    assert "only sent to the address they were saved for" in error["message"]
    assert again.status_code == 200
    assert world.ports.directory.target("demo").base_url == "https://collector.example.net"


@pytest.mark.parametrize("company_id", ["\u0661\u0660\u0660\u0661", "\u00b2", "1001\u00b2"])
def test_a_procore_company_id_of_other_digits_than_0_to_9_is_refused(
    client: Client, world: World, company_id: str
) -> None:
    answer = _put(client, world, {**PROCORE, "procore_company_id": company_id})

    assert answer.status_code == 422
    error = json.loads(answer.body)["error"]
    assert (error["code"], error["field"]) == ("invalid_target", "procore_company_id")
    assert world.ports.directory.target("demo").target.value == "budget_bridge"


def test_procore_without_credentials_or_with_a_private_address_is_refused(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERP_ALLOW_LOCAL_URLS", "false")  # as deployed in AWS
    reset_settings()
    no_secret = _put(client, world, {**PROCORE, "credentials": None})
    private = _put(client, world, {**PROCORE, "base_url": "https://169.254.169.254"})
    plain = _put(client, world, {**PROCORE, "base_url": "http://api.procore.com"})
    local = _put(client, world, {**PROCORE, "base_url": "http://127.0.0.1:8001/procore"})

    for answer, field in (
        (no_secret, "credentials"), (private, "base_url"), (plain, "base_url"), (local, "base_url"),
    ):  # fmt: skip
        assert answer.status_code == 422
        error = json.loads(answer.body)["error"]
        assert (error["code"], error["field"]) == ("invalid_target", field)
    assert world.ports.directory.target("demo").target.value == "budget_bridge"


def test_the_local_stack_accepts_its_sandbox_address(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERP_ALLOW_LOCAL_URLS", "true")
    reset_settings()
    answer = _put(client, world, {**PROCORE, "base_url": "http://127.0.0.1:8001/procore"})

    assert answer.status_code == 200


def test_only_an_erp_admin_may_choose_the_target(client: Client, world: World) -> None:
    answer = _put(client, world, PROCORE, who="standard")

    assert answer.status_code == 403
    assert world.ports.directory.target("demo").target.value == "budget_bridge"


def test_back_to_budget_bridge(client: Client, world: World) -> None:
    _put(client, world, PROCORE)
    secret_id = world.ports.directory.target("demo").credentials_secret_id or ""
    answer = _put(client, world, {"target": "budget_bridge"})

    # The client secret does not outlive the choice of Procore.
    with pytest.raises(ErpRejected, match="missing"):
        world.ports.secrets.erp_credentials(secret_id)

    assert json.loads(answer.body)["target"] == "budget_bridge"
    assert json.loads(answer.body)["credentials_set"] is False


def test_the_target_does_not_move_while_a_job_is_queued_or_running(
    client: Client, world: World
) -> None:
    """A job that stops while writing puts the amounts back where it wrote them, found through
    the company's target (docs/targets/procore.md, "Setting it up")."""
    _put(client, world, PROCORE)
    queued = client.http.post(
        "/api/v1/companies/demo/erp/budgets/b-1001/reimport",
        headers=world.headers(erp_user("standard")),
    )
    assert queued.status_code == 202

    back = _put(client, world, {"target": "budget_bridge"})
    elsewhere = _put(client, world, {**PROCORE, "procore_company_id": "1002"})
    same = _put(client, world, {**PROCORE, "credentials": None})

    for refused in (back, elsewhere):
        assert refused.status_code == 409, refused.body
        error = json.loads(refused.body)["error"]
        assert error["code"] == "job_in_progress"
        assert error["job_id"] == json.loads(queued.body)["job_id"]
    assert same.status_code == 200  # saving the same settings again changes nothing
    assert world.ports.directory.target("demo").procore_company_id == "1001"
