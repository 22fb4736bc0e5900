"""Sign-in hooks shared by the connectors: OAuth2 token endpoints and HTTP Basic.

An OAuth2 access token is reused, across operations of the same warm worker, until shortly before
it expires; after a 401 the client asks for a new one once (`ErpHttp.call`). Tokens live in this
process only, keyed by the address and the client, and never reach a log or a table.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass

from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure
from chalicelib.domain.errors import ErpAuthFailed, ErpRejected

_EARLY_SECONDS = 30.0  # renew a little before the ERP's own expiry, so no call carries a stale one
_DEFAULT_LIFETIME = 300.0  # when the ERP does not say how long a token lasts


@dataclass
class _Token:
    value: str
    expires_at: float


_tokens: dict[str, _Token] = {}
_lock = threading.Lock()  # one sign-in at a time per process: no two workers race a refresh


def forget_tokens() -> None:
    """Drop every cached token (tests, and a connection whose credentials changed)."""
    with _lock:
        _tokens.clear()


class OAuth2SignIn:
    """OAuth2 at `token_path` with a form (client credentials or password grant)."""

    def __init__(
        self,
        token_path: str,
        form: dict[str, str],
        who: str,
        *,
        keyed_on: dict[str, str] | None = None,
    ) -> None:
        self._path = token_path
        self._form = form
        # For the sentence: "the client" or "the user and client", never a value of the
        # credentials (the sentence becomes a job's message and the connection's last error).
        self._who = who
        # The cache key is a digest of every field that proves who signs in, secrets included
        # (`keyed_on`, by default the form): one process serves every company, and a company that
        # names another's client id with any other secret must sign in itself, not be handed the
        # other company's token. Only the digest is held, never a secret.
        fields = form if keyed_on is None else keyed_on
        fingerprint = hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()
        self._key = f"{token_path}|{fingerprint}"

    def headers(self, client: ErpHttp) -> dict[str, str]:
        key = client.base_url + self._key
        with _lock:
            token = _tokens.get(key)
            if token is None or token.expires_at <= time.monotonic():
                token = self._request(client)
                _tokens[key] = token
        return {"Authorization": f"Bearer {token.value}"}

    def refresh(self, client: ErpHttp) -> None:
        with _lock:
            _tokens.pop(client.base_url + self._key, None)

    def _request(self, client: ErpHttp) -> _Token:
        try:
            answer = client.call(
                "POST", self._path, f"sign in to {client.name}", form=self._form,
                authenticated=False,
            )  # fmt: skip
        except HttpFailure as failure:
            # The sign-in answer's body is never quoted: it could echo what was sent.
            if failure.status in (400, 401, 403):
                raise ErpAuthFailed(
                    f"{client.title} refused the sign-in for {self._who}: check the {client.erp} "
                    "connection's client id, client secret and user."
                ) from None
            raise client.explain(failure, f"sign in to {client.name}", quote_body=False) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
            raise ErpRejected(
                f"{client.title}'s sign-in answer had no access token: check the {client.erp} "
                "connection's address."
            )
        try:
            lifetime = float(answer.get("expires_in", _DEFAULT_LIFETIME))
        except (TypeError, ValueError):
            lifetime = _DEFAULT_LIFETIME
        return _Token(
            answer["access_token"], time.monotonic() + max(0.0, lifetime - _EARLY_SECONDS)
        )


class BasicSignIn:
    """HTTP Basic on every call: nothing to refresh, so a 401 after a retry is final."""

    def __init__(self, username: str, password: str) -> None:
        pair = f"{username}:{password}".encode()
        self._header = "Basic " + base64.b64encode(pair).decode()

    def headers(self, client: ErpHttp) -> dict[str, str]:
        return {"Authorization": self._header}

    def refresh(self, client: ErpHttp) -> None:
        return None
