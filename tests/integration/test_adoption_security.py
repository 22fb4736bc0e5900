"""Security of a company's own set-up: secrets stay secret, ERP addresses cannot reach inside,
an admin of one tool cannot give themselves or anyone the other tool's permissions.

The ERP password is grepped for in every answer, every captured log line, every audit entry and
every item of every table (DynamoDB and the secret store on moto, the real Acumatica connector
against the sandbox ERP). Base URLs pointing at loopback, private, link-local or metadata
addresses are refused when saved, by literal or by what the name resolves to, with the local
stack's allowance on as well as off; and a redirect is never followed.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters import aws
from chalicelib.adapters.erp.common import url_guard
from chalicelib.config import reset_settings
from chalicelib.domain.errors import UnsafeErpAddress
from chalicelib.domain.model import utc_now
from chalicelib.domain.url_rules import UnsafeUrl
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.api import app_client, moto_world_with_connectors
from tests.fixtures.http import serving
from tests.integration.api_support import World, both_user, budget_user, erp_user

PREFIX = "/api/v1/companies/demo"
SECRET = "Pa55-word-that-must-never-show"


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


@pytest.fixture
def local_urls_allowed(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> bool:
    monkeypatch.setenv("ERP_ALLOW_LOCAL_URLS", "true" if request.param else "false")
    reset_settings()
    return bool(request.param)


def save(client: Client, world: World, base_url: str, password: str = SECRET, **extra: Any) -> Any:
    body = {
        "erp_system": "acumatica",
        "base_url": base_url,
        "settings": {"company": "Demo"},
        "credentials": {"username": "admin", "password": password},
        **extra,
    }
    headers = world.headers(both_user("admin"))
    return client.http.put(f"{PREFIX}/erp/connection", headers=headers, body=json.dumps(body))


def every_table_item(world: World) -> str:
    text = []
    dynamodb = aws.dynamodb()
    for table in dynamodb.list_tables()["TableNames"]:
        text += [json.dumps(i, default=str) for i in dynamodb.scan(TableName=table)["Items"]]
    return "\n".join(text)


def test_the_erp_password_never_appears_in_an_answer_a_log_line_an_audit_entry_or_a_table(
    client: Client,
    world: World,
    sandbox: SandboxErp,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # Everything the app logs, at every level; libraries at the level deployments run them
    # (botocore's DEBUG wire trace prints request bodies and is never on in a deployment).
    caplog.set_level(logging.INFO)
    for name in ("budget-bridge", "chalicelib"):
        caplog.set_level(logging.DEBUG, logger=name)
    admin = world.headers(both_user("admin"))
    reader = world.headers(both_user("read_only"))
    answers = [
        save(client, world, sandbox.url, password=SECRET),
        client.http.post(f"{PREFIX}/erp/connection/test", headers=admin),  # wrong password
        save(client, world, sandbox.url, password=demo_data.SANDBOX_PASSWORD),
        client.http.post(f"{PREFIX}/erp/connection/test", headers=admin),
        save(client, world, sandbox.url, password=SECRET),  # and back to the wrong one
        client.http.get(f"{PREFIX}/erp/connection", headers=admin),
        client.http.get(f"{PREFIX}/erp/connection", headers=reader),
        client.http.get(f"{PREFIX}/erp/projects", headers=admin),
        client.http.post(f"{PREFIX}/cost-catalog/sync", headers=admin),
        client.http.get(f"{PREFIX}/audit", headers=admin),
        client.http.get("/api/v1/openapi.json"),
    ]

    statuses = [a.status_code for a in answers]
    assert statuses[:4] == [200, 200, 200, 200]
    assert json.loads(answers[1].body)["code"] == "erp_auth_failed"
    assert json.loads(answers[3].body)["ok"] is True
    assert json.loads(answers[5].body)["connection"]["credentials_set"] is True
    events = json.loads(answers[9].body)["events"]
    assert {"connection.saved", "connection.tested"} <= {e["action"] for e in events}
    out, err = capfd.readouterr()
    for where in (
        *[a.body.decode() for a in answers],
        out,
        err,
        caplog.text,
        every_table_item(world),
    ):
        assert SECRET not in where
        assert demo_data.SANDBOX_PASSWORD not in where
    stored = world.ports.secrets.erp_credentials("budget-bridge/erp/demo")
    assert stored.password == SECRET  # it is in the secret store, and only there


def test_a_put_without_credentials_keeps_the_stored_ones(
    client: Client, world: World, sandbox: SandboxErp
) -> None:
    save(client, world, sandbox.url, password=demo_data.SANDBOX_PASSWORD)
    body = {"erp_system": "acumatica", "base_url": sandbox.url, "settings": {"company": "Demo"}}
    headers = world.headers(both_user("admin"))

    kept = client.http.put(f"{PREFIX}/erp/connection", headers=headers, body=json.dumps(body))
    tested = client.http.post(f"{PREFIX}/erp/connection/test", headers=headers)

    assert kept.status_code == 200
    assert json.loads(tested.body)["ok"] is True


class _Collecting(http.server.BaseHTTPRequestHandler):
    """An address an admin might point the connection at: it records whatever is sent to it."""

    seen: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.seen.append(
            self.path.encode() + self.rfile.read(int(self.headers["Content-Length"] or 0))
        )
        self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


def test_a_put_that_moves_the_base_url_without_credentials_is_refused_and_sends_them_nowhere(
    client: Client, world: World, sandbox: SandboxErp
) -> None:
    # The stored credentials are only sent to the address they were saved for (docs/adoption.md).
    save(client, world, sandbox.url, password=SECRET)
    headers = world.headers(both_user("admin"))
    _Collecting.seen = []
    with serving(_Collecting) as server:
        elsewhere = f"http://127.0.0.1:{server.server_port}"
        body = {"erp_system": "acumatica", "base_url": elsewhere, "settings": {"company": "Demo"}}
        moved = client.http.put(f"{PREFIX}/erp/connection", headers=headers, body=json.dumps(body))
        client.http.post(f"{PREFIX}/erp/connection/test", headers=headers)
        after = client.http.get(f"{PREFIX}/erp/connection", headers=headers)

    assert moved.status_code == 422
    error = json.loads(moved.body)["error"]
    assert (error["code"], error["field"]) == ("invalid_connection", "credentials")
    assert error["message"].startswith("Enter the credentials again (username, password)")
    assert "only sent to the address they were saved for" in error["message"]
    assert json.loads(after.body)["connection"]["base_url"] == sandbox.url
    assert _Collecting.seen == []


def test_deleting_the_connection_deletes_its_secret(
    client: Client, world: World, sandbox: SandboxErp
) -> None:
    save(client, world, sandbox.url)
    headers = world.headers(both_user("admin"))
    busy = client.http.delete(f"{PREFIX}/erp/connection", headers=headers)
    running = world.jobs.get("demo", world.ids["job_id"])
    world.jobs.fail(running, "Stopped for the test.", [], utc_now())

    deleted = client.http.delete(f"{PREFIX}/erp/connection", headers=headers)
    after = client.http.get(f"{PREFIX}/erp/connection", headers=headers)

    assert busy.status_code == 409
    assert json.loads(busy.body)["error"]["job_id"] == running.job_id
    assert deleted.status_code == 204
    assert json.loads(after.body) == {"connection": None}
    secrets = aws.secretsmanager().list_secrets()["SecretList"]
    assert "budget-bridge/erp/demo" not in {s["Name"] for s in secrets}


REFUSED = [
    "http://169.254.169.254",
    "http://169.254.169.254/latest/meta-data/",
    "https://169.254.169.254",
    "https://10.0.0.1",
    "https://192.168.1.20:8443",
    "https://[::1]",
    "https://[::ffff:127.0.0.1]",
    "https://[fd00:ec2::254]",
    "https://127.0.0.1",
    "https://localhost",  # a name that resolves to 127.0.0.1
    "http://localhost",  # the local form needs its port
    "http://127.0.0.2:8001",  # only the exact 127.0.0.1
    "http://erp.example.com",  # not https
    "https://admin:pw@erp.example.com",
    "https://2130706433",
    "ftp://erp.example.com",
]


@pytest.mark.parametrize("local_urls_allowed", [True, False], indirect=True, ids=["local", "aws"])
@pytest.mark.parametrize("base_url", REFUSED)
def test_an_unsafe_base_url_is_refused_naming_the_field_and_nothing_is_saved(
    client: Client, world: World, local_urls_allowed: bool, base_url: str
) -> None:
    world.ports.directory.delete_erp_connection("demo")

    answer = save(client, world, base_url)

    assert answer.status_code == 422, answer.body
    error = json.loads(answer.body)["error"]
    assert (error["code"], error["field"]) == ("invalid_connection", "base_url")
    read = client.http.get(f"{PREFIX}/erp/connection", headers=world.headers(both_user("admin")))
    assert json.loads(read.body) == {"connection": None}


@pytest.mark.parametrize("local_urls_allowed", [True, False], indirect=True, ids=["local", "aws"])
@pytest.mark.parametrize("erp", ["qbo", "xero"])
@pytest.mark.parametrize(
    "token_url", ["https://169.254.169.254", "https://10.0.0.1", "http://erp.example.com"]
)
def test_an_unsafe_token_url_is_refused_at_save_naming_the_setting(
    client: Client, world: World, local_urls_allowed: bool, erp: str, token_url: str
) -> None:
    """The token URL receives the client secret and refresh token: it is judged as the Base URL is."""
    world.ports.directory.delete_erp_connection("demo")
    settings = {"realm_id": "9130", "default_cost_type": "Other"}
    if erp == "xero":
        settings = {"tenant_id": "t-1", "tracking_category": "Job", "default_cost_type": "Other"}
    credentials = {"client_id": "id", "client_secret": SECRET, "refresh_token": "refresh-1"}

    def put(url: str) -> Any:
        body = {"erp_system": erp, "base_url": "https://93.184.216.34", "credentials": credentials,
                "settings": {**settings, "token_url": url}}  # fmt: skip
        headers = world.headers(both_user("admin"))
        return client.http.put(f"{PREFIX}/erp/connection", headers=headers, body=json.dumps(body))

    refused = put(token_url)
    accepted = put("https://93.184.216.35/oauth2")

    assert refused.status_code == 422, refused.body
    error = json.loads(refused.body)["error"]
    assert (error["code"], error["field"]) == ("invalid_connection", "settings.token_url")
    assert error["message"].startswith("The token URL ")
    assert accepted.status_code == 200, accepted.body


def test_a_name_that_resolves_to_a_private_address_is_refused_on_the_local_stack_too(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {"erp.attacker.test": ["93.184.216.34", "127.0.0.1"]}  # one bad answer is enough
    monkeypatch.setattr(
        url_guard, "resolve", lambda host, port: [ipaddress.ip_address(a) for a in answers[host]]
    )

    refused = save(client, world, "https://erp.attacker.test")

    assert refused.status_code == 422
    assert "resolves to" in json.loads(refused.body)["error"]["message"]


@pytest.mark.parametrize("local_urls_allowed", [False], indirect=True)
def test_the_cdk_setting_refuses_the_local_stack_s_own_forms(
    client: Client, world: World, local_urls_allowed: bool
) -> None:
    for url in ("http://127.0.0.1:8001", "http://localhost:8001"):
        assert save(client, world, url).status_code == 422


def test_the_exact_local_forms_are_allowed_on_the_local_stack(client: Client, world: World) -> None:
    for url in ("http://127.0.0.1:8001", "http://localhost:8001", "http://127.0.0.1:8001/intacct"):
        assert save(client, world, url).status_code == 200, url


def test_the_connector_guard_refuses_each_request_to_an_unsafe_address_whatever_was_saved() -> None:
    for url in ("http://169.254.169.254/entity/auth/login", "https://10.0.0.1/x?$top=1"):
        with pytest.raises(UnsafeErpAddress):
            url_guard.check_request_url(url, allow_local=True)  # even on the local stack
    with pytest.raises(UnsafeUrl):
        url_guard.judge("https://localhost/entity", allow_local=True)


class _Redirecting(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.seen.append(self.path)
        self.send_response(302)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


def test_a_redirect_is_not_followed_and_the_test_says_so(client: Client, world: World) -> None:
    _Redirecting.seen = []
    with serving(_Redirecting) as server:
        url = f"http://127.0.0.1:{server.server_port}"
        saved = save(client, world, url)
        tested = client.http.post(
            f"{PREFIX}/erp/connection/test", headers=world.headers(both_user("admin"))
        )

    assert saved.status_code == 200
    result = json.loads(tested.body)
    assert (result["ok"], result["code"]) == (False, "erp_rejected")
    assert "redirect" in result["message"]
    assert _Redirecting.seen == ["/entity/auth/login"]  # asked once; the Location never called


# ---- Members: each tool's permissions are its own admins' to give -----------------------------


def erp_permission(world: World, email: str) -> str | None:
    found = world.ports.directory.membership("demo", email)
    return None if found is None else found.erp_permission.label


def test_a_budget_admin_cannot_make_themselves_erp_admin_nor_then_act_as_one(
    client: Client, world: World
) -> None:
    me = erp_user("read_only")  # Budget admin, ERP read-only
    headers = world.headers(me)
    members = f"{PREFIX}/members"

    def patch(email: str, body: dict[str, str]) -> Any:
        return client.http.patch(f"{members}/{email}", headers=headers, body=json.dumps(body))

    def invite(erp: str) -> Any:
        body = {"email": "ally@demo.test", "erp_permission": erp, "budget_permission": "admin"}
        return client.http.post(members, headers=headers, body=json.dumps(body))

    refused = [
        patch(me, {"erp_permission": "admin"}),
        patch(both_user("standard"), {"erp_permission": "admin"}),
        patch(both_user("standard"), {"erp_permission": "none"}),
        invite("admin"),
        invite("read_only"),
        client.http.delete(f"{members}/{erp_user('admin')}", headers=headers),  # an ERP admin
        client.http.put(f"{PREFIX}/erp/settings", headers=headers,
                        body=json.dumps({"auto_reimport": {"enabled": True, "every_hours": 12}})),
    ]  # fmt: skip
    allowed = [
        patch(both_user("standard"), {"budget_permission": "admin"}),
        invite("none"),
        client.http.delete(f"{members}/{both_user('read_only')}", headers=headers),
    ]

    assert [a.status_code for a in refused] == [403] * len(refused), [a.body for a in refused]
    for answer in refused[:6]:
        error = json.loads(answer.body)["error"]
        assert error["code"] == "forbidden"
        assert "admin permission in the ERP Integrations tool" in error["message"]
    assert [a.status_code for a in allowed] == [200, 201, 204], [a.body for a in allowed]
    assert erp_permission(world, me) == "read_only"
    assert erp_permission(world, both_user("standard")) == "standard"
    assert erp_permission(world, "ally@demo.test") == "none"
    assert erp_permission(world, erp_user("admin")) == "admin"


def test_an_erp_admin_cannot_give_budget_permission_they_do_not_administer(
    client: Client, world: World
) -> None:
    headers = world.headers(budget_user("read_only"))  # ERP admin, Budget read-only
    members = f"{PREFIX}/members"

    answers = [
        client.http.patch(f"{members}/{budget_user('read_only')}", headers=headers,
                          body=json.dumps({"budget_permission": "admin"})),
        client.http.post(members, headers=headers, body=json.dumps(
            {"email": "ally@demo.test", "erp_permission": "standard", "budget_permission": "admin"})),
        client.http.delete(f"{members}/{erp_user('read_only')}", headers=headers),  # a Budget admin
        client.http.patch(f"{members}/{both_user('standard')}", headers=headers,
                          body=json.dumps({"erp_permission": "admin"})),
    ]  # fmt: skip

    assert [a.status_code for a in answers] == [403, 403, 403, 200], [a.body for a in answers]
    assert "admin permission in the Budget tool" in json.loads(answers[0].body)["error"]["message"]
