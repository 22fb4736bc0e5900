"""PUT /companies/{cid}/target judges the Procore base URL as an ERP connection's save does: its
form, and every address its host name resolves to (docs/targets/procore.md, docs/adoption.md).

The same URL is saved on both routes, and both must answer alike: 422 naming `base_url` with the
guard's sentence, nothing saved; and the local stack's sandbox forms pass on both when, and only
when, the local setting is on.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.erp.common import url_guard
from chalicelib.config import reset_settings
from tests.integration.api_support import World, erp_user, finish_seeded_job

TARGET = "/api/v1/companies/demo/target"
CONNECTION = "/api/v1/companies/demo/erp/connection"
PROCORE = {
    "target": "procore",
    "base_url": "https://api.procore.com",
    "procore_company_id": "1001",
    "credentials": {"client_id": "pilot-client", "client_secret": "very-secret-value"},
}


@pytest.fixture(autouse=True)
def no_job_running(world: World) -> None:
    """The seeded world keeps a queued job; the target moves only while none is (test_api_target)."""
    finish_seeded_job(world)


@pytest.fixture
def local_urls_allowed(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> bool:
    monkeypatch.setenv("ERP_ALLOW_LOCAL_URLS", "true" if request.param else "false")
    reset_settings()
    return bool(request.param)


@pytest.fixture
def resolved(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What each host name resolves to, as the test says; a name it does not list does not
    resolve."""
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int | None) -> list[Any]:
        if host not in answers:
            raise url_guard.Unresolvable(host)
        return [ipaddress.ip_address(address) for address in answers[host]]

    monkeypatch.setattr(url_guard, "resolve", resolve)
    return answers


def save_target(client: Client, world: World, base_url: str) -> Any:
    body = json.dumps({**PROCORE, "base_url": base_url})
    return client.http.put(TARGET, headers=world.headers(erp_user("admin")), body=body)


def save_connection(client: Client, world: World, base_url: str) -> Any:
    body = {
        "erp_system": "acumatica",
        "base_url": base_url,
        "settings": {"company": "Demo"},
        "credentials": {"username": "admin", "password": "Pa55-word"},
    }
    headers = world.headers(erp_user("admin"))
    return client.http.put(CONNECTION, headers=headers, body=json.dumps(body))


def assert_refused_alike(client: Client, world: World, base_url: str) -> str:
    """Both saves answer 422 with the guard's sentence naming `base_url`; the target is not
    saved. Answers the sentence."""
    target = save_target(client, world, base_url)
    connection = save_connection(client, world, base_url)

    assert target.status_code == 422, target.body
    assert connection.status_code == 422, connection.body
    target_error = json.loads(target.body)["error"]
    connection_error = json.loads(connection.body)["error"]
    assert target_error["code"] == "invalid_target"
    assert (connection_error["code"], connection_error["field"]) == (
        "invalid_connection",
        "base_url",
    )
    assert target_error["message"] == f"base_url: {connection_error['message']}"
    assert world.ports.directory.target("demo").target.value == "budget_bridge"
    return str(target_error["message"])


@pytest.mark.parametrize("local_urls_allowed", [True, False], indirect=True, ids=["local", "aws"])
def test_a_target_whose_host_name_resolves_to_this_machine_is_refused_as_a_connection_is(
    client: Client, world: World, local_urls_allowed: bool
) -> None:
    sentence = assert_refused_alike(client, world, "https://localhost:8852/procore")

    assert "resolves to" in sentence


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "fec0::1", "2002:a9fe:a9fe::"]
)
def test_a_target_whose_host_name_resolves_to_one_private_address_is_refused(
    client: Client, world: World, resolved: dict[str, list[str]], address: str
) -> None:
    resolved["procore.attacker.test"] = ["93.184.216.34", address]  # one bad answer is enough

    sentence = assert_refused_alike(client, world, "https://procore.attacker.test")

    assert "procore.attacker.test resolves to" in sentence


@pytest.mark.parametrize(
    "base_url",
    ["https://[fec0::1]", "https://[2002:7f00:1::]/procore", "https://[2002:a9fe:a9fe::]",
     "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]"],
)  # fmt: skip
def test_a_site_local_or_tunnelled_ipv6_literal_is_refused_on_both_saves(
    client: Client, world: World, base_url: str
) -> None:
    assert_refused_alike(client, world, base_url)


def test_a_target_at_a_public_name_or_address_is_saved(
    client: Client, world: World, resolved: dict[str, list[str]]
) -> None:
    resolved["procore.example.com"] = ["93.184.216.34", "2606:4700::1111"]

    by_name = save_target(client, world, "https://procore.example.com/")
    by_address = save_target(client, world, "https://[2606:4700::1111]")

    assert by_name.status_code == 200, by_name.body
    assert json.loads(by_name.body)["base_url"] == "https://procore.example.com"
    assert by_address.status_code == 200, by_address.body
    assert world.ports.directory.target("demo").base_url == "https://[2606:4700::1111]"


def test_a_target_whose_name_does_not_resolve_now_is_saved_as_a_connection_is(
    client: Client, world: World, resolved: dict[str, list[str]]
) -> None:
    # Judged again on each request (docs/adoption.md): a name that does not resolve calls nothing.
    target = save_target(client, world, "https://procore.not-yet.test")
    connection = save_connection(client, world, "https://erp.not-yet.test")

    assert (target.status_code, connection.status_code) == (200, 200)


@pytest.mark.parametrize("local_urls_allowed", [True, False], indirect=True, ids=["local", "aws"])
@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8001/procore", "http://localhost:8001/procore"]
)
def test_the_local_sandbox_forms_pass_both_saves_only_on_the_local_stack(
    client: Client, world: World, local_urls_allowed: bool, base_url: str
) -> None:
    target = save_target(client, world, base_url)
    connection = save_connection(client, world, base_url)

    expected = 200 if local_urls_allowed else 422
    assert (target.status_code, connection.status_code) == (expected, expected)
