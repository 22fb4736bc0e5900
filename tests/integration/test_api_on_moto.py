"""The API against moto: real Cognito sign-in and tokens, the real DynamoDB stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    LineItem,
    Permission,
    WbsKey,
)
from devstack import memory
from tests import worlds
from tests.fixtures.cognito import add_account, moto_identity

PASSWORD = "Demo-pass-1"
JSON = {"Content-Type": "application/json"}


@dataclass
class World:
    client: Client
    queue: memory.MemoryJobQueue
    budgets: DynamoBudgetStore
    pool_id: str
    cognito: Any

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        body = json.dumps({"email": email, "password": password})
        return self.client.http.post("/api/v1/session", body=body, headers=JSON)

    def bearer(self, email: str) -> dict[str, str]:
        answer = self.sign_in(email)
        assert answer.status_code == 200, answer.body
        return {"Authorization": f"Bearer {json.loads(answer.body)['token']}", **JSON}


def _line(sub_job: str, code: str, kind: str, amount: str, **extra: Any) -> LineItem:
    return LineItem(WbsKey(sub_job, code, kind), f"{code} {kind}", Decimal(amount), **extra)


def _user_pool(cognito: Any) -> tuple[str, str]:
    pool_id = cognito.create_user_pool(PoolName="budget-bridge", UsernameAttributes=["email"])[
        "UserPool"
    ]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email", "email_verified"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        stores = worlds.stores("moto")
        cognito = aws.client("cognito-idp")
        pool_id, client_id = _user_pool(cognito)
        directory, budgets = stores.directory, stores.budgets
        directory.put_company("demo", "Demo Construction Co.")
        directory.put_company("other", "Other Builders")
        members = {
            "admin@demo.test": ("demo", Permission.ADMIN),
            "readonly@demo.test": ("demo", Permission.READ_ONLY),
            "admin@other.test": ("other", Permission.ADMIN),
        }
        for email, (company, level) in members.items():
            add_account(cognito, pool_id, email, PASSWORD)
            directory.put_member(company, email, level, level)
        for company, budget_id, project in (
            ("demo", "b-1001", "P-1001"),
            ("other", "b-2001", "P-2001"),
        ):
            budgets.create_budget(
                Budget(
                    company_id=company,
                    budget_id=budget_id,
                    project_id=project.lower(),
                    project_name=f"Project {project}",
                    erp_job_id=project,
                    erp_system="acumatica",
                    status=BudgetStatus.SYNCED,
                ),
                [
                    _line("01", "03-300", "M", "1250.00", uom="CY", quantity=Decimal("10")),
                    _line("01", "03-300", "L", "800.00"),
                ],
            )
        queue = memory.MemoryJobQueue()
        identity = moto_identity(pool_id, client_id)
        # The audit log stays in memory: these tests read the API's answers and the stores.
        wiring.use_ports(
            worlds.ports(stores, queue=queue, identity=identity, audit=memory.MemoryAuditLog())
        )
        with Client(app) as client:
            yield World(client, queue, budgets, pool_id, cognito)
        wiring.reset()


def test_signing_in_with_cognito_gives_a_token_that_opens_me(world: World) -> None:
    answer = world.sign_in("Admin@Demo.test")

    assert answer.status_code == 200
    session = json.loads(answer.body)
    assert session["expires_in"] > 0
    me = world.client.http.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {session['token']}"}
    )
    assert me.status_code == 200
    assert json.loads(me.body) == {
        "email": "admin@demo.test",
        "companies": [
            {
                "company_id": "demo",
                "name": "Demo Construction Co.",
                "erp_permission": "admin",
                "budget_permission": "admin",
                "target": "budget_bridge",
                "target_name": "Budget Bridge",
            }
        ],
    }


def test_wrong_password_and_unknown_email_get_the_same_answer(world: World) -> None:
    wrong_password = world.sign_in("admin@demo.test", "not-the-password")
    unknown_email = world.sign_in("nobody@demo.test")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.body == unknown_email.body
    assert json.loads(wrong_password.body)["error"] == {
        "code": "invalid_credentials",
        "message": "The email or password is incorrect.",
    }
    assert wrong_password.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_for_another_app_client_of_the_pool_is_refused(world: World) -> None:
    other_client = world.cognito.create_user_pool_client(
        UserPoolId=world.pool_id, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    tokens = world.cognito.initiate_auth(
        ClientId=other_client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "admin@demo.test", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]

    for token in (tokens["IdToken"], tokens["AccessToken"]):
        answer = world.client.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401


def test_the_cognito_access_token_is_not_accepted_in_place_of_the_id_token(world: World) -> None:
    client_id = world.cognito.list_user_pool_clients(UserPoolId=world.pool_id, MaxResults=10)[
        "UserPoolClients"
    ][0]["ClientId"]
    access = world.cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "admin@demo.test", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]

    answer = world.client.http.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})

    assert answer.status_code == 401


def test_reimport_is_recorded_in_dynamodb_and_queued_once(world: World) -> None:
    headers = {**world.bearer("admin@demo.test"), "Idempotency-Key": "click-1"}
    path = "/api/v1/companies/demo/erp/budgets/b-1001/reimport"

    first = world.client.http.post(path, headers=headers)
    again = world.client.http.post(path, headers=headers)
    other_key = world.client.http.post(path, headers={**headers, "Idempotency-Key": "click-2"})

    assert first.status_code == 202
    job = json.loads(first.body)
    assert job["status"] == "queued" and job["kind"] == "reimport"
    assert again.status_code == 202 and json.loads(again.body)["job_id"] == job["job_id"]
    assert other_key.status_code == 409
    assert json.loads(other_key.body)["error"]["job_id"] == job["job_id"]
    assert [m.job_id for m in world.queue.sent] == [job["job_id"]]
    polled = world.client.http.get(first.headers["Location"], headers=headers)
    assert polled.status_code == 200
    assert json.loads(polled.body)["job_id"] == job["job_id"]


def test_a_budget_of_another_company_is_not_found_and_not_touched(world: World) -> None:
    headers = world.bearer("admin@demo.test")

    answers = [
        world.client.http.post(
            "/api/v1/companies/demo/erp/budgets/b-2001/reimport", headers=headers
        ),
        world.client.http.post(
            "/api/v1/companies/other/erp/budgets/b-2001/reimport", headers=headers
        ),
        world.client.http.get("/api/v1/companies/other/projects/p-2001/budget", headers=headers),
        world.client.http.get("/api/v1/companies/demo/projects/p-2001/budget", headers=headers),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert all(b"P-2001" not in a.body and b"Other Builders" not in a.body for a in answers)
    assert world.queue.sent == []
    assert world.budgets.get("other", "b-2001").active_job_id is None


def test_editing_a_line_keeps_its_units_and_a_lock_stops_edits(world: World) -> None:
    headers = world.bearer("admin@demo.test")
    budget_path = "/api/v1/companies/demo/projects/p-1001/budget"
    lines = json.loads(world.client.http.get(budget_path, headers=headers).body)["line_items"]
    material = next(line for line in lines if line["cost_type"] == "M")

    edited = world.client.http.patch(
        f"{budget_path}/line_items/{material['line_item_id']}",
        headers=headers,
        body=json.dumps({"original_budget_amount": "1300.50"}),
    )
    locked = world.client.http.post(f"{budget_path}/lock", headers=headers)
    refused = world.client.http.patch(
        f"{budget_path}/line_items/{material['line_item_id']}",
        headers=headers,
        body=json.dumps({"original_budget_amount": "1.00"}),
    )

    assert edited.status_code == 200
    assert json.loads(edited.body) == {**material, "original_budget_amount": "1300.50"}
    assert locked.status_code == 200 and json.loads(locked.body)["locked"] is True
    assert refused.status_code == 409
    assert json.loads(refused.body)["error"]["code"] == "budget_locked"
    budget = json.loads(world.client.http.get(budget_path, headers=headers).body)
    assert budget["total"] == "2100.50"


def test_a_read_only_member_can_look_but_not_reimport(world: World) -> None:
    headers = world.bearer("readonly@demo.test")

    listed = world.client.http.get("/api/v1/companies/demo/erp/budgets", headers=headers)
    refused = world.client.http.post(
        "/api/v1/companies/demo/erp/budgets/b-1001/reimport", headers=headers
    )

    assert listed.status_code == 200
    [row] = json.loads(listed.body)["budgets"]
    assert row["can_reimport"] is False and row["current_procore_total"] == "2050.00"
    assert refused.status_code == 403
    assert world.queue.sent == []
