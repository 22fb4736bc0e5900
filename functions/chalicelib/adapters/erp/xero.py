"""The Xero connector: OAuth2 with rotating refresh tokens, the Accounting API's budgets.

A job is an option of the tracking category named in the setting `tracking_category` (a job that
is no option of it is "job not found"); its budget is the tracking budget for that option
(`GET /api.xro/2.0/Budgets`), the one named by `budget_id` (its BudgetID or description) when
several exist. Its balances are read with `GET /Budgets/{BudgetID}?DateFrom=&DateTo=` in windows
of 24 months (Xero's most a call) over the budget's whole range, which Xero does not announce: it
is found from the periods Xero answers (see `_windows`), and a budget none of whose periods is
found is refused rather than read as zeros. Amounts are summed exactly per account: account →
cost code, the connection's account-to-type table → cost type (else `default_cost_type`);
revenue-class accounts are revenue. Every call carries `xero-tenant-id`; the limits (5 at once,
60 a minute, 5,000 a day per organisation) are kept with a gate and read from Xero's headers: a
used-up day is a transient failure carrying the time the limit resets.
docs/erps/xero.md has the connection fields, mapping and limits.
"""

from __future__ import annotations

import datetime
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.adapters.erp.common import accounts, mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.gate import gate
from chalicelib.adapters.erp.common.http import (
    ErpHttp,
    HttpFailure,
    Limits,
    retry_after_seconds,
)
from chalicelib.adapters.erp.common.jobs import no_such_job
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
# How far from this year a budget none of whose periods is near it is looked for (about a dozen
# calls when none is found), and how far a budget may reach before its answers are taken for an
# ERP answering periods for any month asked.
SEARCH_YEARS, REACH_YEARS = 10, 100
AT_ONCE, PER_MINUTE = 5, 60
MINUTE_PAUSE = 60.0
REVENUE_CLASS = "REVENUE"
EXPENSE_CLASS = "EXPENSE"
OPTION_SEPARATOR = " - "  # "X-9001 - Harbour Point": the job id, then its name


class XeroHttp(ErpHttp):
    """Xero's client: a 429 for the day's limit is transient, with the time the limit resets.

    It may pass (the contract: a 429 is transient), so it is `ErpUnavailable` carrying Xero's
    `Retry-After`, for the worker's queue to bring the job back, and a sentence saying when the
    limit resets for the person reading the job's message if the queue gives up first."""

    def is_final(self, failure: HttpFailure) -> bool:
        # Retrying a used-up day within seconds cannot pass and spends nothing but time: unless
        # Xero's Retry-After is short enough to wait out here, hand it to the queue at once.
        wait = retry_after_seconds(failure.retry_after)
        return _day_limit(failure) and (wait is None or wait > self.limits.max_wait)

    def explain(
        self, failure: HttpFailure, doing: str, *, quote_body: bool = True
    ) -> ErpUnavailable | ErpRejected:
        if _day_limit(failure):
            return ErpUnavailable(
                day_limit_sentence(failure.retry_after),
                retry_after=failure.retry_after,
                retry_after_seconds=retry_after_seconds(failure.retry_after),
            )
        return super().explain(failure, doing, quote_body=quote_body)


def _day_limit(failure: HttpFailure) -> bool:
    """Whether a 429 is for the organisation's daily calls (not the minute's, nor too many at once)."""
    problem = {k.lower(): v.strip() for k, v in failure.headers.items()}
    return failure.status == 429 and (
        problem.get("x-rate-limit-problem", "").lower() == "day"
        or problem.get("x-daylimit-remaining") == "0"
    )


def day_limit_sentence(retry_after: str | None, now: float | None = None) -> str:
    """When the organisation's daily calls are used up: when the limit resets, so when the
    re-import can run again."""
    seconds = retry_after_seconds(retry_after) or 0.0
    try:
        at = datetime.datetime.fromtimestamp(
            (time.time() if now is None else now) + seconds, tz=datetime.UTC
        )
    except (OverflowError, ValueError, OSError):
        seconds = 0.0  # a wait past any calendar: say no time rather than fail on it
    if seconds <= 0:
        return ("Xero's daily limit of API calls for this organisation is used up: run the "
                "re-import again tomorrow, when the limit resets.")  # fmt: skip
    count, unit = max(1, round(seconds / 60)), "minute"
    if count >= 60:
        count, unit = round(seconds / 3600), "hour"
    return (
        "Xero's daily limit of API calls for this organisation is used up: run the re-import "
        f"again after {at:%Y-%m-%d %H:%M} UTC (in about {count} {unit}{'s' if count > 1 else ''}), "
        "when the limit resets."
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
        budget = self._budget(client, erp_job_id)
        budget_id = str(budget["BudgetID"])
        balances: dict[str, list[Any]] = {}
        codes: dict[str, str] = {}
        for lines in self._windows(client, budget):
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
        return mapping.collect(rows, lambda row, _: self._native(budget_id, row, chart))

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
            amount=accounts.period_sum(row["amounts"]),
            description=str(account.get("Name") or ""),
        )

    def _windows(self, client: ErpHttp, budget: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """The lines of each 24-month window of the budget's whole range, one call a window.

        Xero announces no budget's range (its Budget has no dates; `GET /Budgets/{BudgetID}`
        answers the budget's periods within the dates asked for), so the periods it answers
        are the range: a period answered is one of the budget's months whatever its Amount (an
        all-zero budget reads as zeros), a window answering none lies outside the budget. The
        windows are asked for outwards from this year, alternately forwards and backwards, until
        one answers a period (for SEARCH_YEARS each way); from there the budget is read each way
        until a window answers none (a budget is one run of months), so a long run of zero
        amounts inside it is read through. A budget whose lines answer no period anywhere
        searched is refused: read as zeros, a re-import would zero the project's budget. One
        answering no line at all is an empty budget (the re-import's empty-budget guard decides).
        """
        budget_id = str(budget["BudgetID"])
        january = datetime.date.today().year * 12  # this year's first month, as a month number
        held: dict[int, bool] = {}  # window number (0: this year and next) → answered a period
        any_line = False

        def read(number: int) -> list[dict[str, Any]]:
            nonlocal any_line
            lines = self._budget_lines(client, budget_id, *window(january + number * WINDOW_MONTHS))
            any_line = any_line or bool(lines)
            held[number] = _holds_periods(lines)
            if held[number] and abs(number) * WINDOW_MONTHS >= REACH_YEARS * 12:
                raise ErpRejected(
                    f"Xero's budget '{_name(budget)}' answers periods more than {REACH_YEARS} "
                    "years from now: check the budget's months in Xero."
                )
            return lines

        reach = SEARCH_YEARS * 12 // WINDOW_MONTHS
        found = None
        for number in _outwards(reach):
            lines = read(number)
            if held[number]:
                found = number
                yield lines
                break
        if found is None:
            if any_line:
                first = window(january - reach * WINDOW_MONTHS)[0][:7]
                last = window(january + reach * WINDOW_MONTHS)[1][:7]
                raise ErpRejected(
                    f"Xero's budget '{_name(budget)}' answers no month from {first} to {last}, "
                    "and Xero does not tell a budget's months otherwise, so its amounts cannot "
                    "be read (not as 0 either): check the budget's months in Xero."
                )
            return
        for step in (1, -1):
            number = found + step
            # A window read while searching answered no period: the budget's months end there.
            while number not in held:
                lines = read(number)
                if not held[number]:
                    break
                yield lines
                number += step

    def _budget(self, client: ErpHttp, job: str) -> dict[str, Any]:
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
            # Only now, so that a normal read costs no extra call: no budget because there is no
            # such job (job not found, a 404), or because the job has none (a sentence to act on).
            self._require_option(client, job)
            raise ErpRejected(
                f"Xero has no tracking budget for option '{job}' of the tracking category "
                f"'{category}'" + (f" named '{wanted}'" if wanted else "") + ": check the "
                "connection's tracking_category and budget_id, and the budget in Xero."
            )
        found.sort(key=lambda b: str(b.get("UpdatedDateUTC", "")), reverse=True)
        return dict(found[0])

    def _require_option(self, client: ErpHttp, job: str) -> None:
        """The job among the options of the connection's tracking category, else "job not found"
        (a category that is not there is the connection's mistake, not a missing job)."""
        category = self._settings.get("tracking_category", "").strip()
        listed = [t for t in self._list(client, "TrackingCategories")
                  if str(t.get("Name", "")).strip() == category]  # fmt: skip
        if not listed:
            raise ErpRejected(
                f"Xero has no tracking category '{category}': set the Xero connection's "
                "tracking_category to the category whose options are the jobs."
            )
        options = (o for t in listed for o in t.get("Options") or [] if isinstance(o, dict))
        if not any(_option_job(str(o.get("Name") or "")) == job for o in options):
            raise no_such_job(self.system, job, f"'{category}' tracking option")

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
        for line in lines:
            # The periods answered are the budget's range (`_windows`): they must be readable.
            line["BudgetBalances"] = line.get("BudgetBalances") or []
            if not isinstance(line["BudgetBalances"], list):
                raise ErpRejected(
                    "Xero's budget answer had a budget line without a list of BudgetBalances."
                )
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


def _outwards(reach: int) -> Iterator[int]:
    """Window numbers from this year's outwards, alternately forwards and backwards: 0, -1, 1, ...
    up to `reach` each way (a budget just before this year is found as soon as one just after)."""
    yield 0
    for distance in range(1, reach + 1):
        yield -distance
        yield distance


def _holds_periods(lines: list[dict[str, Any]]) -> bool:
    """Whether a window's lines answer any period of the budget, whatever its amount (0 too)."""
    return any(isinstance(p, dict) for line in lines for p in line["BudgetBalances"])


def _name(budget: dict[str, Any]) -> str:
    return str(budget.get("Description") or "").strip() or str(budget.get("BudgetID"))


def _days_in(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def _option_job(option: str) -> str:
    return option.partition(OPTION_SEPARATOR)[0].strip()
