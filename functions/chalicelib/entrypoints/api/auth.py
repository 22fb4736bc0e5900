"""Who is calling: reads `Authorization: Bearer <token>` and asks the identity port to verify it.

The app verifies every token itself, so the local stack (which has no API Gateway) and AWS check
tokens the same way. In AWS a Cognito user-pool authorizer (infra/gateway.py) also guards every
route the app does not declare public: a second lock, so a route that forgot to authenticate is
still closed there. Tokens are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.errors import NoCredentials, Unauthenticated
from chalicelib.domain.ports import Identity
from chalicelib.services.ports import Ports

MISSING = "Sign in first: this request needs an 'Authorization: Bearer <token>' header."
MAX_TOKEN_LENGTH = 8192  # Cognito's ID tokens are a few KB; anything longer is not one of them


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an `Authorization: Bearer` header (header names lower-cased)."""
    value = headers.get("authorization", "").strip()
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":  # none at all, or a scheme this API does not take (RFC 6750 3.1)
        raise NoCredentials(MISSING)
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise Unauthenticated(MISSING)
    return token


def authenticate(ports: Ports, headers: Mapping[str, str]) -> Identity:
    """The verified caller; raises Unauthenticated for a missing, forged or expired token."""
    return ports.identity.verify(bearer_token(headers))
