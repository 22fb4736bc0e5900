"""The local stack's Cognito (devstack/moto_cognito.py): a first sign-in's session answers its
NEW_PASSWORD_REQUIRED challenge only for the user it was issued to, and a used or unknown session
is refused as Cognito refuses it. Plain moto lets one invited person choose anyone's password."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from devstack.emulator import EmbeddedAws
from devstack.moto_cognito import SESSION_EXPIRED, SESSION_OF_ANOTHER_USER, bind_challenge_sessions
from devstack.provision import create_user_pool
from tests.fixtures.cognito import add_account

INVITED = "invited@demo.test"  # signs in with a temporary password: holds a challenge session
ADMIN = "admin@other.test"  # another company's admin, signed in before
TEMPORARY = "Temporary-pass-1!"
ADMIN_PASSWORD = "Admin-pass-123!"
CHOSEN = "Chosen-pass-456!"


@dataclass
class Pool:
    cognito: Any
    pool_id: str
    client_id: str

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        return dict(
            self.cognito.initiate_auth(
                ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        )  # fmt: skip

    def admin_sign_in(self, email: str, password: str) -> dict[str, Any]:
        return dict(
            self.cognito.admin_initiate_auth(
                UserPoolId=self.pool_id, ClientId=self.client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        )  # fmt: skip

    def choose_password(self, session: str, email: str, password: str) -> dict[str, Any]:
        return dict(
            self.cognito.respond_to_auth_challenge(
                ClientId=self.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=session,
                ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": password},
            )
        )  # fmt: skip

    def admin_choose_password(self, session: str, email: str, password: str) -> dict[str, Any]:
        return dict(
            self.cognito.admin_respond_to_auth_challenge(
                UserPoolId=self.pool_id, ClientId=self.client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED", Session=session,
                ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": password},
            )
        )  # fmt: skip


def _provision(cognito: Any) -> Pool:
    """The local stack's pool (devstack/provision.py), an invited person and another's admin."""
    pool_id, client_id = create_user_pool(cognito)
    for email, password, permanent in ((INVITED, TEMPORARY, False), (ADMIN, ADMIN_PASSWORD, True)):
        add_account(cognito, pool_id, email, password, permanent=permanent)
    return Pool(cognito, pool_id, client_id)


@pytest.fixture
def pool(aws_env: None) -> Pool:
    return _provision(aws.client("cognito-idp"))


def _refusal(attempt: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        attempt()
    error = refused.value.response["Error"]
    return error["Code"], error["Message"]


def _signs_in(pool: Pool, email: str, password: str) -> bool:
    try:
        return "AuthenticationResult" in pool.sign_in(email, password)
    except pool.cognito.exceptions.NotAuthorizedException:
        return False


def _only_its_own_user(pool: Pool, sign_in: Callable[..., Any], choose: Callable[..., Any]) -> None:
    """The invited person's session cannot set the admin's password; it still sets their own."""
    session = sign_in(INVITED, TEMPORARY)["Session"]

    refused = _refusal(lambda: choose(session, ADMIN, CHOSEN))

    assert refused == ("NotAuthorizedException", SESSION_OF_ANOTHER_USER)
    assert _signs_in(pool, ADMIN, ADMIN_PASSWORD), "the admin's password is unchanged"
    assert not _signs_in(pool, ADMIN, CHOSEN)
    assert "AuthenticationResult" in choose(session, INVITED, CHOSEN)
    assert _signs_in(pool, INVITED, CHOSEN)


def test_plain_moto_lets_a_challenge_session_choose_another_user_s_password(pool: Pool) -> None:
    session = pool.sign_in(INVITED, TEMPORARY)["Session"]

    pool.choose_password(session, ADMIN, CHOSEN)

    assert _signs_in(pool, ADMIN, CHOSEN)  # what the setting below prevents


def test_a_challenge_session_sets_only_the_password_of_the_user_it_was_issued_to(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    bind_challenge_sessions(monkeypatch.setattr)
    bind_challenge_sessions(monkeypatch.setattr)  # idempotent

    _only_its_own_user(pool, pool.sign_in, pool.choose_password)


def test_the_admin_calls_bind_their_sessions_too(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    bind_challenge_sessions(monkeypatch.setattr)

    _only_its_own_user(pool, pool.admin_sign_in, pool.admin_choose_password)


def test_a_used_or_unknown_session_is_refused_as_cognito_refuses_it(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = pool.sign_in(INVITED, TEMPORARY)["Session"]
    pool.choose_password(session, INVITED, CHOSEN)
    used = _refusal(lambda: pool.choose_password(session, INVITED, "Another-pass-789!"))
    assert used[0] == "ResourceNotFoundException"  # plain moto

    bind_challenge_sessions(monkeypatch.setattr)
    used = _refusal(lambda: pool.choose_password(session, INVITED, "Another-pass-789!"))
    unknown = _refusal(lambda: pool.choose_password("never-issued-" + "0" * 24, INVITED, CHOSEN))

    assert used == unknown == ("NotAuthorizedException", SESSION_EXPIRED)
    assert _signs_in(pool, INVITED, CHOSEN)


@pytest.fixture
def emulator_pool() -> Iterator[Pool]:
    emulator = EmbeddedAws("127.0.0.1", 0).start()
    try:
        cognito = boto3.client(
            "cognito-idp", endpoint_url=emulator.url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        yield _provision(cognito)
    finally:
        emulator.stop()


def test_the_local_stack_s_emulator_binds_each_challenge_session_to_its_user(
    emulator_pool: Pool,
) -> None:
    _only_its_own_user(emulator_pool, emulator_pool.sign_in, emulator_pool.choose_password)


def test_the_local_stack_s_emulator_signs_with_a_key_only_it_holds(emulator_pool: Pool) -> None:
    """A token made by hand with the private key moto ships (anyone can read it) does not pass
    the check against the emulator's JWKS; the token it issued itself does."""
    import jwt
    from moto.utilities.utils import load_resource

    token = emulator_pool.sign_in(ADMIN, ADMIN_PASSWORD)["AuthenticationResult"]["IdToken"]
    address = (
        f"{emulator_pool.cognito.meta.endpoint_url}/{emulator_pool.pool_id}/.well-known/jwks.json"
    )
    served = jwt.PyJWKClient(address).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, served.key, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["email"] == ADMIN

    shipped = load_resource("moto.cognitoidp", "resources/jwks-private.json")
    moto_key = jwt.PyJWK.from_dict(shipped["keys"][0] if "keys" in shipped else shipped)
    forged = jwt.encode(claims, moto_key.key, algorithm="RS256", headers={"kid": "dummy"})
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, served.key, algorithms=["RS256"], options={"verify_aud": False})
