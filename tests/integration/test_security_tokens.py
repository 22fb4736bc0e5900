"""Tokens that are genuine but must still not name their holder: an unverified email."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from chalicelib.domain.errors import Unauthenticated
from tests.integration.api_support import TokenIssuer, verifier


def reissued(issuer: TokenIssuer, **claims: Any) -> str:
    payload = jwt.decode(issuer.token("admin@other.test"), options={"verify_signature": False})
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, issuer.key, algorithm="RS256", headers={"kid": issuer.kid})


@pytest.mark.parametrize(
    "email_verified",
    [False, "false", "", 0, None],
    ids=["false", "text-false", "empty", "zero", "absent"],
)
def test_a_token_whose_email_is_not_verified_signs_no_one_in(email_verified: Any) -> None:
    # What a user gets after changing their own email to someone else's, before verifying it.
    issuer = TokenIssuer()

    with pytest.raises(Unauthenticated):
        verifier(issuer).verify(reissued(issuer, email_verified=email_verified))


@pytest.mark.parametrize("email_verified", [True, "true"], ids=["boolean", "text"])
def test_a_token_with_a_verified_email_names_its_holder(email_verified: Any) -> None:
    # Cognito writes a boolean; moto writes the attribute's text.
    issuer = TokenIssuer()

    identity = verifier(issuer).verify(reissued(issuer, email_verified=email_verified))

    assert identity.email == "admin@other.test"
