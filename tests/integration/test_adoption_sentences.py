"""What the adoption routes and the operator's command say is true and well formed.

- `DELETE /erp/connection` while an import runs names "an import", not "a import";
- a connection test that cannot reach the ERP (refused, a 500) promises no retry: it is no job;
- the operator's command says "ERP admin and Budget admin" only once the person is one, makes an
  existing member one (audited as a change), and audits nothing when nothing changed
  (docs/adoption.md; shared contract §7, "The operator's first step").
Through the API on moto with the real connectors, and the command on moto's DynamoDB and Cognito.
"""

from __future__ import annotations

import http.server
import json
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.audit import DynamoAuditLog
from chalicelib.adapters.dynamodb.directory import DynamoDirectory
from chalicelib.adapters.dynamodb.provision import create_tables
from chalicelib.adapters.dynamodb.tables import DynamoTables
from chalicelib.adapters.invitations import OutboxAccounts
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    ErpConnection,
    Job,
    JobKind,
    MemberStatus,
    Permission,
    utc_now,
)
from devstack import company
from devstack.provision import create_user_pool
from tests.fixtures.api import app_client, moto_world_with_connectors
from tests.fixtures.http import serving
from tests.integration.api_support import World, both_user

ADMIN = both_user("admin")


@pytest.fixture
def world() -> Iterator[World]:
    with moto_world_with_connectors() as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


def test_deleting_the_connection_while_an_import_runs_names_an_import(
    client: Client, world: World
) -> None:
    directory = world.ports.directory
    directory.put_company("acme", "Acme Construction")
    directory.put_member("acme", ADMIN, Permission.ADMIN, Permission.ADMIN)
    directory.put_erp_connection("acme", ErpConnection(
        erp_system="acumatica", base_url="https://erp.example.com", credentials_secret_id=""))  # fmt: skip
    budget = world.budgets.create_budget(Budget(
        company_id="acme", budget_id="b-7", project_id="p-7", project_name="Quay Street",
        erp_job_id="Q-7", erp_system="acumatica", status=BudgetStatus.READY_TO_IMPORT), [])  # fmt: skip
    world.jobs.enqueue(Job(job_id="job-7", company_id="acme", budget_id="b-7",
        kind=JobKind.IMPORT, requested_by=ADMIN, requested_at=utc_now()), budget, None)  # fmt: skip

    answer = client.http.delete(
        "/api/v1/companies/acme/erp/connection", headers=world.headers(ADMIN)
    )

    assert answer.status_code == 409, answer.body
    assert json.loads(answer.body)["error"]["message"] == (
        "An import of the budget for Quay Street is queued or running; try again when it has "
        "finished."
    )


class _Failing(http.server.BaseHTTPRequestHandler):
    """An ERP whose every answer is a 500."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _test_connection_at(client: Client, world: World, base_url: str) -> tuple[Any, Any]:
    headers = world.headers(ADMIN)
    body = {"erp_system": "acumatica", "base_url": base_url, "settings": {"company": "Demo"},
            "credentials": {"username": "admin", "password": "Pa55-word-1!"}}  # fmt: skip
    saved = client.http.put("/api/v1/companies/demo/erp/connection", headers=headers,
                            body=json.dumps(body))  # fmt: skip
    assert saved.status_code == 200, saved.body
    tested = client.http.post("/api/v1/companies/demo/erp/connection/test", headers=headers)
    stored = client.http.get("/api/v1/companies/demo/erp/connection", headers=headers)
    return json.loads(tested.body), json.loads(stored.body)["connection"]


def test_a_connection_test_that_cannot_reach_the_erp_promises_no_retry(
    client: Client, world: World
) -> None:
    address = f"http://127.0.0.1:{_closed_port()}"

    tested, stored = _test_connection_at(client, world, address)

    assert (tested["ok"], tested["code"]) == (False, "erp_unreachable")
    assert f"could not be reached at {address}" in tested["message"]
    assert "try again" not in tested["message"] and "job" not in tested["message"]
    assert tested["message"].endswith(").")
    assert stored["last_error"] == tested["message"]


def test_a_connection_test_answered_with_a_500_promises_no_retry(
    client: Client, world: World
) -> None:
    with serving(_Failing) as server:
        tested, _ = _test_connection_at(client, world, f"http://127.0.0.1:{server.server_port}")

    assert (tested["ok"], tested["code"]) == (False, "erp_unreachable")
    assert "had a problem (500)" in tested["message"]
    assert "try again" not in tested["message"] and "job" not in tested["message"]
    assert tested["message"].endswith(".") and not tested["message"].endswith("..")


# ---- the operator's command -----------------------------------------------------------------


@pytest.fixture
def target() -> Iterator[company.Target]:
    """The local stack's embedded AWS, as `python -m devstack.company` writes to it."""
    with mock_aws():
        aws.reset_clients()
        create_tables(aws.dynamodb())
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        yield company.Target(
            dynamodb=boto3.client("dynamodb", region_name="us-east-1"),
            cognito=cognito,
            directory_table="budget-bridge-directory",
            user_pool_id=create_user_pool(cognito)[0],
            local=True,
        )


def _audit(target: company.Target) -> list[tuple[str, str, dict[str, Any]]]:
    log = DynamoAuditLog(client=target.dynamodb, directory_table=target.directory_table)
    return [(e.action, e.target, e.details) for e in log.list("fresh", 50, None).items]


def test_the_command_makes_an_existing_member_erp_admin_and_budget_admin_and_says_so(
    target: company.Target,
) -> None:
    company.create_company(target, "fresh", "Fresh Start Builders", "admin@fresh.test")
    directory = DynamoDirectory(client=target.dynamodb, directory_table=target.directory_table)
    # new2 was invited by the admin (POST /members) as ERP standard, Budget read-only.
    OutboxAccounts(target.user_pool_id, target.cognito, DynamoTables(
        client=target.dynamodb, directory_table=target.directory_table,
    )).invite("new2@fresh.test", "Fresh Start Builders")  # fmt: skip
    directory.put_member("fresh", "new2@fresh.test", Permission.STANDARD, Permission.READ_ONLY,
                         MemberStatus.INVITED)  # fmt: skip
    before = len(_audit(target))

    said = company.create_company(target, "fresh", "Fresh Start Builders", "new2@fresh.test")

    member = directory.membership("fresh", "new2@fresh.test")
    assert member is not None
    assert (member.erp_permission, member.budget_permission) == (Permission.ADMIN,) * 2
    assert member.status is MemberStatus.INVITED
    assert said.splitlines()[0] == (
        "Company fresh (Fresh Start Builders): new2@fresh.test, until now ERP standard and Budget "
        "read_only, is now ERP admin and Budget admin."
    )
    events = _audit(target)
    assert len(events) == before + 1
    assert events[0] == ("member.changed", "new2@fresh.test", {
        "erp_permission": "admin", "budget_permission": "admin",
        "was": {"erp_permission": "standard", "budget_permission": "read_only"}})  # fmt: skip

    again = company.create_company(target, "fresh", "Fresh Start Builders", "new2@fresh.test")

    assert again.splitlines()[0] == (
        "Company fresh (Fresh Start Builders): new2@fresh.test was already ERP admin and Budget "
        "admin; the membership is unchanged."
    )
    assert len(_audit(target)) == before + 1  # nothing changed, nothing audited


def test_the_command_adds_a_new_admin_to_an_existing_company_as_a_member_added(
    target: company.Target,
) -> None:
    created = company.create_company(target, "fresh", "Fresh Start Builders", "admin@fresh.test")
    added = company.create_company(target, "fresh", "Fresh Start Builders", "second@fresh.test")

    assert created.splitlines()[0] == (
        "Company fresh (Fresh Start Builders) created: admin@fresh.test is ERP admin and Budget "
        "admin."
    )
    assert added.splitlines()[0] == (
        "Company fresh (Fresh Start Builders): second@fresh.test is ERP admin and Budget admin."
    )
    assert [(action, who) for action, who, _ in _audit(target)] == [
        ("member.added", "second@fresh.test"), ("company.created", "admin@fresh.test"),
    ]  # fmt: skip


def test_the_command_refuses_an_admin_email_the_web_app_would_refuse(
    target: company.Target,
) -> None:
    # The same check as an invitation: an address holding a NUL is no one's, and nothing is written.
    with pytest.raises(SystemExit, match="ADMIN_EMAIL: An email address cannot contain"):
        company.create_company(target, "fresh", "Fresh Start Builders", "admin@fresh.test\x00")

    directory = DynamoDirectory(client=target.dynamodb, directory_table=target.directory_table)
    assert directory.company_name("fresh") is None
