"""The HTTP client every ERP connector speaks through, so each ERP module holds only its wire format.

One `ErpHttp` per operation (a budget read, a project listing): it keeps that operation's cookies,
calls the connection's `SignIn` hook for headers, signs in again once when the ERP answers 401,
retries 5xx and timeouts a bounded number of times with backoff, waits for `Retry-After` on 429/503
(up to a cap; beyond it the worker's queue waits instead, as long as the ERP asked: the raised
`ErpUnavailable` carries the wait), caps answer sizes, refuses redirects and any path that would
leave the base URL (`url_of`), and turns every failure into `ErpUnavailable` (may pass) or
`ErpRejected` (will not) with a sentence.
Only the standard library speaks HTTP here, so the Lambda package carries no HTTP client; each
request connects to the address the URL guard checked (`pinned.py`).
See docs/erps/README.md for what every connector does.
"""

from __future__ import annotations

import email.utils
import http.client
import http.cookiejar
import json
import logging
import math
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from chalicelib.adapters.erp.common import pinned, redact, url_guard
from chalicelib.domain.errors import ErpAuthFailed, ErpRejected, ErpUnavailable
from chalicelib.domain.url_rules import IpAddress

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 20.0
# A page of 1,000 lines is a few MB; an answer far beyond that is not a budget page, and reading it
# whole would exhaust the worker's memory before the JSON could be judged.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MAX_ATTEMPTS = 3  # one call and two retries; after that the worker's queue retries the job
BACKOFF_SECONDS = 0.5  # doubled per retry
MAX_WAIT_SECONDS = 30.0  # a longer Retry-After is left to the queue, which waits that long
MAX_PAGES = 100_000  # an ERP that always says "more" must not keep a worker forever
_MAX_ERROR_BODY_BYTES = 64 * 1024  # only a short message is ever taken from an error answer
_ERP_MESSAGE_LIMIT = 200
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class SignIn(Protocol):
    """How one ERP signs in: headers for each call, and a fresh sign-in after a 401."""

    def headers(self, client: ErpHttp) -> dict[str, str]: ...

    def refresh(self, client: ErpHttp) -> None: ...


class NoSignIn:
    """For calls that carry their own credentials (the sign-in call itself)."""

    def headers(self, client: ErpHttp) -> dict[str, str]:
        return {}

    def refresh(self, client: ErpHttp) -> None:
        return None


class HttpFailure(Exception):
    """An HTTP answer outside 2xx, with what is needed to explain it."""

    def __init__(
        self,
        status: int,
        body: bytes,
        retry_after: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.headers = headers or {}  # an ERP's own limit headers (Xero's X-Rate-Limit-Problem)


@dataclass(frozen=True, slots=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_response_bytes: int = MAX_RESPONSE_BYTES
    max_attempts: int = MAX_ATTEMPTS
    backoff: float = BACKOFF_SECONDS
    max_wait: float = MAX_WAIT_SECONDS
    # The local stack's sandbox ERPs on http://127.0.0.1:<port> (the ERP_ALLOW_LOCAL_URLS setting,
    # handed over by wiring.py through common/deployment.py): never in AWS.
    allow_local_urls: bool = False


def check_destination(url: str, allow_local: bool) -> tuple[IpAddress, ...]:
    """THE URL GUARD HOOK: every request's address is judged here before it is sent.

    Only web addresses, and only those the address guard allows (no loopback, private, link-local
    or metadata address, by literal or by what the name resolves to: docs/adoption.md), so it runs
    before each request and each retry, not only when a connection is saved. Answers the addresses
    it allowed, the only ones the request may connect to.
    """
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ErpRejected(
            "The ERP connection's address is not a web address (http or https): check it."
        )
    return url_guard.check_request_url(url, allow_local=allow_local)  # every request, any URL


class ErpHttp:
    """One operation's HTTP conversation with one ERP (its own cookies, its own sign-in)."""

    def __init__(
        self,
        base_url: str,
        sign_in: SignIn | None = None,
        *,
        limits: Limits | None = None,
        secrets: tuple[str, ...] = (),
        sleep: Callable[[float], None] | None = None,
        erp_name: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Sentences name the ERP as its users know it ("Sage Intacct did not answer ...").
        self.erp = erp_name or "ERP"
        self.name = erp_name or "the ERP"
        self.title = self.name[0].upper() + self.name[1:]
        self.sign_in: SignIn = sign_in or NoSignIn()
        self.limits = limits or Limits()
        # The connection's credentials, and every credential a request of this conversation
        # carried (a token the sign-in answered, the Basic header): none is ever quoted.
        self._secrets = {s for s in secrets if s}
        self._sleep = sleep if sleep is not None else time.sleep
        # The session cookies an ERP sets (Acumatica's ASP.NET_SessionId) sign a request in as
        # much as a password does, so `quote` keeps their values out of every sentence too.
        self._cookies = http.cookiejar.CookieJar()
        # Connects to the guard's addresses only, and never follows a redirect.
        self._opener = pinned.build_opener(urllib.request.HTTPCookieProcessor(self._cookies))
        self.last_headers: dict[str, str] = {}  # the last answer's headers (limits left, ...)

    def call(
        self,
        method: str,
        path: str,
        action: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
        raw: bytes | None = None,
        answer_bytes: bool = False,
    ) -> Any:
        """One call with retries; the parsed JSON answer (None when empty), or with
        `answer_bytes` the answer's bytes for the caller to parse (`parse_json`).

        `action` completes "when trying to ...", e.g. "read the budget of ERP job 'P-1'".
        Raises `HttpFailure` only for 4xx answers the caller may explain better (401 after a
        fresh sign-in, 403, 404, 400...); use `explain` for the standard sentence.
        """
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            sent = dict(headers or {})
            try:
                if authenticated:  # a token request that times out is retried like any call
                    sent.update(self.sign_in.headers(self))
                return self.send(
                    method, path, action, json_body=json_body, form=form, headers=sent, raw=raw,
                    answer_bytes=answer_bytes,
                )  # fmt: skip
            except HttpFailure as failure:
                if failure.status == 401 and authenticated and not refreshed:
                    refreshed = True  # a session or token that expired: sign in once more
                    self.sign_in.refresh(self)
                    continue
                if failure.status not in _TRANSIENT_STATUSES or self.is_final(failure):
                    raise
                self._wait_or_raise(attempt, failure, action)
            except _Transient as transient:
                if attempt >= self.limits.max_attempts:
                    raise ErpUnavailable(transient.message) from None
                self._sleep(self.limits.backoff * 2 ** (attempt - 1))

    def is_final(self, failure: HttpFailure) -> bool:
        """Whether a 5xx answer will not pass with a retry (SOAP faults carry their own verdict)."""
        return False

    def _wait_or_raise(self, attempt: int, failure: HttpFailure, action: str) -> None:
        asked = retry_after_seconds(failure.retry_after)
        wait = asked if asked is not None else self.limits.backoff * 2 ** (attempt - 1)
        if attempt >= self.limits.max_attempts or wait > self.limits.max_wait:
            error = self.explain(failure, action)
            if isinstance(error, ErpUnavailable) and error.retry_after_seconds is None:
                # A connector's own sentence (its `explain`) may not pass the wait on; the
                # worker's queue must still not bring the job back before the ERP said.
                error.retry_after_seconds = asked
            raise error
        logger.info("The ERP answered %s; trying again in %.1f s.", failure.status, wait)
        self._sleep(wait)

    def send(
        self,
        method: str,
        path: str,
        action: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        answer_bytes: bool = False,
    ) -> Any:
        """Exactly one request; the parsed JSON. Raises HttpFailure, _Transient or ErpRejected.

        With `raw` (a body whose Content-Type the caller sets, as for SOAP) or `answer_bytes` the
        answer is the answer's bytes, size-capped like any other, for the caller's own parser.
        """
        url = self.url_of(path)
        addresses = check_destination(url, self.limits.allow_local_urls)
        sent = {"Accept": "application/json", **(headers or {})}
        data = raw
        if raw is None and form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif raw is None and json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        self._secrets |= redact.sent_secrets(sent, form)
        request = pinned.VettedRequest(url, addresses, data=data, method=method, headers=sent)
        try:
            answer = self._exchange(request, action)
        finally:
            # The cookie jar writes its `Cookie` header as the request goes out, after `sent`
            # was judged: what was sent is read back from the request itself.
            self._secrets |= redact.sent_secrets(dict(request.header_items()), None)
        if len(answer) > self.limits.max_response_bytes:
            raise ErpRejected(
                f"{self.title}'s answer when trying to {action} was larger than "
                f"{_size(self.limits.max_response_bytes)}, more than a budget page can be: check "
                f"the {self.erp} connection's address."
            )
        if raw is not None or answer_bytes:
            return answer
        return self.parse_json(answer, action)

    def url_of(self, path: str) -> str:
        """The URL of `path` (and its query) under the connection's address.

        Joined with a separator onto the base URL's own path, and refused unless the result still
        has the base URL's scheme, host and port and stays under its path: the saved credentials
        go only to the saved address (docs/adoption.md, "The ERP connection"), so no path a
        setting or an answer supplies may reach another host (`:8052`, `.attacker.net`) or climb
        out of the base path (`..`) to another tenant of a shared host.
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        base, target = urllib.parse.urlsplit(self.base_url), urllib.parse.urlsplit(url)
        try:
            same_address = (base.scheme, base.netloc, base.port) == (
                target.scheme, target.netloc, target.port,
            )  # fmt: skip
        except ValueError:  # a port that is no number
            same_address = False
        added = urllib.parse.unquote(target.path[len(base.path) :]).replace("\\", "/")
        if (
            not same_address
            or not target.path.startswith(base.path)
            or any(segment in (".", "..") for segment in added.split("/"))
        ):
            raise ErpRejected(
                f"A request to {self.name} would have left the connection's address "
                f"({self.base_url}): check the {self.erp} connection's settings."
            )
        return url

    def parse_json(self, answer: bytes, action: str) -> Any:
        """An answer's JSON, numbers as exact decimals; None when it is empty."""
        if not answer.strip():
            return None
        try:
            return json.loads(answer, parse_float=Decimal, parse_constant=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise ErpRejected(
                f"{self.title}'s answer when trying to {action} was not valid JSON: check the {self.erp} "
                "connection's address."
            ) from None

    def _exchange(self, request: urllib.request.Request, action: str) -> bytes:
        timeout = self.limits.timeout
        late = (
            f"{self.title} did not answer within {timeout:g} seconds when trying to {action}; "
            "the job will try again."
        )
        try:
            with self._opener.open(request, timeout=timeout) as response:
                self.last_headers = dict(response.headers.items())
                return _read_at_most(response, self.limits.max_response_bytes + 1)
        except urllib.error.HTTPError as error:
            with error:
                body = _read_quietly(error)
            raise HttpFailure(
                error.code, body, error.headers.get("Retry-After"), dict(error.headers.items())
            ) from None
        except TimeoutError:
            raise _Transient(late) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise _Transient(late) from None
            raise _Transient(
                f"{self.title} could not be reached at {self.base_url} ({_reason(error.reason)}); "
                "the job will try again."
            ) from None
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            raise _Transient(
                f"The connection to {self.name} broke off ({_reason(error)}); the job will try again."
            ) from None

    def explain(
        self, failure: HttpFailure, doing: str, *, quote_body: bool = True
    ) -> ErpUnavailable | ErpRejected:
        """The standard sentence for an HTTP failure when trying to `doing`."""
        status = failure.status
        if status == 429:
            return ErpUnavailable(
                f"{self.title} asked us to slow down (429) when trying to {doing}; the job will try "
                "again.",
                retry_after=failure.retry_after,
                retry_after_seconds=retry_after_seconds(failure.retry_after),
            )
        if status >= 500 or status == 408:
            return ErpUnavailable(
                f"{self.title} had a problem ({status}) when trying to {doing}; the job will try again.",
                retry_after=failure.retry_after,
                retry_after_seconds=retry_after_seconds(failure.retry_after),
            )
        detail = self.erp_message(failure.body) if quote_body else ""
        suffix = f" {self.title} said: {detail}" if detail else ""
        if status == 401:
            return ErpAuthFailed(
                f"{self.title} refused our sign-in even after signing in afresh when trying to {doing}: "
                f"check the {self.erp} connection's credentials.{suffix}"
            )
        if status == 403:
            return ErpRejected(
                f"The {self.erp} user is not allowed to {doing}: give the {self.erp} connection's user access "
                f"to projects and their budgets.{suffix}"
            )
        if status == 404:
            return ErpRejected(
                f"{self.title} answered 'not found' when trying to {doing}: check the {self.erp} connection's "
                f"address and that the job exists in {self.name}.{suffix}"
            )
        if 300 <= status < 400:
            return ErpRejected(
                f"{self.title} answered with a redirect ({status}) when trying to {doing}: set the {self.erp} "
                "connection's address to the instance's own https address."
            )
        return ErpRejected(
            f"{self.title} refused the request ({status}) when trying to {doing}.{suffix}"
        )

    def erp_message(self, body: bytes) -> str:
        """The ERP's own explanation, short, and never carrying a secret."""
        try:
            text = _message_of(json.loads(body))
        except (ValueError, UnicodeDecodeError):
            text = ""
        return self.quote(text, _ERP_MESSAGE_LIMIT)

    def quote(self, text: str, limit: int) -> str:
        """ERP text for a sentence: one line, short, empty when it holds any credential or a
        value of a cookie this conversation holds or sent."""
        held = {cookie.value for cookie in self._cookies if cookie.value}
        return redact.quote(text, self._secrets | redact.cookie_secrets(held), limit)


class _Transient(Exception):
    """A timeout or a broken connection: retried here, then reported as ErpUnavailable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_Row = TypeVar("_Row")


def read_pages(
    fetch: Callable[[int], tuple[Sequence[_Row], bool]],
    on_page: Callable[[int], None] | None = None,
) -> Iterator[_Row]:
    """Every row of a paged list: `fetch(offset)` answers (rows, more) until the ERP says no more."""
    offset = 0
    for _ in range(MAX_PAGES):
        rows, more = fetch(offset)
        yield from rows
        offset += len(rows)
        if on_page is not None:
            on_page(offset)
        if not more or not rows:
            return
    raise ErpRejected(f"The ERP kept answering 'more' after {MAX_PAGES} pages: check the ERP.")


def _message_of(parsed: object) -> str:
    """The first message-like text in an ERP's error answer (each ERP nests it differently)."""
    if isinstance(parsed, str):
        return parsed
    if isinstance(parsed, list):
        return _message_of(parsed[0]) if parsed else ""
    if not isinstance(parsed, dict):
        return ""
    for name in ("exceptionMessage", "message", "detail", "title", "error_description", "error"):
        value = parsed.get(name)
        if isinstance(value, str) and value:
            return value
    for nested in ("ia::result", "ia::error", "error", "errors", "o:errorDetails"):
        if nested in parsed:
            text = _message_of(parsed[nested])
            if text:
                return text
    return ""


# RFC 9110's delay-seconds, a fraction tolerated; `float` alone would also take "inf", "-5",
# "1_000" and other scripts' digits.
_DELAY_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def retry_after_seconds(retry_after: str | None, now: datetime | None = None) -> float | None:
    """The wait a `Retry-After` header asks for, in seconds; None when there is none to read.

    RFC 9110 (10.2.3) allows a number of seconds or an HTTP date; a date already past asks for no
    wait. Anything else (a negative number, words) reads as None, so the plain backoff applies.
    """
    text = (retry_after or "").strip()
    if not text:
        return None
    if _DELAY_SECONDS.fullmatch(text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP dates are in GMT, even the forms that omit it
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit // (1024 * 1024)} MB"
    return f"{limit // 1024} KB" if limit >= 1024 else f"{limit} bytes"


def _read_at_most(response: Any, limit: int) -> bytes:
    """The body, stopping after `limit` bytes; read in pieces so no buffer of `limit` is made."""
    raw = bytearray()
    while len(raw) < limit:
        piece = response.read(min(1024 * 1024, limit - len(raw)))
        if not piece:
            break
        raw += piece
    return bytes(raw)


def _read_quietly(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read(_MAX_ERROR_BODY_BYTES)
    except (OSError, http.client.HTTPException):
        return b""


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "the host name could not be resolved"
    text = str(reason) or type(reason).__name__
    return text[:120]
