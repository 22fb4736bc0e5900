"""The identity port on Amazon Cognito: password sign-in and verification of the pool's ID tokens.

Verification is local (PyJWT against the pool's published JWKS, fetched once and cached), so the
same code checks tokens in AWS and against the embedded moto server. Tokens are never logged.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import jwt
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from chalicelib.domain.errors import (
    InvalidCredentials,
    ServiceUnavailable,
    Unauthenticated,
    WeakPassword,
)
from chalicelib.domain.ports import Identity, NewPasswordChallenge, SessionToken
from chalicelib.observability import logger

WRONG_CREDENTIALS = "The email or password is incorrect."
SESSION_INVALID = "Your session is missing, invalid or has expired. Please sign in again."
KEYS_UNAVAILABLE = "Sign-in cannot be checked right now. Please try again in a minute."
SIGN_IN_UNAVAILABLE = "Signing in is not possible right now. Please try again in a minute."
CHALLENGE_SESSION_REFUSED = (
    "The sign-in session has expired or does not match. Please sign in again with the temporary "
    "password."
)

# Cognito's answer to a wrong password and to an unknown user must look the same to the caller.
_REFUSALS = {
    "NotAuthorizedException",
    "UserNotFoundException",
    "InvalidParameterException",
    "UserNotConfirmedException",
    "PasswordResetRequiredException",
}
_ALGORITHMS = ["RS256"]  # Cognito signs with RS256; anything else (none, HS256) is refused
_LEEWAY_SECONDS = 5  # clock skew between Cognito and Lambda


class SigningKeys(Protocol):
    """Where verification keys come from; `jwt.PyJWKClient` is one."""

    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK: ...


class StaticSigningKeys:
    """A fixed JWKS held in memory (a pinned key set, or a test's)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = jwt.PyJWKSet.from_dict(jwks)

    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK:
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._keys.keys:
            if key.key_id == kid:
                return key
        raise jwt.PyJWKClientError("no key in the key set matches the token's kid")


class CognitoIdentityProvider:
    def __init__(
        self,
        user_pool_id: str,
        client_id: str,
        issuer: str,
        jwks_url: str,
        signing_keys: SigningKeys | None = None,
    ) -> None:
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.issuer = issuer
        self.jwks_url = jwks_url
        self._signing_keys = signing_keys
        self._lock = threading.Lock()

    def sign_in(self, email: str, password: str) -> SessionToken | NewPasswordChallenge:
        from chalicelib.adapters.aws import client

        try:
            answer = client("cognito-idp").initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                # Users are created with lower-case emails, as the directory keeps them.
                AuthParameters={"USERNAME": email.strip().lower(), "PASSWORD": password},
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _REFUSALS:
                raise InvalidCredentials(WRONG_CREDENTIALS) from None
            logger().warning("cognito refused a sign-in unexpectedly", extra={"aws_code": code})
            raise ServiceUnavailable(SIGN_IN_UNAVAILABLE) from None
        except BotoCoreError as error:
            logger().warning("cognito unreachable", extra={"error": type(error).__name__})
            raise ServiceUnavailable(SIGN_IN_UNAVAILABLE) from None
        result = answer.get("AuthenticationResult")
        if not result:
            if answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED" and answer.get("Session"):
                return NewPasswordChallenge(session=answer["Session"])
            # Other challenges (MFA) are not offered by this pool's client.
            raise InvalidCredentials(
                "This account must finish setting up its sign-in before it can sign in here."
            )
        return SessionToken(token=result["IdToken"], expires_in=int(result["ExpiresIn"]))

    def set_new_password(self, email: str, session: str, new_password: str) -> SessionToken:
        from chalicelib.adapters.aws import client
        from chalicelib.adapters.invitations import password_problem

        problem = password_problem(new_password)  # the pool's policy, said in our words
        if problem:
            raise WeakPassword(problem)
        try:
            answer = client("cognito-idp").respond_to_auth_challenge(
                ClientId=self.client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=session,
                ChallengeResponses={
                    "USERNAME": email.strip().lower(),
                    "NEW_PASSWORD": new_password,
                },
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "InvalidPasswordException":
                # Cognito's own sentence names the rule broken (length, symbols, ...).
                said = error.response.get("Error", {}).get("Message", "")
                raise WeakPassword(
                    f"The new password does not meet the password rules. {said}".strip()
                ) from None
            # An expired, used or unknown session, or one issued to another user, is Cognito's
            # NotAuthorizedException (the local stack's too, devstack/moto_cognito.py). Its
            # ResourceNotFoundException means a missing pool or app client: our fault, so a 503.
            if code in _REFUSALS or code in ("CodeMismatchException", "ExpiredCodeException"):
                raise InvalidCredentials(CHALLENGE_SESSION_REFUSED) from None
            logger().warning(
                "cognito refused a new password unexpectedly", extra={"aws_code": code}
            )
            raise ServiceUnavailable(SIGN_IN_UNAVAILABLE) from None
        except ParamValidationError:
            # A session or email Cognito could never have issued: the same answer as a stale one.
            raise InvalidCredentials(CHALLENGE_SESSION_REFUSED) from None
        except BotoCoreError as error:
            logger().warning("cognito unreachable", extra={"error": type(error).__name__})
            raise ServiceUnavailable(SIGN_IN_UNAVAILABLE) from None
        result = answer.get("AuthenticationResult")
        if not result:
            raise InvalidCredentials("The new password was not accepted. Please sign in again.")
        return SessionToken(token=result["IdToken"], expires_in=int(result["ExpiresIn"]))

    def verify(self, token: str) -> Identity:
        try:
            key = self._keys().get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                audience=self.client_id,
                issuer=self.issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]},
            )
        except jwt.PyJWKClientConnectionError:
            # The keys could not be fetched: the token may be fine, so do not sign the user out.
            logger().warning("the user pool's signing keys could not be fetched")
            raise ServiceUnavailable(KEYS_UNAVAILABLE) from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Unauthenticated(SESSION_INVALID) from None
        email = claims.get("email")
        subject = claims.get("sub")
        if claims.get("token_use") != "id" or not isinstance(email, str) or not email:
            raise Unauthenticated(SESSION_INVALID)
        # The email is who the caller is here. A user can change their own email attribute
        # (UpdateUserAttributes with their access token); until they prove they own the new
        # address Cognito says `email_verified: false`, and it must not name them as its owner.
        # The app client reads email_verified, so a token without it is not one of ours.
        if claims.get("email_verified") not in (True, "true"):
            raise Unauthenticated(SESSION_INVALID)
        return Identity(email=email.lower(), subject=str(subject))

    def _keys(self) -> SigningKeys:
        with self._lock:
            if self._signing_keys is None:
                # PyJWKClient caches the key set and refetches it for an unknown kid (rotation).
                self._signing_keys = jwt.PyJWKClient(self.jwks_url, cache_keys=True, timeout=5)
            return self._signing_keys
