"""Helpers for the API tests: a token issuer with its own RSA key, and an identity provider on it.

Tokens are real RS256 JWTs checked by the production `CognitoIdentityProvider.verify`, so a token
signed by another key, or one that has expired, is refused by the very code that runs in AWS.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from chalicelib.adapters.cognito import CognitoIdentityProvider, StaticSigningKeys
from chalicelib.domain.errors import InvalidCredentials
from chalicelib.domain.ports import Identity, SessionToken

POOL_ID = "us-east-1_TestPool"
CLIENT_ID = "test-web-client"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
TOKEN_SECONDS = 3600


@dataclass
class TokenIssuer:
    """Signs Cognito-shaped ID tokens with a key of its own and publishes the matching JWKS."""

    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    @property
    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def token(self, email: str, *, expires_in: int = TOKEN_SECONDS, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "sub": f"sub-{email}",
            "email": email,
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "iat": now,
            "auth_time": now,
            "exp": now + expires_in,
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})


def verifier(issuer: TokenIssuer) -> CognitoIdentityProvider:
    """The production verifier, reading its keys from `issuer` instead of over HTTP."""
    return CognitoIdentityProvider(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        issuer=ISSUER,
        jwks_url="https://keys.invalid/jwks.json",
        signing_keys=StaticSigningKeys(issuer.jwks),
    )


@dataclass
class TestIdentityProvider:
    """An IdentityProvider holding passwords in memory; verification is the Cognito adapter's."""

    __test__ = False  # not a test class, whatever its name says

    issuer: TokenIssuer = field(default_factory=TokenIssuer)
    passwords: dict[str, str] = field(default_factory=dict)

    def add_user(self, email: str, password: str) -> None:
        self.passwords[email.lower()] = password

    def sign_in(self, email: str, password: str) -> SessionToken:
        if self.passwords.get(email.lower()) != password:
            raise InvalidCredentials("The email or password is incorrect.")
        return SessionToken(self.issuer.token(email.lower()), TOKEN_SECONDS)

    def verify(self, token: str) -> Identity:
        return verifier(self.issuer).verify(token)

    def bearer(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.token(email)}"}
