"""The Oracle NetSuite connector: OAuth 2.0 client credentials with a signed JWT, SuiteQL.

Sign-in: `POST /services/rest/auth/oauth2/v1/token` with `client_credentials` and a
`client_assertion` JWT (PS256, `kid` = the certificate id the admin uploaded, `iss` = the
integration's client id, `aud` = the token endpoint, valid for at most an hour) signed with the
certificate's private key, which lives only in the connection's secret.

A job is a project (`job` record, by its ID `entityid`); its budget is the financial budget
records (`budgets`: one account, class and customer each) whose customer is the project, with
their period amounts (`budgetsmachine`), read through SuiteQL
(`POST /services/rest/query/v1/suiteql`, `Prefer: transient`, `limit` at most 1,000, `offset`
until `hasMore` is false). Each budget record is one line: its periods summed exactly; account
number → cost code, class → cost type (accounts.py), income accounts are revenue.
docs/erps/netsuite.md has the connection fields, mapping and limits.
"""

from __future__ import annotations

import hashlib
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
from pydantic import BaseModel, StrictBool, ValidationError

from chalicelib.adapters.erp.common import accounts, mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits, read_pages
from chalicelib.adapters.erp.common.jobs import no_such_job
from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.adapters.erp.common.signin import OAuth2SignIn
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
)

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
SUITEQL = "/services/rest/query/v1/suiteql"
MAX_LIMIT = 1000  # SuiteQL refuses a larger limit
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_SECONDS = 300  # NetSuite accepts at most an hour; a short one is safer if it leaks
REVENUE_TYPES = frozenset({"Income", "OthIncome"})
_BUDGET_QUERY = (
    "SELECT b.id AS budget, a.acctnumber AS acctnumber, a.accttype AS accttype, "
    "a.accountsearchdisplaynamecopy AS accountname, BUILTIN.DF(b.class) AS classname, "
    "bm.period AS period, bm.amount AS amount FROM budgets b "
    "JOIN budgetsmachine bm ON bm.budget = b.id JOIN account a ON a.id = b.account "
    "JOIN job j ON j.id = b.customer"
)


class _SuiteQlPage(BaseModel):
    items: list[dict[str, Any]]
    has_more: StrictBool

    @classmethod
    def of(cls, payload: Any) -> _SuiteQlPage:
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        return cls.model_validate(
            {"items": payload.get("items"), "has_more": payload.get("hasMore")}
        )


class _AssertionSignIn(OAuth2SignIn):
    """Client credentials with a fresh signed `client_assertion` for each token request."""

    def __init__(self, client_id: str, certificate_id: str, private_key: str) -> None:
        # The token cache is keyed on these stable fields, not on the (always new) assertion; the
        # private key (as a digest) among them, so naming another company's client and
        # certificate without its key gets no token of theirs. The sentence names no value of
        # the secret (docs/erps/netsuite.md: the client id lives in the connection's secret).
        fields = {"client_id": client_id, "kid": certificate_id,
                  "key": hashlib.sha256(private_key.encode()).hexdigest()}  # fmt: skip
        super().__init__(TOKEN_PATH, {}, "the client and its certificate", keyed_on=fields)
        self._client_id = client_id
        self._certificate_id = certificate_id
        self._private_key = private_key

    def _request(self, client: ErpHttp) -> Any:
        now = int(time.time())
        claims = {"iss": self._client_id, "scope": ["rest_webservices"],
                  "aud": client.base_url + TOKEN_PATH, "iat": now,
                  "exp": now + ASSERTION_SECONDS, "jti": uuid.uuid4().hex}  # fmt: skip
        try:
            assertion = jwt.encode(claims, self._private_key, algorithm="PS256",
                                   headers={"kid": self._certificate_id})  # fmt: skip
        except (ValueError, TypeError, jwt.PyJWTError):
            raise ErpRejected(
                "The Oracle NetSuite connection's private key is not a PEM RSA private key: paste "
                "the certificate's private key again on the connection page."
            ) from None
        self._form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                      "client_assertion": assertion}  # fmt: skip
        return super()._request(client)


class NetSuiteSource:
    system = "netsuite"

    def __init__(
        self,
        base_url: str,
        settings: dict[str, str],
        credentials: ErpCredentials,
        *,
        page_size: int = MAX_LIMIT,
        limits: Limits | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_LIMIT:
            raise ValueError(f"page_size must be between 1 and {MAX_LIMIT}")
        self._base_url = base_url
        self._settings = settings
        self._credentials = credentials
        self._page_size = page_size
        self._limits = limits or Limits()
        self._sleep = sleep

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> NetSuiteSource:
        return cls(connection.base_url, dict(connection.settings), credentials,
                   limits=deployment.limits())  # fmt: skip

    def _client(self) -> ErpHttp:
        certificate = self._settings.get("certificate_id", "") or self._credentials.get(
            "certificate_id"
        )
        sign_in = _AssertionSignIn(self._credentials.get("client_id"), certificate,
                                   self._credentials.get("private_key"))  # fmt: skip
        return ErpHttp(self._base_url, sign_in, limits=self._limits,
                       secrets=tuple(self._credentials.values.values()), sleep=self._sleep,
                       erp_name=erp_name(self.system))  # fmt: skip

    # -- the ErpSource port --------------------------------------------------------------------

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        where = f"j.entityid = {_literal(erp_job_id)}"
        category = self._settings.get("budget_category", "").strip()
        if category:
            where += f" AND BUILTIN.DF(b.category) = {_literal(category)}"
        # Every value in `where` went through _literal.
        q = f"{_BUDGET_QUERY} WHERE {where} ORDER BY b.id, bm.period"
        budgets: dict[str, list[dict[str, Any]]] = {}
        seen: set[tuple[str, str]] = set()
        client = self._client()

        def counted(done: int) -> None:
            if on_page is not None:
                on_page(len(budgets))

        for row in read_pages(lambda offset: self._page(client, q, offset), counted):
            ident = (str(row.get("budget")), str(row.get("period")))
            if ident in seen:  # rows moved between pages: the budget changed while read
                raise ErpUnavailable(
                    "The ERP budget changed while it was being read; the job will try again."
                )
            seen.add(ident)
            budgets.setdefault(ident[0], []).append(row)
        if not budgets:  # a project without budget records, or no such project: ask which
            self._require_project(client, erp_job_id)
        return mapping.collect(
            ({"budget": b, "periods": p} for b, p in budgets.items()), self._native
        )

    def _require_project(self, client: ErpHttp, erp_job_id: str) -> None:
        """The project (job record) by its ID: an unknown one is refused, not read as empty."""
        # The id went through _literal.
        q = f"SELECT j.id, j.entityid FROM job j WHERE j.entityid = {_literal(erp_job_id)}"  # noqa: S608
        rows, _ = self._page(client, q, 0, 1)
        if not any(mapping.text(row, "entityid") == erp_job_id.strip() for row in rows):
            raise no_such_job(self.system, erp_job_id)

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        size = min(limit, MAX_LIMIT)
        q = "SELECT j.id, j.entityid, j.companyname, BUILTIN.DF(j.entitystatus) AS status FROM job j ORDER BY j.id"
        page = self._page(self._client(), q, offset, size)
        return ErpProjectPage(
            projects=[ErpProject(erp_job_id=str(r["entityid"]), name=str(r.get("companyname") or ""),
                                 erp_status=str(r.get("status") or ""))
                      for r in page[0] if r.get("entityid")],
            has_more=page[1],
        )  # fmt: skip

    def cost_catalog(self) -> ErpCatalog:
        client = self._client()
        codes = {}
        q = "SELECT a.acctnumber, a.accountsearchdisplaynamecopy AS name, a.accttype FROM account a ORDER BY a.id"
        for row in self._all(client, q):
            number = str(row.get("acctnumber") or "")
            if number and "." not in number and row.get("accttype") not in REVENUE_TYPES:
                codes[accounts.cost_code(number, self._codes())] = str(row.get("name") or "")
        classes = self._all(client, "SELECT c.name, c.fullname FROM classification c ORDER BY c.id")
        types = accounts.class_cost_types(
            ((str(r.get("name") or ""), str(r.get("fullname") or "")) for r in classes),
            self._types(),
        )
        if self._settings.get("default_cost_type"):
            types.setdefault(
                self._settings["default_cost_type"], self._settings["default_cost_type"]
            )
        return ErpCatalog(
            cost_codes=[CatalogEntry(code=c, description=codes[c]) for c in sorted(codes)],
            cost_types=[CatalogEntry(code=t, description=types[t]) for t in sorted(types)],
        )

    # -- mapping -------------------------------------------------------------------------------

    def _codes(self) -> dict[str, str]:
        return accounts.table(self._settings.get("account_cost_codes", ""), "account_cost_codes")

    def _types(self) -> dict[str, str]:
        return accounts.table(self._settings.get("class_cost_types", ""), "class_cost_types")

    def _native(self, group: dict[str, Any], number: int) -> mapping.NativeLine:
        first = group["periods"][0]
        account = mapping.text(first, "acctnumber") or ""
        class_name = mapping.text(first, "classname") or ""
        revenue = first.get("accttype") in REVENUE_TYPES
        fallback = "" if revenue else self._settings.get("default_cost_type", "")
        return mapping.NativeLine(
            ref=f"budget-{group['budget']}",
            sub_job="",
            cost_code=accounts.cost_code(account, self._codes()) if account else None,
            cost_type=(self._types().get(class_name, class_name) if class_name else fallback)
            or None,
            kind=LineKind.REVENUE if revenue else LineKind.COST,
            amount=accounts.period_sum(p.get("amount") for p in group["periods"]),
            description=str(first.get("accountname") or ""),
        )  # fmt: skip

    # -- SuiteQL -------------------------------------------------------------------------------

    def _all(self, client: ErpHttp, q: str) -> Iterator[dict[str, Any]]:
        return read_pages(lambda offset: self._page(client, q, offset))

    def _page(
        self, client: ErpHttp, q: str, offset: int, size: int | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        query = urllib.parse.urlencode({"limit": size or self._page_size, "offset": offset})
        doing = "run a SuiteQL query in Oracle NetSuite"
        try:
            payload = client.call("POST", f"{SUITEQL}?{query}", doing, json_body={"q": q},
                                  headers={"Prefer": "transient"})  # fmt: skip
        except HttpFailure as failure:
            raise client.explain(failure, doing) from None
        try:
            page = _SuiteQlPage.of(payload)
        except (ValueError, ValidationError):
            raise ErpRejected(
                "Oracle NetSuite's SuiteQL answer was not a list of items with hasMore: check the "
                "Oracle NetSuite connection's address."
            ) from None
        return page.items, page.has_more


def _literal(value: str) -> str:
    """A SuiteQL string literal: quoted, a quote inside doubled, so an id cannot widen the query."""
    return "'" + value.replace("'", "''") + "'"
