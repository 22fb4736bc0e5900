"""Forged and unfit tokens against every signed-in route: each is refused with 401 and nothing
happens. The verifier is the production Cognito adapter, holding the issuer's real public key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from chalice.test import Client
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from app import app
from chalicelib.entrypoints.api import routes
from tests.fixtures.api import app_client
from tests.integration.api_support import TokenIssuer, World, build_world, erp_user

PREFIX = "/api/v1"
# The routes that need no token are the ones the API itself declares open (`auth=False`).
PUBLIC = {
    (operation.method, operation.path.removeprefix(PREFIX))
    for operation in routes.operations()
    if not operation.auth
}
VICTIM = erp_user("admin")  # a real member with every permission in company demo


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _claims(issuer: TokenIssuer, **changes: Any) -> dict[str, Any]:
    claims = jwt.decode(issuer.token(VICTIM), options={"verify_signature": False})
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _signed(issuer: TokenIssuer, **changes: Any) -> str:
    """Genuinely signed by the pool's key, but with claims that must not be accepted."""
    return jwt.encode(
        _claims(issuer, **changes), issuer.key, algorithm="RS256", headers={"kid": issuer.kid}
    )


def alg_none(issuer: TokenIssuer) -> str:
    return jwt.encode(_claims(issuer), None, algorithm="none", headers={"kid": issuer.kid})


def hs256_with_the_public_key(issuer: TokenIssuer) -> str:
    public_pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
    body = _b64(json.dumps(_claims(issuer)).encode())
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(mac)}"


def another_key_same_kid(issuer: TokenIssuer) -> str:
    return TokenIssuer(kid=issuer.kid).token(VICTIM)


def another_key_unknown_kid(issuer: TokenIssuer) -> str:
    return TokenIssuer().token(VICTIM)


def embedded_jwk(issuer: TokenIssuer) -> str:
    attacker = TokenIssuer(kid=issuer.kid)
    jwk = json.loads(RSAAlgorithm.to_jwk(attacker.key.public_key()))
    return jwt.encode(
        _claims(issuer), attacker.key, algorithm="RS256", headers={"kid": issuer.kid, "jwk": jwk}
    )


def stripped_signature(issuer: TokenIssuer) -> str:
    head, body, _ = issuer.token(VICTIM).split(".")
    return f"{head}.{body}."


def tampered_claims(issuer: TokenIssuer) -> str:
    head, _, signature = issuer.token("read-only@demo.test").split(".")
    return f"{head}.{_b64(json.dumps(_claims(issuer)).encode())}.{signature}"


FORGERIES: dict[str, Callable[[TokenIssuer], str]] = {
    "alg-none": alg_none,
    "hs256-with-public-key": hs256_with_the_public_key,
    "another-key-same-kid": another_key_same_kid,
    "another-key-unknown-kid": another_key_unknown_kid,
    "embedded-jwk": embedded_jwk,
    "stripped-signature": stripped_signature,
    "tampered-claims": tampered_claims,
    "expired": lambda i: _signed(i, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
    "wrong-issuer": lambda i: _signed(
        i, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"
    ),
    "wrong-audience": lambda i: _signed(i, aud="another-client"),
    "access-token": lambda i: _signed(i, token_use="access", aud=None, client_id="test-web-client"),
    "email-not-verified": lambda i: _signed(i, email_verified=False),
    "no-email": lambda i: _signed(i, email=None),
    "not-a-jwt": lambda i: "not.a.jwt",
}


def _routes() -> list[tuple[str, str]]:
    return sorted(
        (method, path.removeprefix(PREFIX))
        for path, methods in app.routes.items()
        for method in methods
        if (method, path.removeprefix(PREFIX)) not in PUBLIC
    )


ROUTES = _routes()


@pytest.fixture(scope="module")
def world() -> World:
    return build_world("memory")


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


def _path(template: str, world: World) -> str:
    # Path parameters this table does not know (a route added later) get a plausible value.
    return PREFIX + re.sub(r"\{(\w+)\}", lambda m: world.ids.get(m.group(1), "1"), template)


def _body(method: str) -> bytes:
    return b"{}" if method in ("POST", "PUT", "PATCH") else b""


def test_the_table_can_fail_a_genuine_token_is_let_through(client: Client, world: World) -> None:
    token = world.identity.issuer.token(VICTIM)
    answer = client.http.request(
        "GET", PREFIX + "/me", headers={"Authorization": f"Bearer {token}"}
    )

    assert answer.status_code == 200


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_or_unfit_token_is_refused_on_every_route(
    client: Client, world: World, forgery: str
) -> None:
    token = FORGERIES[forgery](world.identity.issuer)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    before = world.budgets.get("demo", "b-1001")

    refused = []
    for method, template in ROUTES:
        answer = client.http.request(
            method, _path(template, world), headers=headers, body=_body(method)
        )
        error = json.loads(answer.body)["error"]
        refused.append((method, template, answer.status_code, error["code"]))

    assert {
        (m, t) for m, t, status, code in refused if (status, code) != (401, "unauthorized")
    } == set()
    assert len(refused) == len(ROUTES) >= 12
    assert world.queue.sent == [], "no job was queued"
    assert world.budgets.get("demo", "b-1001") == before, "nothing changed"
