"""Xero's Accounting API, the subset the connector uses, under /xero.

    POST /xero/connect/token                      Basic client; grant_type=refresh_token
        -> {access_token, refresh_token (rotated: the old one is refused), expires_in: 1800}
    GET  /xero/api.xro/2.0/TrackingCategories     {"TrackingCategories": [{Name, Options: [...]}]}
    GET  /xero/api.xro/2.0/Accounts               {"Accounts": [{AccountID, Code, Name, Class}]}
    GET  /xero/api.xro/2.0/Budgets                {"Budgets": [{BudgetID, Type, Description,
                                                   Tracking: [{Name, Option}]}]}
    GET  /xero/api.xro/2.0/Budgets/{id}?DateFrom=&DateTo=   at most 24 months (without either,
                                                   Xero's default: last, this and next month);
                                                   BudgetLines with BudgetBalances
                                                   [{Period: "2026-01", Amount}], only the periods
                                                   of the budget inside the dates asked for
    POST /xero/sandbox/limits {"day_remaining": n, "minute_remaining": n}   (tests) sets what is left
    POST /xero/sandbox/periods {"job", "from": "YYYY-MM", "months": n,
                                "zero_from": "YYYY-MM", "zero_months": n}   (tests) the job's
                                                   budgets cover those months instead of this
                                                   year's 12; the optional zero months among them
                                                   hold Amount 0 (the amounts go on the others)

Every API call needs `xero-tenant-id`. Limits per organisation: 60 a minute, 5,000 a day, 5 at
once, announced in X-MinLimit-Remaining / X-DayLimit-Remaining and, once used up, answered 429
with Retry-After and X-Rate-Limit-Problem (minute, day or concurrent). A job is the tracking
option "X-9001 - <name>" of the category "Jobs"; its budget is the tracking budget "Jobs budget"
(a draft budget for the same option and an overall budget are there to be left alone). A budget
covers this year's 12 months unless a test sets others; Xero's API announces no budget's range
(the periods answered are the budget's, whatever their amount, 0 too).

Xero holds no cost type: the connection's account-to-type table gives each account one. The
uniform switch stores a line on the account the demo connection's table maps to its key: the
account itself when the table gives it that type (an account outside the chart: the default O),
else its sub-account `<account>.<type>` (the demo table lists one per account and cost type).
A second native line for a key goes on a further sub-account (`400.1`, `400.L.1`).
"""

from __future__ import annotations

import dataclasses
import datetime
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request

from devstack import demo_data
from devstack.sandbox import ledger
from devstack.sandbox.core import (
    Row,
    Stop,
    System,
    Uniform,
    answer,
    bearer_tenant,
    company_of,
    json_body,
    stable_id,
    state,
    without_sub_jobs,
)

NAME = "xero"
API = "/api.xro/2.0"
CLIENT = ("xero-client", "xero-secret")
FIRST_REFRESH_TOKEN = "xero-refresh-1"
CATEGORY = "Jobs"
BUDGET = "Jobs budget"
DEFAULT_COST_TYPE = "O"
DAY, MINUTE, AT_ONCE = 5000, 60, 5
_busy: dict[str, int] = {}
_busy_lock = threading.Lock()


def error(status: int, message: str) -> dict[str, Any]:
    return {"ErrorNumber": 10 if status == 400 else status, "Type": "ValidationException"
            if status == 400 else "Error", "Message": message}  # fmt: skip


def _fail(status: int, message: str) -> Stop:
    return Stop(answer(status, error(status, message)))


DEMO_TYPES = {**demo_data.XERO_ACCOUNT_TYPES, **demo_data.XERO_TYPE_ACCOUNTS}


def cost_type_of(code: str) -> str:
    """The demo connection's account-to-type table, as the connector reads it: the entry of the
    account or of its nearest listed parent (`400.L.1` is `400.L`'s), else the default type."""
    parts = code.split(".")
    for length in range(len(parts), 0, -1):
        listed = DEMO_TYPES.get(".".join(parts[:length]))
        if listed:
            return listed
    return DEFAULT_COST_TYPE


def account_for(code: str, cost_type: str) -> str:
    """The account whose budget line the connector reads as (code, cost_type), the demo table
    being the connection's: the account itself, else its sub-account for that type."""
    if "." in code:
        raise _fail(400, f"In Xero an account code with a '.' is a sub-account: {code} is read "
                         f"as cost code {code.split('.')[0]}.")  # fmt: skip
    if cost_type_of(code) == cost_type:
        return code
    if DEMO_TYPES.get(f"{code}.{cost_type}") == cost_type:
        return f"{code}.{cost_type}"
    types = sorted({t for a, t in DEMO_TYPES.items() if a.split(".")[0] == code}
                   | {cost_type_of(code)})  # fmt: skip
    raise _fail(400, f"The demo Xero connection's account_cost_types maps no account to cost "
                     f"code {code} with cost type {cost_type}: in Xero the connection's table "
                     f"gives each account its type (account {code}: {', '.join(types)}).")  # fmt: skip


def rows(company: demo_data.DemoCompany) -> list[Row]:
    out = []
    for project in company.projects:
        for position, line in enumerate(project.erp_lines, start=1):
            kind = "cost" if line.type == demo_data.EXPENSE else "revenue"
            out.append(_row(stable_id(NAME, project.project_id, position), project.project_id,
                            Uniform("", line.cost_code, "", line.amount, line.description,
                                    kind)))  # fmt: skip
        draft = _row(stable_id(NAME, project.project_id, "draft"), project.project_id,
                     Uniform("", project.erp_lines[0].cost_code, "", project.erp_lines[0].amount * 3))  # fmt: skip
        draft.values["budget"] = "draft"
        out.append(draft)
    return out


def _row(
    key: str,
    job: str,
    line: Uniform,
    periods: list[str] | None = None,
    zero: frozenset[str] = frozenset(),
) -> Row:
    months = periods or this_year()
    return Row(id=key, values={"budget": "current", "job": job, "code": line.cost_code,
                               "kind": line.kind, "periods": months,
                               "amounts": _spread(line.amount, months, zero),
                               "description": line.description})  # fmt: skip


def _spread(amount: Any, months: list[str], zero: frozenset[str]) -> list[Decimal]:
    """`amount` over the months not in `zero` (cents left on the last of them); 0 in the others."""
    held = [month for month in months if month not in zero]
    amounts = iter(ledger.spread(amount, len(held)))
    return [Decimal("0.00") if month in zero else next(amounts) for month in months]


def this_year() -> list[str]:
    return [month[:7] for month in ledger.months()]


def _month(index: int) -> str:
    """Month number `year * 12 + month - 1` as Xero names a period: "2026-01"."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _index(text: str) -> int:
    """The month number of a date or period ("2026-01-31", "2026-01"); ValueError otherwise."""
    year, month = int(text[:4]), int(text[5:7])
    if text[4:5] != "-" or not 1 <= month <= 12:
        raise ValueError(text)
    return year * 12 + month - 1


def _periods_of(job: str) -> list[str]:
    """The months the job's budget covers (the caller holds the lock)."""
    return list(state().extras.get(f"{NAME}:periods", {}).get(job) or this_year())


def _zero_of(job: str) -> frozenset[str]:
    """The months of the job's budget that hold Amount 0 (the caller holds the lock)."""
    return frozenset(state().extras.get(f"{NAME}:zero", {}).get(job) or ())


def job_of(row: Row) -> str:
    return row.values["job"] if row.values["budget"] == "current" else ""


def uniform(row: Row) -> Uniform:
    v = row.values
    cost_type = cost_type_of(v["code"]) if v["kind"] == "cost" else ""
    return Uniform("", v["code"].split(".")[0], cost_type, sum(v["amounts"]), v["description"],
                   v["kind"])  # fmt: skip


def native(job: str, line: Uniform) -> Row:
    if line.kind == "cost":
        line = dataclasses.replace(line, cost_code=account_for(line.cost_code, line.cost_type))
    with state().lock:
        return _row(str(uuid.uuid4()), job, line, _periods_of(job), _zero_of(job))


def _slotted(tenant_rows: list[Row]) -> list[tuple[Row, str, str]]:
    """(row, AccountID, Code): the n-th row of one budget, job and account a sub-account."""
    seen: dict[tuple[Any, ...], int] = {}
    out = []
    for row in tenant_rows:
        v = row.values
        key = (v["budget"], v["job"], v["code"], v["kind"])
        slot = seen.get(key, 0)
        seen[key] = slot + 1
        code = v["code"] + (f".{slot}" if slot else "")
        out.append((row, stable_id(NAME, "account", v["kind"], code), code))
    return out


def _accounts(company: demo_data.DemoCompany, tenant_rows: list[Row]) -> list[dict[str, Any]]:
    chart = {
        stable_id(NAME, "account", "cost", code): (code, "cost") for code in company.cost_codes
    }
    for row, account_id, code in _slotted(tenant_rows):
        chart.setdefault(account_id, (code, row.values["kind"]))
    return [{"AccountID": account_id, "Code": code, "Status": "ACTIVE",
             "Name": company.cost_codes.get(code.split(".")[0], "Sales") if kind == "cost"
             else f"Sales {code}", "Class": "REVENUE" if kind == "revenue" else "EXPENSE",
             "Type": "REVENUE" if kind == "revenue" else "DIRECTCOSTS"}
            for account_id, (code, kind) in chart.items()]  # fmt: skip


def _budget_id(job: str, which: str) -> str:
    return stable_id(NAME, "budget", job, which)


def _budgets(company: demo_data.DemoCompany) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"BudgetID": stable_id(NAME, "overall"), "Status": "ACTIVE",
                                  "Description": "Overall budget", "Type": "OVERALL",
                                  "UpdatedDateUTC": "/Date(1767225600000+0000)/"}]  # fmt: skip
    for project in company.projects:
        option = f"{project.project_id} - {project.name}"
        for which, description in (("current", BUDGET), ("draft", "Draft")):
            out.append({"BudgetID": _budget_id(project.project_id, which), "Status": "ACTIVE",
                        "Description": description, "Type": "TRACKING",
                        "UpdatedDateUTC": "/Date(1767225600000+0000)/",
                        "Tracking": [{"TrackingCategoryID": stable_id(NAME, CATEGORY),
                                      "Name": CATEGORY, "Option": option}]})  # fmt: skip
    return out


def _budget(tenant: str, budget_id: str) -> dict[str, Any]:
    company = company_of(NAME, tenant)
    summary = next((b for b in _budgets(company) if b["BudgetID"] == budget_id), None)
    if summary is None:
        raise _fail(404, "The resource you're looking for cannot be found")
    first, last = _window()
    with state().lock:
        tenant_rows = list(state().tenant_rows(NAME, tenant))
    lines = []
    for row, account_id, code in _slotted(tenant_rows):
        v = row.values
        if summary["Type"] != "TRACKING" or _budget_id(v["job"], v["budget"]) != budget_id:
            continue
        balances = [{"Period": p, "Amount": a}
                    for p, a in zip(v["periods"], v["amounts"], strict=True)
                    if first <= p <= last]  # fmt: skip
        lines.append({"AccountID": account_id, "AccountCode": code, "BudgetBalances": balances})
    return {**summary, "BudgetLines": lines}


def _window() -> tuple[str, str]:
    """The first and last period asked for: at most 24 months; without dates, as Xero answers,
    the previous, this and the next month."""
    date_from, date_to = request.args.get("DateFrom", ""), request.args.get("DateTo", "")
    if not date_from and not date_to:
        today = datetime.date.today()
        now = today.year * 12 + today.month - 1
        return _month(now - 1), _month(now + 1)
    try:
        first, last = _index(date_from), _index(date_to)
    except ValueError:
        raise _fail(400, "DateFrom and DateTo must both be dates (YYYY-MM-DD).") from None
    if last < first:
        raise _fail(400, "DateFrom must not be after DateTo.")
    if last - first >= 24:
        raise _fail(400, "The date range may be at most 24 months.")
    return _month(first), _month(last)


def _left(tenant: str) -> dict[str, Any]:
    """What the organisation has left this minute and this day (the caller holds the lock)."""
    now = time.monotonic()
    left = (
        state()
        .extras.setdefault(f"{NAME}:limits", {})
        .setdefault(tenant, {"day": DAY, "minute": MINUTE, "minute_from": now, "day_from": now})
    )
    if now - left["minute_from"] >= 60:
        left["minute"], left["minute_from"] = MINUTE, now
    if now - left["day_from"] >= 86400:
        left["day"], left["day_from"] = DAY, now
    return left


def _limited(tenant: str) -> Response | None:
    """Xero's limits: 429 with the problem named once a limit is used up."""
    with state().lock:
        left = _left(tenant)
        problem = "day" if left["day"] <= 0 else "minute" if left["minute"] <= 0 else None
        if problem is None and _busy.get(tenant, 0) >= AT_ONCE:
            problem = "concurrent"
        if problem is None:
            left["day"] -= 1
            left["minute"] -= 1
    if problem is None:
        return None
    retry = {"day": "36000", "minute": "60", "concurrent": "1"}[problem]
    return answer(429, error(429, "Rate limit exceeded"), {
        "Retry-After": retry, "X-Rate-Limit-Problem": problem,
        "X-DayLimit-Remaining": str(max(left["day"], 0)),
        "X-MinLimit-Remaining": str(max(left["minute"], 0))})  # fmt: skip


def _headers(tenant: str) -> dict[str, str]:
    with state().lock:
        left = state().extras[f"{NAME}:limits"][tenant]
        return {"X-DayLimit-Remaining": str(left["day"]),
                "X-MinLimit-Remaining": str(left["minute"]), "X-AppMinLimit-Remaining": "9999"}  # fmt: skip


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix=prefix)

    @bp.post("/connect/token")
    def token() -> Response:
        return ledger.refresh_token_grant(NAME, CLIENT, FIRST_REFRESH_TOKEN,
                                          {"token_type": "Bearer", "expires_in": 1800,
                                           "scope": "accounting.budgets.read offline_access"})  # fmt: skip

    @bp.get(f"{API}/<path:resource>")
    def api(resource: str) -> Response:
        tenant = bearer_tenant(NAME, error)
        if request.headers.get("xero-tenant-id", "").lower() != tenant:
            raise _fail(403, "AuthorizationUnsuccessful: the xero-tenant-id is not connected.")
        limited = _limited(tenant)
        if limited is not None:
            return limited
        with _busy_lock:
            _busy[tenant] = _busy.get(tenant, 0) + 1
        try:
            body = _resource(tenant, resource)
        finally:
            with _busy_lock:
                _busy[tenant] -= 1
        return answer(200, body, _headers(tenant))

    @bp.post("/sandbox/limits")
    def limits() -> Response:
        body = json_body() or {}
        tenant = next(t for (erp, t) in state().budgets if erp == NAME)
        with state().lock:
            left = _left(tenant)
            for name in ("day", "minute"):
                if f"{name}_remaining" in body:
                    left[name] = int(body[f"{name}_remaining"])
            return answer(200, {"day": left["day"], "minute": left["minute"]})

    @bp.post("/sandbox/periods")
    def budget_periods() -> Response:
        """(tests) The job's budgets cover `months` months from `from`: each line keeps its
        amount, spread over them again, the cents left on the last. The `zero_months` months
        from `zero_from` hold Amount 0 (a budget with a long run of zero months inside it)."""
        body = json_body()
        body = body if isinstance(body, dict) else {}
        try:
            job, first, months = str(body["job"]), _index(str(body["from"])), int(body["months"])
            zero_first = _index(str(body["zero_from"])) if "zero_from" in body else first
            zero_months = int(body.get("zero_months", 0))
        except (KeyError, ValueError, TypeError):
            raise _fail(400, 'Send {"job", "from": "YYYY-MM", "months": n} and, optionally, '
                             '"zero_from": "YYYY-MM", "zero_months": n.') from None  # fmt: skip
        if not 1 <= months <= 240 or not 0 <= zero_months < months:
            raise _fail(400, "months must be between 1 and 240, and zero_months fewer than months.")
        covered = [_month(first + n) for n in range(months)]
        zero = frozenset(_month(zero_first + n) for n in range(zero_months))
        if not zero <= set(covered):
            raise _fail(400, "The zero months must lie inside the budget's months.")
        tenant = next(t for (erp, t) in state().budgets if erp == NAME)
        with state().lock:
            state().extras.setdefault(f"{NAME}:periods", {})[job] = covered
            state().extras.setdefault(f"{NAME}:zero", {})[job] = zero
            for row in state().tenant_rows(NAME, tenant):
                if row.values["job"] == job:
                    total = sum(row.values["amounts"], Decimal(0))
                    row.values["periods"] = covered
                    row.values["amounts"] = _spread(total, covered, zero)
        return answer(200, {"job": job, "from": covered[0], "to": covered[-1]})

    return bp


def _resource(tenant: str, resource: str) -> dict[str, Any]:
    company = company_of(NAME, tenant)
    if resource == "TrackingCategories":
        options = [{"TrackingOptionID": stable_id(NAME, p.project_id), "Status": "ACTIVE",
                    "Name": f"{p.project_id} - {p.name}"} for p in company.projects]  # fmt: skip
        return {"TrackingCategories": [{"TrackingCategoryID": stable_id(NAME, CATEGORY),
                                        "Name": CATEGORY, "Status": "ACTIVE",
                                        "Options": options}]}  # fmt: skip
    if resource == "Accounts":
        with state().lock:
            tenant_rows = list(state().tenant_rows(NAME, tenant))
        return {"Accounts": _accounts(company, tenant_rows)}
    if resource == "Budgets":
        return {"Budgets": _budgets(company)}
    if resource.startswith("Budgets/"):
        return {"Budgets": [_budget(tenant, resource.split("/", 1)[1])]}
    raise _fail(404, "The resource you're looking for cannot be found")


SYSTEM = System(
    name=NAME,
    prefixes=("/xero",),
    blueprint=blueprint,
    rows=rows,
    job_of=job_of,
    uniform=uniform,
    native=native,
    error=error,
    key_of=without_sub_jobs("Xero", revenue_cost_type=False),
)
