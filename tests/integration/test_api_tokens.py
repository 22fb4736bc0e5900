"""The token check of the Cognito adapter, with a locally generated key and its JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from chalicelib.adapters.cognito import CognitoIdentityProvider
from chalicelib.domain.errors import ServiceUnavailable, Unauthenticated
from tests.fixtures.http import send_body, serving
from tests.integration.api_support import CLIENT_ID, ISSUER, POOL_ID, TokenIssuer, verifier


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer()


def refused(issuer: TokenIssuer, token: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        verifier(issuer).verify(token)
    assert caught.value.message.endswith("Please sign in again.")


def test_a_genuine_id_token_names_the_caller_in_lower_case(issuer: TokenIssuer) -> None:
    identity = verifier(issuer).verify(issuer.token("Admin@Demo.TEST", sub="user-1"))

    assert (identity.email, identity.subject) == ("admin@demo.test", "user-1")


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "another-client"},
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"},
        {"token_use": "access"},
        {"email": None},
        {"exp": int(time.time()) - 120},
        {"iat": None},
    ],
    ids=["audience", "issuer", "access-token", "no-email", "expired", "no-iat"],
)
def test_a_token_with_a_wrong_claim_is_refused(issuer: TokenIssuer, claims: dict[str, Any]) -> None:
    payload = jwt.decode(issuer.token("admin@demo.test"), options={"verify_signature": False})
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    token = jwt.encode(payload, issuer.key, algorithm="RS256", headers={"kid": issuer.kid})

    refused(issuer, token)


def test_a_token_signed_by_another_key_is_refused(issuer: TokenIssuer) -> None:
    same_kid_other_key = TokenIssuer(kid=issuer.kid)

    refused(issuer, same_kid_other_key.token("admin@demo.test"))


def test_a_token_of_an_unknown_key_id_is_refused(issuer: TokenIssuer) -> None:
    refused(issuer, TokenIssuer().token("admin@demo.test"))


def test_unsigned_and_shared_secret_tokens_are_refused(issuer: TokenIssuer) -> None:
    claims = jwt.decode(issuer.token("admin@demo.test"), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": issuer.kid})
    # An HS256 token "signed" with the public key: the classic algorithm-confusion forgery.
    public_pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = _b64({"alg": "HS256", "typ": "JWT", "kid": issuer.kid})
    signing_input = f"{head}.{_b64(claims)}".encode()
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    confused = f"{signing_input.decode()}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    for token in (unsigned, confused, "not.a.jwt", ""):
        refused(issuer, token)


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")


class _UnreachableKeys:
    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK:
        raise jwt.PyJWKClientConnectionError("Fail to fetch data from the url")


def test_unreachable_keys_answer_unavailable_rather_than_signing_the_user_out(
    issuer: TokenIssuer,
) -> None:
    provider = CognitoIdentityProvider(
        POOL_ID, CLIENT_ID, ISSUER, "https://keys.invalid/jwks.json", _UnreachableKeys()
    )

    with pytest.raises(ServiceUnavailable):
        provider.verify(issuer.token("admin@demo.test"))


@pytest.fixture
def jwks_server(issuer: TokenIssuer) -> Iterator[tuple[str, list[str]]]:
    """The key set served over HTTP on 127.0.0.1, as moto serves the pool's; counts the fetches."""
    fetched: list[str] = []
    document = json.dumps(issuer.jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            fetched.append(self.path)
            send_body(self, 200, document, "application/json")

        def log_message(self, *args: Any) -> None:
            return None

    with serving(Handler) as server:
        yield f"http://127.0.0.1:{server.server_port}", fetched


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_by_default_the_keys_are_fetched_over_http_once(
    issuer: TokenIssuer, jwks_server: tuple[str, list[str]]
) -> None:
    base, fetched = jwks_server
    path = f"/{POOL_ID}/.well-known/jwks.json"
    provider = CognitoIdentityProvider(POOL_ID, CLIENT_ID, ISSUER, base + path)

    for _ in range(3):
        assert provider.verify(issuer.token("admin@demo.test")).email == "admin@demo.test"

    assert fetched == [path]


def test_keys_that_cannot_be_fetched_answer_unavailable(issuer: TokenIssuer) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/jwks.json"
    provider = CognitoIdentityProvider(POOL_ID, CLIENT_ID, ISSUER, url)

    with pytest.raises(ServiceUnavailable):
        provider.verify(issuer.token("admin@demo.test"))
