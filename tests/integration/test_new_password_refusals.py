"""`POST /session/new-password` refuses a session it cannot use as the route refuses a wrong
password: 401 `invalid_credentials` with a sentence saying to sign in again with the temporary
password, never a 503 to retry (docs/adoption.md, "First sign-in"). A session is used once and
only by the person it was issued to. Through the API on the local stack's Cognito
(devstack/moto_cognito.py), as `make run` answers it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import wiring
from chalicelib.adapters import aws
from devstack.moto_cognito import bind_challenge_sessions
from devstack.provision import create_user_pool
from tests import worlds
from tests.fixtures.cognito import add_account, moto_identity

INVITED = "invited@demo.test"
ADMIN = "admin@other.test"
TEMPORARY = "Temporary-pass-1!"
ADMIN_PASSWORD = "Admin-pass-123!"
CHOSEN = "Chosen-pass-456!"
SIGN_IN_AGAIN = "Please sign in again with the temporary password."


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Api:
    client: Client

    def post(self, path: str, body: dict[str, str]) -> Answer:
        answer = self.client.http.post(
            f"/api/v1{path}", body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        return Answer(answer.status_code, json.loads(answer.body), dict(answer.headers))

    def sign_in(self, email: str, password: str) -> Answer:
        return self.post("/session", {"email": email, "password": password})

    def choose_password(self, email: str, session: str, new_password: str) -> Answer:
        return self.post(
            "/session/new-password",
            {"email": email, "session": session, "new_password": new_password},
        )

    def challenge_session(self) -> str:
        """The invited person's first sign-in, with their temporary password."""
        answer = self.sign_in(INVITED, TEMPORARY)
        assert answer.body.get("challenge") == "new_password_required", answer
        return str(answer.body["session"])


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        bind_challenge_sessions(monkeypatch.setattr)
        stores = worlds.stores("moto")
        cognito = aws.client("cognito-idp")
        pool_id, client_id = create_user_pool(cognito)
        for email, password, permanent in (
            (INVITED, TEMPORARY, False),
            (ADMIN, ADMIN_PASSWORD, True),
        ):
            add_account(cognito, pool_id, email, password, permanent=permanent)
        identity = moto_identity(pool_id, client_id)
        wiring.use_ports(worlds.ports(stores, identity=identity))
        try:
            with Client(app) as client:
                yield Api(client)
        finally:
            wiring.reset()


def _refused_like_a_wrong_password(api: Api, answer: Answer) -> None:
    wrong_password = api.sign_in(ADMIN, "Not-the-password-1!")
    assert wrong_password.status == 401, wrong_password
    assert answer.status == wrong_password.status, answer
    assert answer.body["error"]["code"] == wrong_password.body["error"]["code"]
    assert answer.body["error"]["code"] == "invalid_credentials"
    assert answer.body["error"]["message"].endswith(SIGN_IN_AGAIN), answer
    assert "Retry-After" not in answer.headers


def test_a_used_session_is_refused_with_a_sentence_to_sign_in_again(api: Api) -> None:
    session = api.challenge_session()
    assert api.choose_password(INVITED, session, CHOSEN).status == 200

    again = api.choose_password(INVITED, session, "Another-pass-789!")

    _refused_like_a_wrong_password(api, again)
    assert api.sign_in(INVITED, CHOSEN).status == 200


def test_an_unknown_session_is_refused_with_the_same_sentence(api: Api) -> None:
    unknown = api.choose_password(INVITED, "never-issued-" + "0" * 24, CHOSEN)

    _refused_like_a_wrong_password(api, unknown)
    assert api.sign_in(INVITED, TEMPORARY).body.get("challenge") == "new_password_required"


def test_an_invited_person_s_session_cannot_choose_another_person_s_password(api: Api) -> None:
    session = api.challenge_session()

    taken_over = api.choose_password(ADMIN, session, CHOSEN)

    _refused_like_a_wrong_password(api, taken_over)
    assert "token" not in taken_over.body
    assert api.sign_in(ADMIN, ADMIN_PASSWORD).status == 200, "the admin's password is unchanged"
    assert api.sign_in(ADMIN, CHOSEN).status == 401
    own = api.choose_password(INVITED, session, CHOSEN)
    assert own.status == 200 and own.body["token"], own
