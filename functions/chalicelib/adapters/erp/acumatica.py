"""The Acumatica connector: reads one project's budget through Acumatica's contract-based REST API.

It signs in (a cookie session), pages through `ProjectBudget` filtered by project (or through
`Project`, `CostCode` and `AccountGroup` to list projects and the cost catalog), signs out, and
turns Acumatica's value-wrapped entities into the domain's `ErpLine`s. Amounts are passed through
raw (parsed as exact Decimals when they are numbers): judging them is the re-import rules' job.
Only the standard library speaks HTTP here, so the Lambda package carries no HTTP client.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from chalicelib.domain.errors import ErpRejected, ErpUnavailable
from chalicelib.domain.model import (
    CatalogEntry,
    ErpCatalog,
    ErpConnection,
    ErpCredentials,
    ErpLine,
    ErpProject,
    ErpProjectPage,
    LineKind,
    WbsKey,
)

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

DEFAULT_ENDPOINT_VERSION = "23.200.001"
DEFAULT_ENDPOINT = f"Default/{DEFAULT_ENDPOINT_VERSION}"
DEFAULT_PAGE_SIZE = 1000
DEFAULT_TIMEOUT_SECONDS = 20.0
LOGOUT_TIMEOUT_SECONDS = 5.0
# A page of 1,000 lines is a few MB; an answer far beyond that is not a budget page, and reading it
# whole would exhaust the worker's memory before the JSON could be judged.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
_MAX_ERROR_BODY_BYTES = 64 * 1024  # only a short message is ever taken from an error answer
COST_TYPE = "Expense"  # Acumatica's Type of a cost-budget line; everything else is revenue

# Fields a cost line cannot do without: without them there is no WBS key to put the amount on.
_KEY_FIELDS = {
    "ProjectTaskID": "project task",
    "CostCode": "cost code",
    "AccountGroup": "account group",
}
_ERP_MESSAGE_LIMIT = 200


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Acumatica's REST API never redirects; following one would send the session elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


class _HttpFailure(Exception):
    """An HTTP answer outside 2xx, with what is needed to explain it."""

    def __init__(self, status: int, body: bytes, retry_after: str | None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.retry_after = retry_after


class AcumaticaSource:
    """One Acumatica connection (instance, tenant, user); each `fetch_budget` is its own session."""

    system = "acumatica"

    def __init__(
        self,
        base_url: str,
        tenant: str,
        credentials: ErpCredentials,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        endpoint: str = DEFAULT_ENDPOINT,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._tenant = tenant
        self._credentials = credentials
        self._page_size = page_size
        self._timeout = timeout
        self._endpoint = endpoint.strip("/")
        self._max_response_bytes = max_response_bytes

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials
    ) -> AcumaticaSource:
        return cls(
            connection.base_url,
            connection.setting("company"),
            credentials,
            endpoint="Default/" + connection.setting("endpoint_version", DEFAULT_ENDPOINT_VERSION),
        )

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        # A fresh cookie jar per fetch: sessions are never shared between jobs or threads.
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _RefuseRedirects()
        )
        self._login(opener)
        try:
            return self._read_pages(opener, erp_job_id, on_page)
        finally:
            self._logout(opener)

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        """One page of the ERP's projects; one row more than asked tells whether more follow."""
        query = f"$select=ProjectID,Description,Status&$top={limit + 1}&$skip={offset}"
        rows = self._in_session(lambda opener: self._get_list(opener, "Project", query))
        projects = [
            ErpProject(
                erp_job_id=_text(row, "ProjectID") or "",
                name=_text(row, "Description") or "",
                erp_status=_text(row, "Status") or "",
            )
            for row in rows[:limit]
            if isinstance(row, dict) and _text(row, "ProjectID")
        ]
        return ErpProjectPage(projects=projects, has_more=len(rows) > limit)

    def cost_catalog(self) -> ErpCatalog:
        """Cost codes from `CostCode`; cost types are the Expense account groups (`AccountGroup`)."""

        def read(opener: urllib.request.OpenerDirector) -> ErpCatalog:
            codes = self._get_all(opener, "CostCode", "$select=CostCodeID,Description")
            groups = self._get_all(
                opener, "AccountGroup", "$select=AccountGroupID,Description,Type"
            )
            return ErpCatalog(
                cost_codes=_entries(codes, "CostCodeID"),
                cost_types=_entries(
                    [g for g in groups if _text(g, "Type") == COST_TYPE], "AccountGroupID"
                ),
            )

        return self._in_session(read)

    def _in_session(self, read: Callable[[urllib.request.OpenerDirector], _T]) -> _T:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _RefuseRedirects()
        )
        self._login(opener)
        try:
            return read(opener)
        finally:
            self._logout(opener)

    def _get_list(
        self, opener: urllib.request.OpenerDirector, entity: str, query: str
    ) -> list[dict[str, Any]]:
        try:
            payload = self._call(
                opener, "GET", f"/entity/{self._endpoint}/{entity}?{query}", None,
                self._timeout, f"read {entity} records from",
            )  # fmt: skip
        except _HttpFailure as failure:
            raise self._translate(
                failure, f"read the ERP's {entity} records", quote_body=True
            ) from None
        if not isinstance(payload, list):
            raise ErpRejected(f"The ERP's answer for {entity} records was not a list.")
        return [row for row in payload if isinstance(row, dict)]

    def _get_all(
        self, opener: urllib.request.OpenerDirector, entity: str, select: str
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            page = self._get_list(
                opener, entity, f"{select}&$top={self._page_size}&$skip={len(rows)}"
            )
            rows.extend(page)
            if len(page) != self._page_size:
                return rows

    # -- session -------------------------------------------------------------------------------

    def _login(self, opener: urllib.request.OpenerDirector) -> None:
        body = {
            "name": self._credentials.username,
            "password": self._credentials.password,
            "company": self._tenant,
        }
        try:
            self._call(opener, "POST", "/entity/auth/login", body, self._timeout, "sign in to")
        except _HttpFailure as failure:
            # The login answer's body is never quoted: it could echo what was sent.
            if failure.status in (401, 403):
                raise ErpRejected(
                    "The ERP refused the sign-in for user "
                    f"'{self._credentials.username}' on company '{self._tenant}': check the ERP "
                    "connection's user name and password."
                ) from None
            if failure.status == 404:
                raise ErpRejected(
                    "The ERP has no sign-in page at the connection's address: check the ERP "
                    "connection's address."
                ) from None
            raise self._translate(failure, "sign in to the ERP", quote_body=False) from None

    def _logout(self, opener: urllib.request.OpenerDirector) -> None:
        """Best effort: Acumatica limits concurrent sessions, but a failed logout fails no job."""
        try:
            self._call(opener, "POST", "/entity/auth/logout", None, LOGOUT_TIMEOUT_SECONDS, "")
        except Exception:  # noqa: BLE001 - the budget is already read; the session will expire
            logger.info("Signing out of the ERP failed; the session will expire on its own.")

    # -- reading -------------------------------------------------------------------------------

    def _read_pages(
        self,
        opener: urllib.request.OpenerDirector,
        erp_job_id: str,
        on_page: Callable[[int], None] | None,
    ) -> list[ErpLine]:
        lines: list[ErpLine] = []
        seen_refs: set[str] = set()
        # OData string literal: a quote inside the id is doubled.
        job_filter = "ProjectID eq '{}'".format(erp_job_id.replace("'", "''"))
        while True:
            query = "&".join(
                (
                    "$filter=" + urllib.parse.quote(job_filter, safe=""),
                    f"$top={self._page_size}",
                    f"$skip={len(lines)}",
                )
            )
            path = f"/entity/{self._endpoint}/ProjectBudget?{query}"
            try:
                payload = self._call(
                    opener, "GET", path, None, self._timeout, "read the budget from"
                )
            except _HttpFailure as failure:
                raise self._translate(
                    failure, f"read the budget of ERP job '{erp_job_id}'", quote_body=True
                ) from None
            if not isinstance(payload, list):
                raise ErpRejected(
                    "The ERP's answer for the project budget was not a list of budget lines."
                )
            for entity in payload:
                line = _to_line(entity, len(lines) + 1, erp_job_id)
                if line.ref in seen_refs:
                    # Rows moved between pages: someone changed the budget while we read it.
                    raise ErpUnavailable(
                        "The ERP budget changed while it was being read; the job will try again."
                    )
                seen_refs.add(line.ref)
                lines.append(line)
            logger.debug("Read %d ERP budget lines of %s so far.", len(lines), erp_job_id)
            if on_page is not None:
                on_page(len(lines))
            # A short page is the last one; so is a page larger than asked (paging ignored).
            if len(payload) != self._page_size:
                return lines

    # -- HTTP ----------------------------------------------------------------------------------

    def _call(
        self,
        opener: urllib.request.OpenerDirector,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        timeout: float,
        action: str,
    ) -> Any:
        """One request; returns the parsed JSON (None for an empty answer), raises on failure."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked just below
            self._base_url + path,
            data=data,
            method=method,
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        if request.type not in ("http", "https"):
            raise ErpRejected(
                "The ERP connection's address is not a web address (http or https): check it."
            )
        try:
            with opener.open(request, timeout=timeout) as response:
                raw = _read_at_most(response, self._max_response_bytes + 1)
        except urllib.error.HTTPError as error:
            with error:
                failure_body = _read_quietly(error)
            raise _HttpFailure(error.code, failure_body, error.headers.get("Retry-After")) from None
        except TimeoutError:
            raise ErpUnavailable(
                f"The ERP did not answer within {self._timeout:g} seconds when trying to {action} "
                "it; the job will try again."
            ) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise ErpUnavailable(
                    f"The ERP did not answer within {self._timeout:g} seconds when trying to "
                    f"{action} it; the job will try again."
                ) from None
            raise ErpUnavailable(
                f"The ERP could not be reached at {self._base_url} ({_reason(error.reason)}); "
                "the job will try again."
            ) from None
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            raise ErpUnavailable(
                f"The connection to the ERP broke off ({_reason(error)}); the job will try again."
            ) from None
        if len(raw) > self._max_response_bytes:
            raise ErpRejected(
                f"The ERP's answer when trying to {action} it was larger than "
                f"{self._max_response_bytes // (1024 * 1024)} MB, more than a budget page can be: "
                "check the ERP connection's address."
            )
        if not raw.strip():
            return None
        try:
            return json.loads(raw, parse_float=Decimal, parse_constant=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise ErpRejected(
                f"The ERP's answer when trying to {action} it was not valid JSON: check the ERP "
                "connection's address."
            ) from None

    def _translate(self, failure: _HttpFailure, doing: str, *, quote_body: bool) -> Exception:
        status = failure.status
        if status == 429:
            return ErpUnavailable(
                f"The ERP asked us to slow down (429) when trying to {doing}; the job will try "
                "again.",
                retry_after=failure.retry_after,
            )
        if status >= 500:
            return ErpUnavailable(
                f"The ERP had a problem ({status}) when trying to {doing}; the job will try again.",
                retry_after=failure.retry_after,
            )
        detail = self._erp_message(failure.body) if quote_body else ""
        suffix = f" The ERP said: {detail}" if detail else ""
        if status == 401:
            return ErpUnavailable(
                f"The ERP session ended while trying to {doing}; the job will try again.{suffix}"
            )
        if status == 403:
            return ErpRejected(
                f"The ERP user is not allowed to {doing}: give the ERP connection's user access "
                f"to project budgets.{suffix}"
            )
        if status == 404:
            return ErpRejected(
                f"The ERP answered 'not found' when trying to {doing}: check the ERP connection's "
                f"address and that the job exists in the ERP.{suffix}"
            )
        if 300 <= status < 400:
            return ErpRejected(
                f"The ERP answered with a redirect ({status}) when trying to {doing}: set the ERP "
                "connection's address to the instance's own https address."
            )
        return ErpRejected(f"The ERP refused to {doing} ({status}).{suffix}")

    def _erp_message(self, body: bytes) -> str:
        """The ERP's own explanation, short, and never carrying the password."""
        try:
            parsed = json.loads(body)
            text = parsed.get("exceptionMessage") or parsed.get("message") or ""
        except (ValueError, UnicodeDecodeError, AttributeError):
            text = ""
        text = " ".join(str(text).split())[:_ERP_MESSAGE_LIMIT]
        if self._credentials.password and self._credentials.password in text:
            return ""
        return text


def _to_line(entity: object, line: int, erp_job_id: str) -> ErpLine:
    """Map one ProjectBudget entity; refuse it only when it cannot become a line at all."""
    if not isinstance(entity, dict):
        raise ErpRejected(f"Line {line} of the ERP's budget answer is not a budget line.")
    ref = entity.get("id")
    if not isinstance(ref, str) or not ref:
        raise ErpRejected(f"Line {line} of the ERP's budget answer has no id.")
    project = _text(entity, "ProjectID")
    if project is not None and project != erp_job_id:
        raise ErpRejected(
            f"Line {line} of the ERP's answer belongs to project '{project}', not to "
            f"'{erp_job_id}': the ERP did not filter the budget by project."
        )
    kind_text = _text(entity, "Type")
    if kind_text is None:
        raise ErpRejected(
            f"Line {line} of the ERP budget has no Type, so it cannot be told apart from revenue."
        )
    kind = LineKind.COST if kind_text == COST_TYPE else LineKind.REVENUE
    key_parts = {}
    for field_name, label in _KEY_FIELDS.items():
        value = _text(entity, field_name)
        if value is None and kind is LineKind.COST:
            raise ErpRejected(f"Line {line} of the ERP budget has no {label} ({field_name}).")
        key_parts[field_name] = value or ""
    return ErpLine(
        line=line,
        ref=ref,
        key=WbsKey(
            sub_job=key_parts["ProjectTaskID"],
            cost_code=key_parts["CostCode"],
            cost_type=key_parts["AccountGroup"],
        ),
        kind=kind,
        amount=_value(entity, "OriginalBudgetedAmount"),
        description=_text(entity, "Description") or "",
    )


def _entries(rows: list[dict[str, Any]], code_field: str) -> list[CatalogEntry]:
    entries = {}
    for row in rows:
        code = (_text(row, code_field) or "").strip()
        if code:
            entries[code] = CatalogEntry(code=code, description=_text(row, "Description") or "")
    return [entries[code] for code in sorted(entries)]


def _value(entity: dict[str, Any], name: str) -> object:
    """Acumatica wraps every field as {"value": ...}; an absent or empty wrapper means null."""
    wrapped = entity.get(name)
    if isinstance(wrapped, dict):
        return wrapped.get("value")
    return wrapped


def _text(entity: dict[str, Any], name: str) -> str | None:
    value = _value(entity, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ErpRejected(f"The ERP sent a {name} that is not text: {str(value)[:40]!r}.")
    # Acumatica pads segmented keys with spaces; the key is what a person reads.
    return str(value).strip()


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
