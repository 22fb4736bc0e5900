"""Makes the embedded AWS's Cognito answer a challenge only for the user its session was issued
to, and sign its tokens with a key of its own (`sign_with_a_key_of_its_own`, below).

A first sign-in with a temporary password answers a NEW_PASSWORD_REQUIRED challenge and a session;
`POST /session/new-password` answers it with the session, the person's email and the password they
chose (docs/adoption.md, "First sign-in"). Cognito binds a session to the user who signed in: an
answer naming anyone else is refused with NotAuthorizedException and changes nothing. moto records
that user beside the session (at InitiateAuth and AdminInitiateAuth) but never compares it with
the USERNAME the answer names, so on the local stack anyone holding their own invitation's session
could choose the password of any account in the pool, an admin's too, and sign in as them.

`bind_challenge_sessions` makes RespondToAuthChallenge and AdminRespondToAuthChallenge (which
moto answers through the same method) refuse an answer whose USERNAME is not the session's user,
before moto reads the new password, so the account's password stays as it was and the session
stays usable by its own user. A session moto does not hold (never issued, or already used) is
refused with NotAuthorizedException and Cognito's sentence for it, where moto answers
ResourceNotFoundException; Cognito keeps that code for a missing user pool or app client, which
the app answers as a fault of its own (functions/chalicelib/adapters/cognito.py).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

# Cognito's own sentences for these refusals.
SESSION_OF_ANOTHER_USER = "Invalid session for the user."
SESSION_EXPIRED = "Invalid session for the user, session is expired."
# The key id moto writes into every token's header (and its shipped JWKS carries).
MOTO_KEY_ID = "dummy"


def bind_challenge_sessions(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's `respond_to_auth_challenge` (idempotent)."""
    from moto.cognitoidp.exceptions import NotAuthorizedError, UserNotFoundError
    from moto.cognitoidp.models import CognitoIdpBackend

    original_respond = CognitoIdpBackend.respond_to_auth_challenge
    if getattr(original_respond, "_binds_sessions", False):
        return

    @functools.wraps(original_respond)
    def respond_to_auth_challenge(
        backend: Any,
        session: str,
        client_id: str,
        challenge_name: str,
        challenge_responses: dict[str, str],
    ) -> Any:
        # moto keys a PASSWORD_VERIFIER answer's session by its secret block, others by Session.
        key = (
            challenge_responses.get("PASSWORD_CLAIM_SECRET_BLOCK")
            if challenge_name == "PASSWORD_VERIFIER"
            else session
        )
        if key not in backend.sessions:
            raise NotAuthorizedError(SESSION_EXPIRED)
        issued_to, user_pool = backend.sessions[key]
        named = challenge_responses.get("USERNAME")
        if named is not None:
            try:
                session_user = backend.admin_get_user(user_pool.id, issued_to)
                named_user = backend.admin_get_user(user_pool.id, named)
            except UserNotFoundError:
                raise NotAuthorizedError(SESSION_OF_ANOTHER_USER) from None
            # The same account however it is named: its user name or its email, in a pool keyed
            # by email (devstack/provision.py).
            if named_user is not session_user:
                raise NotAuthorizedError(SESSION_OF_ANOTHER_USER)
        return original_respond(backend, session, client_id, challenge_name, challenge_responses)

    respond_to_auth_challenge._binds_sessions = True  # type: ignore[attr-defined]
    setattr_(CognitoIdpBackend, "respond_to_auth_challenge", respond_to_auth_challenge)


def sign_with_a_key_of_its_own(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Make every user pool sign its tokens with an RSA key made for this process, and serve its
    public half as the pools' JWKS (idempotent).

    moto signs every ID token with the one private key its package ships, which anyone can read:
    with it, a token naming any account of the local stack could be made by hand and would pass the
    API's check (docs/local-stack.md). A key made when the embedded AWS starts is known to that
    process alone; tokens from an earlier run of the stack no longer pass, so a browser signs in
    again after a restart. The key keeps moto's key id, which moto writes into each token's header.
    """
    from joserfc.jwk import RSAKey
    from moto.cognitoidp.models import CognitoIdpUserPool
    from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse

    original_init = CognitoIdpUserPool.__init__
    if getattr(original_init, "_own_key", False):
        return
    key = RSAKey.generate_key(2048, parameters={"kid": MOTO_KEY_ID, "alg": "RS256", "use": "sig"})
    public = {"keys": [key.as_dict(private=False)]}

    @functools.wraps(original_init)
    def init(pool: Any, *args: Any, **kwargs: Any) -> None:
        original_init(pool, *args, **kwargs)
        pool.json_web_key = key

    init._own_key = True  # type: ignore[attr-defined]
    setattr_(CognitoIdpUserPool, "__init__", init)
    setattr_(CognitoIdpJsonWebKeyResponse, "json_web_key", json.dumps(public).encode("utf-8"))
