"""A setting that says where requests go cannot send the saved credentials elsewhere.

Yardi's `service_path` is a path under the Base URL: a value that names a host or climbs out of
the path is refused when saved (422 `invalid_connection`, `settings.service_path`), a path is
joined onto the Base URL with a `/` (so `4/steal` after `http://127.0.0.1:4123` stays on port
4123), and changing it without the credentials is refused like a change of Base URL, as is
Acumatica's `endpoint_version` (docs/adoption.md, "The ERP connection"; docs/erps/yardi.md).
Through the connection routes on moto, with the real connectors and Secrets Manager.
"""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from chalice.test import Client

from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.api import app_client, moto_world_with_connectors
from tests.fixtures.http import serving
from tests.integration.api_support import World, both_user

PREFIX = "/api/v1/companies/demo"
PASSWORD = "Yardi-pa55-that-stays-home"
YARDI = demo_data.company("yardi").erp_connection()


@pytest.fixture
def world() -> Iterator[World]:
    with moto_world_with_connectors() as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


@pytest.fixture
def sandbox() -> Iterator[SandboxErp]:
    erp = SandboxErp().start()
    yield erp
    erp.stop()


class _Collecting(http.server.BaseHTTPRequestHandler):
    """Another address: it records whatever reaches it and refuses it."""

    seen: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"] or 0)
        self.seen.append(self.path.encode() + self.rfile.read(length))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


@pytest.fixture
def collecting() -> Iterator[int]:
    _Collecting.seen = []
    with serving(_Collecting) as server:
        yield server.server_port


def put(client: Client, world: World, body: dict[str, Any]) -> tuple[int, Any]:
    answer = client.http.put(
        f"{PREFIX}/erp/connection", headers=world.headers(both_user("admin")), body=json.dumps(body)
    )
    return answer.status_code, json.loads(answer.body)


def tried(client: Client, world: World) -> dict[str, Any]:
    """The answer of Test Connection."""
    answer = client.http.post(
        f"{PREFIX}/erp/connection/test", headers=world.headers(both_user("admin"))
    )
    return dict(json.loads(answer.body))


def yardi(base_url: str, service_path: str, *, credentials: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "erp_system": "yardi",
        "base_url": base_url,
        "settings": {**YARDI.settings, "service_path": service_path},
    }
    if credentials:
        body["credentials"] = {"username": "bbapi", "password": PASSWORD}
    return body


def test_changing_only_the_service_path_without_credentials_is_refused_and_sends_nothing(
    client: Client, world: World, sandbox: SandboxErp, collecting: int
) -> None:
    # The report's case: the path after `http://127.0.0.1:<port>` spelled the rest of a port.
    base_url = sandbox.url + YARDI.path
    saved = put(client, world, yardi(base_url, "Webservices/ItfJobCost.asmx"))

    moved = put(client, world, yardi(base_url, f"{collecting}/steal", credentials=False))
    tried(client, world)

    assert saved[0] == 200, saved
    assert moved[0] == 422, moved
    error = moved[1]["error"]
    assert (error["code"], error["field"]) == ("invalid_connection", "credentials")
    assert error["message"].startswith("Enter the credentials again (username, password)")
    assert "changes the service path" in error["message"]
    assert _Collecting.seen == []
    kept = client.http.get(f"{PREFIX}/erp/connection", headers=world.headers(both_user("admin")))
    assert json.loads(kept.body)["connection"]["settings"]["service_path"] == (
        "Webservices/ItfJobCost.asmx"
    )


def test_a_service_path_is_joined_under_the_base_url_and_never_spells_another_port(
    client: Client, world: World, collecting: int
) -> None:
    # `http://127.0.0.1:4123` + `4/steal` was `http://127.0.0.1:41234/steal`: the other server.
    port = str(collecting)
    saved = put(client, world, yardi(f"http://127.0.0.1:{port[:-1]}", f"{port[-1]}/steal"))

    tested = tried(client, world)

    assert saved[0] == 200, saved
    assert tested["ok"] is False
    assert _Collecting.seen == []


def test_a_service_path_that_does_not_change_keeps_the_stored_credentials(
    client: Client, world: World, sandbox: SandboxErp
) -> None:
    base_url = sandbox.url + YARDI.path
    body = yardi(base_url, "/Webservices/ItfJobCost.asmx")
    body["credentials"] = dict(YARDI.credentials)
    put(client, world, body)

    kept = put(client, world, yardi(base_url, "Webservices/ItfJobCost.asmx/", credentials=False))
    tested = tried(client, world)

    assert kept[0] == 200, kept
    assert tested["ok"] is True, tested


@pytest.mark.parametrize(
    "service_path",
    [
        ".attacker.net/x",
        "//attacker.net/x",
        "@attacker.net/x",
        ":8443/x",
        "https://attacker.net/x",
        "https:attacker.net/x",
        "Webservices/../../other/ItfJobCost.asmx",
        "Webservices//ItfJobCost.asmx",
        "Webservices/ItfJobCost.asmx?x=1",
        "Webservices/ItfJobCost.asmx#x",
        "Webservices\\ItfJobCost.asmx",
        "Webservices%2fItfJobCost.asmx",
        "%2e%2e/ItfJobCost.asmx",
        "Webservices/%2E./ItfJobCost.asmx",
        "Webservices/Itf%00JobCost.asmx",
        "Webservices/Itf\tJobCost.asmx",
        "Webservices/Itf JobCost.asmx",
    ],
)
def test_a_service_path_that_is_not_a_plain_path_is_refused_naming_the_setting(
    client: Client, world: World, service_path: str
) -> None:
    # In AWS `https://yardi.example.com` + `.attacker.net/x` was yardi.example.com.attacker.net.
    before = put(client, world, yardi("https://yardi.example.com", "Webservices/ItfJobCost.asmx"))

    refused = put(client, world, yardi("https://yardi.example.com", service_path))

    assert before[0] == 200, before
    assert refused[0] == 422, refused
    error = refused[1]["error"]
    assert (error["code"], error["field"]) == ("invalid_connection", "settings.service_path")
    assert error["message"].startswith(
        "The setting 'service_path' must be a path under the Base URL"
    )
    kept = client.http.get(f"{PREFIX}/erp/connection", headers=world.headers(both_user("admin")))
    assert json.loads(kept.body)["connection"]["settings"]["service_path"] == (
        "Webservices/ItfJobCost.asmx"
    )


def test_changing_acumaticas_endpoint_version_without_credentials_is_refused(
    client: Client, world: World
) -> None:
    # The version is path text every read carrying the session goes to (docs/erps/acumatica.md).
    address = {"erp_system": "acumatica", "base_url": "https://acme.acumatica.example.com"}
    version = {"company": "Demo", "endpoint_version": "23.200.001"}
    credentials = {"username": "admin", "password": PASSWORD}
    saved = put(client, world, {**address, "settings": version, "credentials": credentials})
    same = put(client, world, {**address, "settings": version})
    moved = put(
        client, world, {**address, "settings": {**version, "endpoint_version": "24.200.001"}}
    )

    assert (saved[0], same[0]) == (200, 200), (saved, same)
    assert moved[0] == 422, moved
    assert moved[1]["error"]["field"] == "credentials"
    assert "changes the endpoint version" in moved[1]["error"]["message"]


@pytest.mark.parametrize(
    ("erp_system", "default"), [("acumatica", "23.200.001"), ("myob", "22.200.001")]
)
def test_an_endpoint_version_left_blank_and_its_default_are_the_same_address(
    client: Client, world: World, erp_system: str, default: str
) -> None:
    # The Connection form fills in the default a connection saved without one calls anyway:
    # saving it unchanged is no move of the address.
    address = {"erp_system": erp_system, "base_url": "https://acme.acumatica.example.com"}
    credentials = {"username": "admin", "password": PASSWORD}
    saved = put(
        client, world, {**address, "settings": {"company": "Demo"}, "credentials": credentials}
    )
    again = put(
        client, world, {**address, "settings": {"company": "Demo", "endpoint_version": default}}
    )
    back = put(client, world, {**address, "settings": {"company": "Demo", "endpoint_version": " "}})

    assert (saved[0], again[0], back[0]) == (200, 200, 200), (saved, again, back)
