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
from moto.utilities.utils import load_resource

from app import app
from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.cognito import CognitoIdentityProvider, StaticSigningKeys
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


def _add_user(cognito: Any, pool_id: str, email: str) -> None:
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
    )


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
            _add_user(cognito, pool_id, email)
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
        # moto signs ID tokens with the key it ships; in `mock_aws` nothing serves the JWKS over
        # HTTP, so the verifier is handed moto's public key set directly.
        moto_keys = StaticSigningKeys(
            load_resource("moto.cognitoidp", "resources/jwks-public.json")
        )
        identity = CognitoIdentityProvider(
            user_pool_id=pool_id,
            client_id=client_id,
            issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}",
            jwks_url="https://keys.invalid/jwks.json",
            signing_keys=moto_keys,
        )
        # The audit log stays in memory: these tests read the API's answers and the stores.
        wiring.use_ports(
            worlds.ports(stores, queue=queue, identity=identity, audit=memory.MemoryAuditLog())
        )
        with Client(app) as client:
            yield World(client, queue, budgets, pool_id, cognito)
        wiring.reset()
