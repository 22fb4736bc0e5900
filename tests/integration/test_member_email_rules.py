"""Which email addresses a person can be invited by (`POST /members`, services/members.py):
one shaped local@domain, at most 254 characters, with no control, invisible or space character.
Anything else answers 400 `invalid_request` with a sentence, and no account, membership,
invitation or audit entry is made (docs/adoption.md, "Members"). Sign-in does not judge the
address: one no account can have answers as any unknown one does (docs/api.md, "Authentication").
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.domain.errors import InvalidRequest
from chalicelib.services.members import normal_email
from devstack.moto_cognito import bind_challenge_sessions
from devstack.provision import create_user_pool
from tests import worlds
from tests.fixtures.api import app_client
from tests.fixtures.cognito import add_account, moto_identity
from tests.integration.api_support import World, both_user, build_world

MEMBERS = "/api/v1/companies/demo/members"
JSON = {"Content-Type": "application/json"}

UNSEEN = [
    "x@y.test\u0000",  # NUL
    "q\u0001\u202e@x.test",  # a control character and a right-to-left override
    "q\u202etset.x@y.test",  # the override alone: shows one address and is another
    "a\u200b@x.test",  # zero-width space
    "a\ufeff@x.test",  # byte order mark
    "a@x.test\u2028",  # line separator
    "a@x.test\u2029",  # paragraph separator
    "a\u00a0b@x.test",  # no-break space
    "a b@x.test",
    "a\tb@x.test",
    "a@x.test\r\nBcc: all@x.test",
    "\U000f0000@x.test",  # private use
    "\u0378@x.test",  # unassigned
]
MISSHAPEN = [
    "a@b",
    "@x.test",
    "ab@",
    "a@x..test",
    "a@.x.test",
    "a@x.test.",
    "a@-x.test",
    "a@x-.test",
    "a@x_y.test",
    "a@x.t",
    "a@1.2.3.4",
    "a@[10.0.0.1]",
    "a@b@x.test",
    "a,b@x.test",
    "<a@x.test>",
    '"ab"@x.test',
    "a" * 65 + "@x.test",
    "a@" + "b" * 64 + ".test",
]
TOO_LONG = "a@" + ".".join(letter * 63 for letter in "bcde") + ".test"  # each label valid
ORDINARY = [
    "first.last+tag@sub.example.co.uk",
    "New.Person@Demo.TEST",
    "o'brien@x-y.demo.test",
    "user@bücher.de",
    "  padded@demo.test ",
    "a@" + "b" * 63 + ".test",
]


@pytest.fixture
def world() -> World:
    return build_world("memory")


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


def invite(client: Client, world: World, email: str) -> Any:
    body = {"email": email, "erp_permission": "none", "budget_permission": "standard"}
    return client.http.post(
        MEMBERS, headers=world.headers(both_user("admin")), body=json.dumps(body)
    )


def nothing_made(world: World) -> None:
    listed = {m.email for m in world.ports.directory.members("demo")}
    assert listed == {m.email for m in build_world("memory").ports.directory.members("demo")}
    assert world.ports.accounts.outbox() == [], "no invitation"
    assert world.ports.audit.list("demo", 10, None).items == []


@pytest.mark.parametrize("email", UNSEEN, ids=ascii)
def test_an_address_with_a_control_invisible_or_space_character_is_refused_naming_it(
    client: Client, world: World, email: str
) -> None:
    answer = invite(client, world, email)

    assert answer.status_code == 400, answer.body
    error = json.loads(answer.body)["error"]
    assert error["code"] == "invalid_request"
    said = error["message"]
    assert said.startswith("An email address cannot contain ") and said.endswith(".")
    assert "U+" in said
    assert all(unicodedata.category(c) not in ("Cc", "Cf") for c in said), "not echoed"
    nothing_made(world)


@pytest.mark.parametrize("email", MISSHAPEN, ids=lambda email: ascii(email[:30]))
def test_an_address_not_shaped_local_at_domain_is_refused_with_a_sentence(
    client: Client, world: World, email: str
) -> None:
    answer = invite(client, world, email)

    assert answer.status_code == 400, answer.body
    error = json.loads(answer.body)["error"]
    assert error["code"] == "invalid_request"
    assert "is not an email address: " in error["message"]
    assert error["message"].endswith("write it as name@example.com.")
    nothing_made(world)


def test_an_address_of_more_than_254_characters_is_refused(client: Client, world: World) -> None:
    assert len(TOO_LONG) == 262

    answer = invite(client, world, TOO_LONG)

    assert answer.status_code == 422, answer.body  # the body's own limit, before the service's
    assert "at most 254 characters" in json.loads(answer.body)["error"]["message"]
    with pytest.raises(InvalidRequest, match="at most 254 characters; this one has 262"):
        normal_email(TOO_LONG)  # for callers without the body's limit
    nothing_made(world)


@pytest.mark.parametrize("email", ORDINARY, ids=lambda email: ascii(email[:30]))
def test_ordinary_addresses_are_invited_in_lower_case(
    client: Client, world: World, email: str
) -> None:
    answer = invite(client, world, email)

    assert answer.status_code == 201, answer.body
    kept = email.strip().lower()
    assert json.loads(answer.body)["email"] == kept
    assert [m.to for m in world.ports.accounts.outbox()] == [kept]


# ---- sign-in does not judge the address --------------------------------------------------------

PASSWORD = "Admin-pass-123!"
ADMIN = "admin@demo.test"


@pytest.fixture
def signing_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """The API with the local stack's Cognito (moto) and one account, ADMIN."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        bind_challenge_sessions(monkeypatch.setattr)  # moto's challenge sessions, as Cognito's
        cognito = aws.client("cognito-idp")
        pool_id, client_id = create_user_pool(cognito)
        add_account(cognito, pool_id, ADMIN, PASSWORD)
        identity = moto_identity(pool_id, client_id)
        wiring.use_ports(worlds.ports(worlds.stores("moto"), identity=identity))
        try:
            with Client(app) as client:
                yield client
        finally:
            wiring.reset()


def answered(client: Client, path: str, body: dict[str, str]) -> tuple[int, Any]:
    answer = client.http.post(f"/api/v1{path}", body=json.dumps(body), headers=JSON)
    return answer.status_code, json.loads(answer.body)


@pytest.mark.parametrize("email", [*UNSEEN[:4], *MISSHAPEN[:3], ADMIN + "\u0000"], ids=ascii)
def test_signing_in_with_an_address_no_account_can_have_answers_as_an_unknown_address(
    signing_in: Client, email: str
) -> None:
    unknown = answered(signing_in, "/session", {"email": "nobody@demo.test", "password": PASSWORD})
    assert unknown[0] == 401

    assert answered(signing_in, "/session", {"email": email, "password": PASSWORD}) == unknown
    choose = {"email": email, "session": "never-issued-" + "0" * 24, "new_password": PASSWORD}
    status, body = answered(signing_in, "/session/new-password", choose)
    assert (status, body["error"]["code"]) == (401, "invalid_credentials")
    assert answered(signing_in, "/session", {"email": ADMIN, "password": PASSWORD})[0] == 200
