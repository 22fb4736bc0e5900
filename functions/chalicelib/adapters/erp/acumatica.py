"""The Acumatica connector (and MYOB Advanced Construction, which is Acumatica underneath).

It signs in (a cookie session at `/entity/auth/login`, or OAuth2 at `/identity/connect/token` when
the credentials carry a client id), pages through `ProjectBudget` filtered by project (or through
`Project`, `CostCode` and `AccountGroup` to list projects and the cost catalog) until a page comes
back empty, signs out, and turns Acumatica's value-wrapped entities into the domain's `ErpLine`s.
Amounts are passed through raw (parsed as exact Decimals when they are numbers): judging them is
the re-import rules' job.
HTTP, retries and limits are the shared client's (`http.py`); docs/erps/acumatica.md and
docs/erps/myob.md describe the connections.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits, read_pages
from chalicelib.adapters.erp.common.jobs import no_such_job
from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.adapters.erp.common.remembered import RememberedPages, remembered_pages
from chalicelib.adapters.erp.common.signin import OAuth2SignIn
from chalicelib.domain.errors import ErpAuthFailed, ErpRejected, ErpUnavailable
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
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
COST_TYPE = "Expense"  # Acumatica's Type of a cost-budget line; everything else is revenue
TOKEN_PATH = "/identity/connect/token"  # Acumatica's OAuth2 token endpoint

# The WBS key's fields: sub job, cost code, cost type.
_KEY_FIELDS = ("ProjectTaskID", "CostCode", "AccountGroup")
# A budget page asks for the fields the mapping reads and no more: Acumatica's ProjectBudget
# carries dozens (quantities, revised, committed and actual amounts, ...), which would otherwise
# cross the wire and be parsed for every line (docs/erps/acumatica.md).
_BUDGET_FIELDS = ("ProjectID", *_KEY_FIELDS, "Type", "Description", "OriginalBudgetedAmount")
_BUDGET_SELECT = "$select=" + ",".join(_BUDGET_FIELDS)


class _CookieSignIn:
    """Acumatica's cookie session: signs in on the first call, again once after a 401."""

    def __init__(self, credentials: ErpCredentials, tenant: str) -> None:
        self._credentials = credentials
        self._tenant = tenant
        self.signed_in = False

    def headers(self, client: ErpHttp) -> dict[str, str]:
        if not self.signed_in:
            self._login(client)
        return {}

    def refresh(self, client: ErpHttp) -> None:
        self.signed_in = False

    def _login(self, client: ErpHttp) -> None:
        body = {
            "name": self._credentials.username,
            "password": self._credentials.password,
            "company": self._tenant,
        }
        try:
            client.call("POST", "/entity/auth/login", f"sign in to {client.name}", json_body=body,
                        authenticated=False)  # fmt: skip
        except HttpFailure as failure:
            # The login answer's body is never quoted: it could echo what was sent.
            if failure.status in (401, 403):
                # The user name is not quoted: the sentence becomes the job's message and the
                # connection's last error, which every member of the company reads.
                raise ErpAuthFailed(
                    f"{client.title} refused the sign-in for the user name on company "
                    f"'{self._tenant}': check the {client.erp} connection's user name and "
                    "password."
                ) from None
            if failure.status == 404:
                raise ErpRejected(
                    f"{client.title} has no sign-in page at the connection's address: check the "
                    f"{client.erp} connection's address."
                ) from None
            raise client.explain(failure, f"sign in to {client.name}", quote_body=False) from None
        self.signed_in = True

    def logout(self, client: ErpHttp) -> None:
        """Best effort: Acumatica limits concurrent sessions, but a failed logout fails no job."""
        if not self.signed_in:
            return
        try:
            client.send("POST", "/entity/auth/logout", "sign out of the ERP")
        except Exception:  # noqa: BLE001 - the budget is already read; the session will expire
            logger.info("Signing out of the ERP failed; the session will expire on its own.")


class AcumaticaSource:
    """One Acumatica connection (instance, tenant, user); each operation is its own session."""

    system = "acumatica"
    default_endpoint = DEFAULT_ENDPOINT

    def __init__(
        self,
        base_url: str,
        tenant: str,
        credentials: ErpCredentials,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        endpoint: str | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        sleep: Callable[[float], None] | None = None,
        allow_local_urls: bool = False,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._tenant = tenant
        self._credentials = credentials
        self._page_size = page_size
        self._endpoint = (endpoint or self.default_endpoint).strip("/")
        self._limits = Limits(
            timeout=timeout,
            max_response_bytes=max_response_bytes,
            allow_local_urls=allow_local_urls,
        )
        self._sleep = sleep

    @classmethod
    def endpoint_version(cls, settings: Mapping[str, str]) -> str:
        """The endpoint version the connector calls: the setting, or its default when blank."""
        given = (settings.get("endpoint_version") or "").strip().strip("/")
        return given or cls.default_endpoint.split("/")[-1]

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> AcumaticaSource:
        version = cls.endpoint_version(connection.settings)
        return cls(
            connection.base_url,
            connection.setting("company"),
            credentials,
            endpoint="Default/" + version,
            allow_local_urls=deployment.allow_local_urls,
        )

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        return self._in_session(lambda client: self._read_budget(client, erp_job_id, on_page))

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        """One page of the ERP's projects; one row more than asked tells whether more follow."""

        def read(client: ErpHttp) -> list[dict[str, Any]]:
            # A server may answer fewer rows than $top: ask on until the row past the page is
            # read or a page comes back empty.
            rows: list[dict[str, Any]] = []
            while len(rows) <= limit:
                query = (f"$select=ProjectID,Description,Status&$top={limit + 1 - len(rows)}"
                         f"&$skip={offset + len(rows)}")  # fmt: skip
                page = self._get_list(client, "Project", query)
                if not page:
                    break
                rows += page
            return rows

        rows = self._in_session(read)
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

        def read(client: ErpHttp) -> ErpCatalog:
            codes = self._get_all(client, "CostCode", "$select=CostCodeID,Description")
            groups = self._get_all(
                client, "AccountGroup", "$select=AccountGroupID,Description,Type"
            )
            return ErpCatalog(
                cost_codes=_entries(codes, "CostCodeID"),
                cost_types=_entries(
                    [g for g in groups if _text(g, "Type") == COST_TYPE], "AccountGroupID"
                ),
            )

        return self._in_session(read)

    # -- session -------------------------------------------------------------------------------

    def _in_session(self, read: Callable[[ErpHttp], _T]) -> _T:
        # A fresh client (and cookie jar) per operation: sessions are never shared between jobs.
        client = ErpHttp(
            self._base_url, limits=self._limits, secrets=tuple(self._credentials.values.values()),
            sleep=self._sleep, erp_name=erp_name(self.system),
        )  # fmt: skip
        if self._credentials.get("client_id"):
            client.sign_in = self._oauth2()
            return read(client)
        cookie = _CookieSignIn(self._credentials, self._tenant)
        client.sign_in = cookie
        try:
            return read(client)
        finally:
            cookie.logout(client)

    def _oauth2(self) -> OAuth2SignIn:
        """Acumatica's password grant: the connected application acts as the ERP user."""
        credentials = self._credentials
        form = {
            "grant_type": "password",
            "client_id": credentials.get("client_id"),
            "client_secret": credentials.get("client_secret"),
            "username": credentials.username,
            "password": credentials.password,
            "scope": "api",
        }
        return OAuth2SignIn(TOKEN_PATH, form, "the user name and the client")

    # -- reading -------------------------------------------------------------------------------

    def _get_list(self, client: ErpHttp, entity: str, query: str) -> list[dict[str, Any]]:
        doing = f"read {client.name}'s {entity} records"
        try:
            payload = client.call("GET", f"/entity/{self._endpoint}/{entity}?{query}", doing)
        except HttpFailure as failure:
            raise client.explain(failure, doing) from None
        if not isinstance(payload, list):
            raise ErpRejected(f"{client.title}'s answer for {entity} records was not a list.")
        return [row for row in payload if isinstance(row, dict)]

    def _get_all(self, client: ErpHttp, entity: str, select: str) -> list[dict[str, Any]]:
        def page(offset: int) -> tuple[list[dict[str, Any]], bool]:
            rows = self._get_list(client, entity, f"{select}&$top={self._page_size}&$skip={offset}")
            return rows, True  # Acumatica says nothing of more: only an empty page ends the list

        return list(read_pages(page))

    def _read_budget(
        self, client: ErpHttp, erp_job_id: str, on_page: Callable[[int], None] | None
    ) -> list[ErpLine]:
        lines: list[ErpLine] = []
        seen_refs: set[str] = set()
        job_filter = _project_filter(erp_job_id)
        doing = f"read the budget of ERP job '{erp_job_id}'"

        def page(offset: int) -> tuple[tuple[ErpLine, ...], bool]:
            query = "&".join(
                (
                    "$filter=" + urllib.parse.quote(job_filter, safe=""),
                    _BUDGET_SELECT,
                    f"$top={self._page_size}",
                    f"$skip={offset}",
                )
            )
            try:
                answer = client.call(
                    "GET", f"/entity/{self._endpoint}/ProjectBudget?{query}", doing,
                    answer_bytes=True,
                )  # fmt: skip
            except HttpFailure as failure:
                raise client.explain(failure, doing) from None
            # A page byte for byte as a read of this job got it before maps to the same lines
            # (adapters/erp/common/remembered.py): only a changed page is parsed and mapped.
            key = RememberedPages.key(__name__, erp_job_id, offset, answer)
            mapped = remembered_pages().mapped(key, lambda: map_page(answer, offset))
            # Acumatica says nothing of more pages, and a page shorter than asked may not be the
            # last (a server whose own limit is below $top): only an empty page ends the read.
            return mapped, True

        def map_page(answer: bytes, offset: int) -> tuple[ErpLine, ...]:
            payload = client.parse_json(answer, doing)
            if not isinstance(payload, list):
                raise ErpRejected(
                    f"{client.title}'s answer for the project budget was not a list of budget "
                    "lines."
                )
            mapped: list[ErpLine] = []
            for entity in payload:
                try:
                    mapped.append(_to_line(entity, offset + len(mapped) + 1, erp_job_id))
                except ErpRejected:
                    # Read line by line, a line seen twice before this one is what is wrong.
                    _check_refs(mapped, set(seen_refs))
                    raise
            return tuple(mapped)

        for line in read_pages(page, on_page):
            _check_refs((line,), seen_refs)
            lines.append(line)
        if not lines:  # a project without budget lines, or no such project: ask which
            self._require_project(client, erp_job_id)
        return lines

    def _require_project(self, client: ErpHttp, erp_job_id: str) -> None:
        """`Project` filtered by the id: an unknown project is refused, not read as empty."""
        query = "$filter=" + urllib.parse.quote(_project_filter(erp_job_id), safe="")
        rows = self._get_list(client, "Project", query + "&$select=ProjectID")
        if not any(_text(row, "ProjectID") == erp_job_id.strip() for row in rows):
            raise no_such_job(self.system, erp_job_id)


class MyobSource(AcumaticaSource):
    """MYOB Advanced Construction: Acumatica's API under MYOB's own endpoint version."""

    system = "myob"
    default_endpoint = "Default/22.200.001"


def _project_filter(erp_job_id: str) -> str:
    """OData's `ProjectID eq '<id>'`: a quote inside the id is doubled, so it cannot widen it."""
    return "ProjectID eq '{}'".format(erp_job_id.replace("'", "''"))


def _check_refs(lines: Sequence[ErpLine], seen_refs: set[str]) -> None:
    """Add each line's ERP id to `seen_refs`; an id seen before means rows moved between pages
    while the budget was read (someone changed it): the job tries again."""
    for line in lines:
        if line.ref in seen_refs:
            raise ErpUnavailable(
                "The ERP budget changed while it was being read; the job will try again."
            )
        seen_refs.add(line.ref)


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
    if not kind_text:  # absent or blank: a blank Type is no more revenue than a missing one
        raise ErpRejected(
            f"Line {line} of the ERP budget has no Type, so it cannot be told apart from revenue."
        )
    cost = kind_text == COST_TYPE
    # The three key fields. Acumatica answers a null field as `{}` or leaves it out, so an absent
    # field is a blank one, taken as it comes as the sandbox's switch maps it: a line without a
    # sub job, or a cost code or cost type the company does not know, which re-import rule 3
    # lists with every other offending line (docs/erps/acumatica.md) rather than stopping at it.
    sub_job = _text(entity, "ProjectTaskID") or ""
    cost_code = _text(entity, "CostCode") or ""
    cost_type = _text(entity, "AccountGroup") or ""
    # Positional arguments: once per ERP line, keywords cost a fifth of building the line.
    return ErpLine(
        line,
        ref,
        WbsKey(sub_job, cost_code, cost_type),
        LineKind.COST if cost else LineKind.REVENUE,
        _value(entity, "OriginalBudgetedAmount"),
        _text(entity, "Description") or "",
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
    wrapped = entity.get(name)
    value = wrapped.get("value") if isinstance(wrapped, dict) else wrapped
    if value is None:
        return None
    # Acumatica pads segmented keys with spaces; the key is what a person reads.
    if type(value) is str:  # nearly every field: the general checks below are for the rest
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ErpRejected(f"The ERP sent a {name} that is not text: {str(value)[:40]!r}.")
    return str(value).strip()
