"""The Xero connector: OAuth2 with rotating refresh tokens, the Accounting API's budgets.

A job is an option of the tracking category named in the setting `tracking_category`; its
budget is the tracking budget for that option (`GET /api.xro/2.0/Budgets`), the one named by
`budget_id` (its BudgetID or description) when several exist. Its balances are read with
`GET /Budgets/{BudgetID}?DateFrom=&DateTo=` in windows of 24 months (Xero's most a call) over the
budget's whole range, which Xero does not announce: from this year outwards, each way until a
window holds no amount (see `_windows`), and summed exactly per account: account → cost code, the
connection's account-to-type table → cost type (else `default_cost_type`); revenue-class accounts
are revenue. Every call carries `xero-tenant-id`; the limits (5 at once, 60 a minute, 5,000 a day
per organisation) are kept with a gate and read from Xero's headers: a used-up day fails the job
with the time to retry.
docs/erps/xero.md has the connection fields, mapping and limits.
"""

from __future__ import annotations

import datetime
import time
import urllib.parse
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.adapters.erp.common import accounts, mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.gate import gate
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits
from chalicelib.adapters.erp.common.rotation import (
    TokenEndpoint,
    TokenVault,
    from_rotating_connection,
    rotating_client,
    token_base,
)
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

API = "/api.xro/2.0"
TOKEN_PATH = "/connect/token"
XERO = ("api.xero.com", "https://identity.xero.com")
WINDOW_MONTHS = 24  # Xero answers at most 24 months of balances a call
# How far from this year a budget none of whose periods is near it is looked for, and how far a
# budget may reach before its answers are taken for an ERP answering amounts for any month.
SEARCH_YEARS, REACH_YEARS = 10, 100
AT_ONCE, PER_MINUTE = 5, 60
MINUTE_PAUSE = 60.0
REVENUE_CLASS = "REVENUE"
EXPENSE_CLASS = "EXPENSE"
OPTION_SEPARATOR = " - "  # "X-9001 - Harbour Point": the job id, then its name


class XeroHttp(ErpHttp):
    """Xero's client: a 429 for the day's limit is a failed job with the time to try again."""

    def explain(
        self, failure: HttpFailure, doing: str, *, quote_body: bool = True
    ) -> ErpUnavailable | ErpRejected:
        problem = {k.lower(): v for k, v in failure.headers.items()}
        if failure.status == 429 and (
            problem.get("x-rate-limit-problem", "").lower() == "day"
            or problem.get("x-daylimit-remaining") == "0"
        ):
            return ErpRejected(day_limit_sentence(failure.retry_after))
        return super().explain(failure, doing, quote_body=quote_body)


def day_limit_sentence(retry_after: str | None, now: float | None = None) -> str:
    """When the organisation's daily calls are used up: when the re-import can run again."""
    try:
        seconds = max(0.0, float(retry_after or 0))
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        return ("Xero's daily limit of API calls for this organisation is used up: run the "
                "re-import again tomorrow.")  # fmt: skip
    at = datetime.datetime.fromtimestamp((now or time.time()) + seconds, tz=datetime.UTC)
    hours = max(1, round(seconds / 3600))
    return (
        "Xero's daily limit of API calls for this organisation is used up: run the re-import "
        f"again after {at:%Y-%m-%d %H:%M} UTC (in about {hours} hour{'s' if hours > 1 else ''})."
    )


class XeroSource:
    system = "xero"

    def __init__(
        self,
        base_url: str,
        settings: dict[str, str],
        vault: TokenVault,
        *,
        limits: Limits | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._base_url = base_url
        self._settings = settings
        self._tenant = settings.get("tenant_id", "").strip()
        if not self._tenant:
            raise ErpRejected("The Xero connection has no tenant_id (the organisation's id).")
        self._vault = vault
        self._limits = limits or Limits()
        self._sleep = sleep if sleep is not None else time.sleep

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> XeroSource:
        return from_rotating_connection(cls, connection, credentials, deployment)

    def _client(self) -> ErpHttp:
        token_url = token_base(self._base_url, self._settings.get("token_url", ""), XERO)
        return rotating_client(self.system, self._base_url, TokenEndpoint(token_url, TOKEN_PATH),
                               self._vault, limits=self._limits, sleep=self._sleep, client_class=XeroHttp)  # fmt: skip

    # -- the ErpSource port --------------------------------------------------------------------

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        client = self._client()
        chart = {str(a.get("AccountID")): a for a in self._list(client, "Accounts")}
        budget_id = self._budget_id(client, erp_job_id)
        balances: dict[str, list[Any]] = {}
        codes: dict[str, str] = {}
        for lines in self._windows(client, budget_id):
            for line in lines:
                account = str(line.get("AccountID") or line.get("AccountCode") or "")
                codes.setdefault(account, str(line.get("AccountCode") or ""))
                periods = line.get("BudgetBalances") or []
                balances.setdefault(account, []).extend(
                    p.get("Amount") for p in periods if isinstance(p, dict)
                )
            if on_page is not None:
                on_page(len(balances))
        rows = ({"account": a, "code": codes[a], "amounts": v} for a, v in balances.items())
        return mapping.collect(rows, lambda row, _: self._native(budget_id, row, chart),
                               ("account code", "cost type"))  # fmt: skip

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        options = list(self._options(self._client()))
        page = options[offset : offset + limit]
        return ErpProjectPage(
            projects=[ErpProject(erp_job_id=job, name=name, erp_status=status)
                      for job, name, status in page],
            has_more=offset + limit < len(options),
        )  # fmt: skip

    def cost_catalog(self) -> ErpCatalog:
        codes = {}
        for account in self._list(self._client(), "Accounts"):
            code = str(account.get("Code") or "")
            # A budget holds profit-and-loss accounts; the expense ones are the cost codes (not
            # revenue, nor the balance sheet's bank, asset, liability and equity accounts).
            if code and "." not in code and account.get("Class") == EXPENSE_CLASS:
                codes[accounts.cost_code(code, self._codes())] = str(account.get("Name") or "")
        types = set(self._types().values())
        if self._settings.get("default_cost_type"):
            types.add(self._settings["default_cost_type"])
        return ErpCatalog(
            cost_codes=[CatalogEntry(code=c, description=codes[c]) for c in sorted(codes)],
            cost_types=[CatalogEntry(code=t, description=t) for t in sorted(types)],
        )

    # -- mapping -------------------------------------------------------------------------------

    def _codes(self) -> dict[str, str]:
        return accounts.table(self._settings.get("account_cost_codes", ""), "account_cost_codes")

    def _types(self) -> dict[str, str]:
        return accounts.table(self._settings.get("account_cost_types", ""), "account_cost_types")

    def _native(
        self, budget_id: str, row: dict[str, Any], chart: dict[str, dict[str, Any]]
    ) -> mapping.NativeLine:
        account = chart.get(row["account"], {})
        code = str(account.get("Code") or row["code"]).strip()
        revenue = account.get("Class") == REVENUE_CLASS
        default = "" if revenue else self._settings.get("default_cost_type", "")
        return mapping.NativeLine(
            ref=f"{budget_id}/{row['account']}",
            sub_job="",
            cost_code=accounts.cost_code(code, self._codes()) if code else None,
            cost_type=accounts.cost_type(code, self._types(), default) or None,
            kind=LineKind.REVENUE if revenue else LineKind.COST,
            amount=accounts.period_sum(row["amounts"], f"account {code}"),
            description=str(account.get("Name") or ""),
        )

    def _windows(self, client: ErpHttp, budget_id: str) -> Iterator[list[dict[str, Any]]]:
        """The budget's lines, 24 months a call, over its whole range. Xero announces no budget's
        range (a budget answers its periods within the dates asked for), so the windows go from
        this year forwards, then from the two years before backwards, each way until a window
        holds no amount once one has. Before any amount is found they go on for SEARCH_YEARS
        each way (an empty budget costs about a dozen calls); a budget still holding amounts
        REACH_YEARS away is refused rather than read on without end."""
        january = datetime.date.today().year * 12  # this year's first month, as a month number
        found = False
        for step in (WINDOW_MONTHS, -WINDOW_MONTHS):
            first = january if step > 0 else january - WINDOW_MONTHS
            while True:
                lines = self._budget_lines(client, budget_id, *window(first))
                yield lines
                if _holds_amounts(lines):
                    found = True
                    if abs(first - january) >= REACH_YEARS * 12:
                        raise ErpRejected(
                            f"Xero's budget {budget_id} answers amounts for periods more than "
                            f"{REACH_YEARS} years from now: check the budget in Xero."
                        )
                elif found or abs(first - january) >= SEARCH_YEARS * 12:
                    break
                first += step

    def _budget_id(self, client: ErpHttp, job: str) -> str:
        category = self._settings.get("tracking_category", "").strip()
        wanted = self._settings.get("budget_id", "").strip()
        found = []
        for budget in self._list(client, "Budgets"):
            tracking = [t for t in budget.get("Tracking") or [] if isinstance(t, dict)]
            if any(str(t.get("Name", "")).strip() == category
                   and _option_job(str(t.get("Option", ""))) == job for t in tracking):  # fmt: skip
                found.append(budget)
        if wanted:
            found = [b for b in found if wanted in (str(b.get("BudgetID")),
                                                    str(b.get("Description", "")).strip())]  # fmt: skip
        if not found:
            raise ErpRejected(
                f"Xero has no tracking budget for option '{job}' of the tracking category "
                f"'{category}'" + (f" named '{wanted}'" if wanted else "") + ": check the "
                "connection's tracking_category and budget_id, and the budget in Xero."
            )
        found.sort(key=lambda b: str(b.get("UpdatedDateUTC", "")), reverse=True)
        return str(found[0]["BudgetID"])

    def _options(self, client: ErpHttp) -> Iterator[tuple[str, str, str]]:
        category = self._settings.get("tracking_category", "").strip()
        for tracking in self._list(client, "TrackingCategories"):
            if str(tracking.get("Name", "")).strip() != category:
                continue
            for option in tracking.get("Options") or []:
                name = str(option.get("Name") or "")
                job, _, title = name.partition(OPTION_SEPARATOR)
                yield job.strip(), (title or name).strip(), str(option.get("Status") or "")

    # -- the Accounting API --------------------------------------------------------------------

    def _budget_lines(
        self, client: ErpHttp, budget_id: str, date_from: str, date_to: str
    ) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"DateFrom": date_from, "DateTo": date_to})
        path = f"Budgets/{urllib.parse.quote(budget_id)}?{query}"
        (budget,) = self._list(client, path, expect_one=True)
        lines = budget.get("BudgetLines") or []
        if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
            raise ErpRejected("Xero's budget answer had no list of BudgetLines.")
        return lines

    def _list(self, client: ErpHttp, path: str, *, expect_one: bool = False) -> list[Any]:
        name = path.split("/", 1)[0].split("?", 1)[0]
        doing = f"read Xero's {name}"
        with gate(f"xero|{self._base_url}|{self._tenant}", AT_ONCE, PER_MINUTE).slot():
            try:
                payload = client.call("GET", f"{API}/{path}", doing,
                                      headers={"xero-tenant-id": self._tenant})  # fmt: skip
            except HttpFailure as failure:
                raise client.explain(failure, doing) from None
        self._pace(client.last_headers)
        rows = payload.get(name) if isinstance(payload, dict) else None
        if (
            not isinstance(rows, list)
            or not all(isinstance(r, dict) for r in rows)
            or (expect_one and len(rows) != 1)
        ):
            raise ErpRejected(
                f"Xero's answer for {name} was not a list of {name}: check the Xero connection's "
                "address."
            )
        return rows

    def _pace(self, headers: dict[str, str]) -> None:
        """The minute's calls used up (X-MinLimit-Remaining 0): wait for the next minute."""
        left = {k.lower(): v for k, v in headers.items()}.get("x-minlimit-remaining")
        if left is not None and left.strip() == "0":
            self._sleep(MINUTE_PAUSE)


def window(first: int) -> tuple[str, str]:
    """The 24 months from month number `first` (`year * 12 + month - 1`) as DateFrom, DateTo."""
    last = first + WINDOW_MONTHS - 1
    end_year, end_month = divmod(last, 12)
    days = _days_in(end_year, end_month + 1)
    return (f"{first // 12:04d}-{first % 12 + 1:02d}-01",
            f"{end_year:04d}-{end_month + 1:02d}-{days:02d}")  # fmt: skip


def _holds_amounts(lines: list[dict[str, Any]]) -> bool:
    """Whether a window's lines have a period with an amount other than 0 (a value that is not
    a number counts: reading it refuses the budget with a sentence)."""
    for line in lines:
        periods = line.get("BudgetBalances")
        for period in periods if isinstance(periods, list) else []:
            amount = period.get("Amount") if isinstance(period, dict) else None
            if amount is None or amount == "":
                continue
            try:
                if isinstance(amount, bool) or Decimal(str(amount)) != 0:
                    return True
            except InvalidOperation:
                return True
    return False


def _days_in(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def _option_job(option: str) -> str:
    return option.partition(OPTION_SEPARATOR)[0].strip()
