"""The QuickBooks Online connector: OAuth2 with rotating refresh tokens, the `query` endpoint.

A job is a customer (a project, `IsProject`, or a sub-customer); its budget is the
`BudgetDetail` entries of one profit-and-loss budget (the one named in the setting `budget_name`,
else the active budget covering today) whose `CustomerRef` is the job. The monthly amounts of
one account and class are summed exactly into one line; accounts.py maps account → cost code and
class → cost type; income accounts are revenue. Every `select` is read with
`STARTPOSITION`/`MAXRESULTS` until an empty page; `minorversion=75`; at most 10 calls at once and
500 a minute per realm. docs/erps/qbo.md has the connection fields, mapping and limits.
"""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from chalicelib.adapters.erp.common import accounts, mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.gate import gate
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits, read_pages
from chalicelib.adapters.erp.common.jobs import no_such_job
from chalicelib.adapters.erp.common.required import require_settings
from chalicelib.adapters.erp.common.rotation import (
    TokenEndpoint,
    TokenVault,
    from_rotating_connection,
    rotating_client,
    token_base,
)
from chalicelib.domain.errors import ErpRejected
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

MINOR_VERSION = "75"
MAX_RESULTS = 1000  # QuickBooks answers at most 1,000 entities a query
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
INTUIT = ("intuit.com", "https://oauth.platform.intuit.com")
REVENUE_TYPES = frozenset({"Income", "Other Income"})
AT_ONCE, PER_MINUTE = 10, 500


class QboSource:
    system = "qbo"

    def __init__(
        self,
        base_url: str,
        settings: dict[str, str],
        vault: TokenVault,
        *,
        page_size: int = MAX_RESULTS,
        limits: Limits | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._base_url = base_url
        self._settings = settings
        require_settings(self.system, settings, ("realm_id",),
                         "set it to the company id (realm id) QuickBooks Online shows.")  # fmt: skip
        self._realm = settings["realm_id"].strip()
        self._vault = vault
        self._page_size = min(page_size, MAX_RESULTS)
        self._limits = limits or Limits()
        self._sleep = sleep

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> QboSource:
        return from_rotating_connection(cls, connection, credentials, deployment)

    def _client(self) -> ErpHttp:
        token_url = token_base(self._base_url, self._settings.get("token_url", ""), INTUIT)
        return rotating_client(self.system, self._base_url, TokenEndpoint(token_url, TOKEN_PATH),
                               self._vault, limits=self._limits, sleep=self._sleep)  # fmt: skip

    # -- the ErpSource port --------------------------------------------------------------------

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        client = self._client()
        chart = {row["Id"]: row for row in self._select(client, "Account") if "Id" in row}
        budget = self._budget(client)
        details = [d for d in budget.get("BudgetDetail") or [] if isinstance(d, dict)
                   and _ref(d, "CustomerRef") == erp_job_id]  # fmt: skip
        rows = self._grouped(str(budget.get("Id", "")), details, chart)
        lines = mapping.collect(rows, lambda row, _: row["native"])
        if not lines:  # a job the budget has no amounts for, or no such job: ask which
            self._require_customer(client, erp_job_id)
        if on_page is not None:
            on_page(len(lines))
        return lines

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        """`offset` counts projects, not customers: QuickBooks cannot filter on "a project or a
        sub-customer", so the customers are read from the first page, page after page until one
        project more than asked (there are more) or an empty page (QuickBooks' "no more": a page
        shorter than asked is not, docs/erps/qbo.md)."""
        projects = (
            ErpProject(erp_job_id=str(row["Id"]), name=str(row.get("DisplayName") or ""),
                       erp_status="active")
            for row in self._select(self._client(), "Customer where Active = true")
            if row.get("Id") and (row.get("IsProject") or row.get("ParentRef"))
        )  # fmt: skip
        return ErpProjectPage.window(projects, offset, limit)

    def cost_catalog(self) -> ErpCatalog:
        client = self._client()
        codes = {}
        for row in self._select(client, "Account"):
            number = str(row.get("AcctNum") or "")
            if number and "." not in number and row.get("AccountType") not in REVENUE_TYPES:
                codes[accounts.cost_code(number, self._codes())] = str(row.get("Name") or "")
        types = accounts.class_cost_types(
            (
                (str(row.get("Name") or ""), str(row.get("FullyQualifiedName") or ""))
                for row in self._select(client, "Class")
            ),
            self._types(),
        )
        default = self._settings.get("default_cost_type", "")
        if default:
            types.setdefault(default, default)
        return ErpCatalog(
            cost_codes=[CatalogEntry(code=c, description=codes[c]) for c in sorted(codes)],
            cost_types=[CatalogEntry(code=t, description=types[t]) for t in sorted(types)],
        )

    def _require_customer(self, client: ErpHttp, erp_job_id: str) -> None:
        """The customer (project) by its Id: an unknown one is refused, not read as empty."""
        rows = self._page(client, f"Customer where Id = {_literal(erp_job_id)}", 0, 1)
        if not any(str(row.get("Id", "")).strip() == erp_job_id.strip() for row in rows):
            raise no_such_job(self.system, erp_job_id, "customer or project")

    # -- mapping -------------------------------------------------------------------------------

    def _codes(self) -> dict[str, str]:
        return accounts.table(self._settings.get("account_cost_codes", ""), "account_cost_codes")

    def _types(self) -> dict[str, str]:
        return accounts.table(self._settings.get("class_cost_types", ""), "class_cost_types")

    def _grouped(
        self, budget_id: str, details: list[dict[str, Any]], chart: dict[str, dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        """One line per account and class: its periods summed, in the order first seen."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for detail in details:
            key = (_ref(detail, "AccountRef") or "", _ref(detail, "ClassRef", "name") or "")
            groups.setdefault(key, []).append(detail)
        codes, types = self._codes(), self._types()
        default = self._settings.get("default_cost_type", "")
        for (account_id, class_name), periods in groups.items():
            account = chart.get(account_id)
            if account is None:
                raise ErpRejected(
                    f"QuickBooks Online's budget names account {account_id!r}, which is not in "
                    "its chart of accounts: check the budget in QuickBooks."
                )
            number = str(account.get("AcctNum") or "").strip()
            revenue = account.get("AccountType") in REVENUE_TYPES
            # Revenue is left out whatever its type: no default is forced onto it.
            fallback = "" if revenue else default
            cost_type = types.get(class_name, class_name) if class_name else fallback
            yield {"native": mapping.NativeLine(
                ref=f"{budget_id}/{account_id}/{class_name}",
                sub_job="",
                cost_code=accounts.cost_code(number, codes) if number else None,
                cost_type=cost_type or None,
                kind=LineKind.REVENUE if revenue else LineKind.COST,
                amount=accounts.period_sum(p.get("Amount") for p in periods),
                description=str(account.get("Name") or ""),
            )}  # fmt: skip

    def _budget(self, client: ErpHttp) -> dict[str, Any]:
        budgets = [b for b in self._select(client, "Budget") if isinstance(b, dict)]
        wanted = self._settings.get("budget_name", "").strip()
        if wanted:
            chosen = [b for b in budgets if str(b.get("Name", "")).strip() == wanted]
            missing = f"no budget named '{wanted}': check the connection's budget_name"
        else:
            today = datetime.date.today().isoformat()
            chosen = [b for b in budgets if b.get("Active", True)
                      and str(b.get("StartDate", "")) <= today <= str(b.get("EndDate", ""))]  # fmt: skip
            missing = ("no active budget covering today: name the budget in the connection's "
                       "budget_name")  # fmt: skip
        if not chosen:
            raise ErpRejected(f"QuickBooks Online has {missing}.")
        return chosen[0]

    # -- the query endpoint --------------------------------------------------------------------

    def _select(self, client: ErpHttp, entity: str) -> Iterator[dict[str, Any]]:
        return read_pages(lambda offset: self._more(client, entity, offset))

    def _more(self, client: ErpHttp, entity: str, offset: int) -> tuple[list[dict[str, Any]], bool]:
        rows = self._page(client, entity, offset, self._page_size)
        return rows, bool(rows)  # QuickBooks says "no more" with an empty page

    def _page(self, client: ErpHttp, entity: str, offset: int, size: int) -> list[dict[str, Any]]:
        # `entity` is one of this module's constants; a value in its where clause went through
        # _literal, so no text from a request can widen the query.
        query = f"select * from {entity} STARTPOSITION {offset + 1} MAXRESULTS {size}"  # noqa: S608
        path = (f"/v3/company/{urllib.parse.quote(self._realm)}/query?"
                + urllib.parse.urlencode({"query": query, "minorversion": MINOR_VERSION}))  # fmt: skip
        name = entity.split(" ", 1)[0]
        doing = f"read QuickBooks Online's {name} list"
        with gate(f"qbo|{self._base_url}|{self._realm}", AT_ONCE, PER_MINUTE).slot():
            try:
                payload = client.call("GET", path, doing)
            except HttpFailure as failure:
                raise client.explain(failure, doing) from None
        response = payload.get("QueryResponse") if isinstance(payload, dict) else None
        rows = response.get(name, []) if isinstance(response, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ErpRejected(
                f"QuickBooks Online's answer for the {name} list was not a QueryResponse: check "
                "the QuickBooks Online connection's address."
            )
        return rows


def _literal(value: str) -> str:
    """A QuickBooks query string literal: quoted, a backslash or quote inside escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ref(detail: dict[str, Any], name: str, part: str = "value") -> str | None:
    ref = detail.get(name)
    if not isinstance(ref, dict) or ref.get(part) in (None, ""):
        return None
    value = ref[part]
    return str(value) if isinstance(value, str | int | Decimal) else None
