"""QuickBooks Online's accounting API, the subset the connector uses, under /qbo.

    POST /qbo/oauth2/v1/tokens/bearer   Basic client; grant_type=refresh_token, refresh_token
        -> {access_token, refresh_token (a new one: the old is refused from then on), expires_in}
    GET  /qbo/v3/company/{realm}/query?query=select * from <Entity> [where ...]
             STARTPOSITION n MAXRESULTS m&minorversion=75
        -> {"QueryResponse": {"<Entity>": [...], "startPosition", "maxResults"}}; an empty
           QueryResponse after the last entity. A where clause of `Field = 'text'` or
           `Field = true|false` conditions joined by AND filters (`Customer where Id = 'Q-8001'`)

Entities: Budget (profit and loss, monthly, this year's "Construction budget" and last year's,
inactive), Account, Class, Customer (projects). More than 10 calls at once or 500 a minute per
realm answer 429 as QuickBooks does. A native line is one account, class and customer of the
budget with its 12 monthly `BudgetDetail` entries; a second line of the same key uses a
sub-account (`5100.1`), which the connector rolls up to its parent's cost code.

A `BudgetDetail` holds no description: the connector takes a line's from its account's `Name`,
so the uniform switch reports that name (`_account_name`, the same the Account list answers) and
ignores the description a PUT or POST sends.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
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
    page_size,
    stable_id,
    state,
    without_sub_jobs,
)

NAME = "qbo"
CLIENT = ("qbo-client", "qbo-secret")
FIRST_REFRESH_TOKEN = "qbo-refresh-1"
BUDGET_NAME = "Construction budget"
DEFAULT_COST_TYPE = (
    "O"  # the demo connection's default_cost_type: lines of this type carry no class
)
MAX_RESULTS = 1000
AT_ONCE, PER_MINUTE = 10, 500
_QUERY = re.compile(
    r"^\s*select \* from (\w+)(?: where (.*?))?\s+startposition (\d+) maxresults (\d+)\s*$",
    re.IGNORECASE,
)
# One condition of a where clause, the first or one after AND: Field = 'text' (a quote or
# backslash inside escaped with a backslash, as QuickBooks does) or Field = true|false.
_CONDITION = re.compile(
    r"(?:^\s*|\s+and\s+)(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(true|false))", re.IGNORECASE
)
_busy: dict[str, int] = {}  # calls being answered per realm (this process)
_busy_lock = threading.Lock()


def error(status: int, message: str) -> dict[str, Any]:
    kind = {401: "AUTHENTICATION", 429: "SERVICE"}.get(status, "ValidationFault")
    return {"Fault": {"Error": [{"Message": message, "Detail": message, "code": str(status)}],
                      "type": kind}, "time": "2026-01-01T00:00:00.000-08:00"}  # fmt: skip


def _fail(status: int, message: str) -> Stop:
    return Stop(answer(status, error(status, message)))


def rows(company: demo_data.DemoCompany) -> list[Row]:
    out = []
    for project in company.projects:
        for position, line in enumerate(project.erp_lines, start=1):
            kind = "cost" if line.type == demo_data.EXPENSE else "revenue"
            cost_type = line.account_group if kind == "cost" else ""
            uniform_line = Uniform("", line.cost_code, cost_type, line.amount, kind=kind)
            out.append(_row(stable_id(NAME, project.project_id, position), project.project_id,
                            uniform_line, company.cost_codes))  # fmt: skip
        # Last year's budget: the connector must read this year's.
        for position, line in enumerate(project.erp_lines[:5], start=1):
            old = _row(stable_id(NAME, project.project_id, "old", position), project.project_id,
                       Uniform("", line.cost_code, line.account_group, line.amount * 2),
                       company.cost_codes)  # fmt: skip
            old.values["budget"] = "old"
            out.append(old)
    return out


def _row(key: str, job: str, line: Uniform, names: Mapping[str, str]) -> Row:
    """The native line; `line.description` is dropped, as a `BudgetDetail` has no place for it.
    `names` is the realm's account names by number: the line's account's `Name` is held for the
    switch to report, as the connector reads it."""
    class_name = line.cost_type or None
    if line.kind == "cost" and line.cost_type == DEFAULT_COST_TYPE:
        class_name = None
    return Row(id=key, values={"budget": "current", "job": job, "code": line.cost_code,
                               "class": class_name, "kind": line.kind,
                               "amounts": ledger.spread(line.amount)},
               held={"account_name": _account_name(names, line.cost_code, line.kind)})  # fmt: skip


def _account_name(names: Mapping[str, str], number: str, kind: str) -> str:
    """An account's `Name` as the Account list answers it: the name of its number (of its
    parent's, for a sub-account such as `5100.1`; the number itself where the realm names none),
    with " (income)" for an income account. Never the slot: a sub-account's name does not change
    when a line before it goes."""
    parent = number.split(".")[0]
    return names.get(parent, parent) + (" (income)" if kind == "revenue" else "")


def job_of(row: Row) -> str:
    return row.values["job"] if row.values["budget"] == "current" else ""


def uniform(row: Row) -> Uniform:
    values = row.values
    fallback = DEFAULT_COST_TYPE if values["kind"] == "cost" else ""
    return Uniform("", values["code"], values["class"] or fallback, sum(values["amounts"]),
                   row.held["account_name"], values["kind"])  # fmt: skip


def native(job: str, line: Uniform) -> Row:
    # Only the uniform switch makes lines, and its {tenant} is the realm whose chart names them.
    realm = str((request.view_args or {}).get("tenant", ""))
    return _row(str(uuid.uuid4()), job, line, company_of(NAME, realm).cost_codes)


def _account_id(code: str, kind: str, slot: int) -> str:
    return ("I-" if kind == "revenue" else "E-") + code + (f".{slot}" if slot else "")


def _slotted(tenant_rows: list[Row]) -> Iterator[tuple[Row, str]]:
    """Each row with its account: the n-th row of one budget, job, code and class a sub-account."""
    seen: dict[tuple[Any, ...], int] = {}
    for row in tenant_rows:
        v = row.values
        key = (v["budget"], v["job"], v["code"], v["class"], v["kind"])
        slot = seen.get(key, 0)
        seen[key] = slot + 1
        yield row, _account_id(v["code"], v["kind"], slot)


def _accounts(company: demo_data.DemoCompany, tenant_rows: list[Row]) -> list[dict[str, Any]]:
    chart = {_account_id(code, "cost", 0): (code, "cost") for code in company.cost_codes}
    for row, account in _slotted(tenant_rows):
        chart.setdefault(account, (account[2:], row.values["kind"]))
    return [
        {"Id": account, "AcctNum": number, "Active": True,
         "Name": _account_name(company.cost_codes, number, kind),
         "AccountType": "Income" if kind == "revenue" else "Cost of Goods Sold"}
        for account, (number, kind) in chart.items()
    ]  # fmt: skip


def _budgets(tenant_rows: list[Row]) -> list[dict[str, Any]]:
    this_year = ledger.months()
    last_year = ledger.months(int(this_year[0][:4]) - 1)
    budgets = []
    for budget_id, name, dates, active in (("1", BUDGET_NAME, this_year, True),
                                           ("2", f"{BUDGET_NAME} (last year)", last_year, False)):  # fmt: skip
        details = []
        for row, account in _slotted(tenant_rows):
            v = row.values
            if v["budget"] != ("current" if active else "old"):
                continue
            for date, amount in zip(dates, v["amounts"], strict=True):
                detail = {"BudgetDate": date, "Amount": amount,
                          "AccountRef": {"value": account, "name": account},
                          "CustomerRef": {"value": v["job"]}}  # fmt: skip
                if v["class"]:
                    detail["ClassRef"] = {"value": f"CL-{v['class']}", "name": v["class"]}
                details.append(detail)
        budgets.append({"Id": budget_id, "Name": name, "StartDate": dates[0],
                        "EndDate": dates[-1][:8] + "31", "BudgetType": "ProfitAndLoss",
                        "BudgetEntryType": "Monthly", "Active": active,
                        "BudgetDetail": details})  # fmt: skip
    return budgets


def _entities(realm: str, entity: str) -> list[dict[str, Any]]:
    company = company_of(NAME, realm)
    with state().lock:
        tenant_rows = list(state().tenant_rows(NAME, realm))
    if entity == "Budget":
        return _budgets(tenant_rows)
    if entity == "Account":
        return _accounts(company, tenant_rows)
    if entity == "Class":
        names = sorted(t for t in company.cost_types if t != DEFAULT_COST_TYPE)
        return [{"Id": f"CL-{n}", "Name": n, "FullyQualifiedName": company.cost_types[n]}
                for n in names]  # fmt: skip
    if entity == "Customer":
        return [{"Id": p.project_id, "DisplayName": p.name, "IsProject": True, "Active": True}
                for p in company.projects]  # fmt: skip
    raise _fail(400, f"QueryParserError: Invalid context declaration: {entity}")


def _where(entities: list[dict[str, Any]], clause: str | None) -> list[dict[str, Any]]:
    """The entities a where clause keeps; the sandbox understands `Field = value AND ...`."""
    if not clause:
        return entities
    wanted: dict[str, Any] = {}
    read = 0
    for match in _CONDITION.finditer(clause):
        if match.start() != read:
            break
        field, text, flag = match.groups()
        wanted[field] = (
            re.sub(r"\\(.)", r"\1", text) if text is not None else flag.lower() == "true"
        )
        read = match.end()
    if read != len(clause.rstrip()):
        raise _fail(400, f"QueryParserError: the sandbox cannot read the where clause {clause!r}.")
    return [e for e in entities if all(e.get(f) == v for f, v in wanted.items())]


def _throttled(realm: str) -> Response | None:
    with _busy_lock, state().lock:
        now = time.monotonic()
        # Per sandbox and cleared by /sandbox/reset, so one test's calls do not count for the next.
        sent = state().extras.setdefault(f"{NAME}:sent", {}).setdefault(realm, deque())
        while sent and sent[0] <= now - 60:
            sent.popleft()
        if _busy.get(realm, 0) >= AT_ONCE or len(sent) >= PER_MINUTE:
            return answer(429, error(429, "message=ThrottleExceeded; errorCode=003001"),
                          {"Retry-After": "1"})  # fmt: skip
        sent.append(now)
        _busy[realm] = _busy.get(realm, 0) + 1
    return None


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix=prefix)

    @bp.post("/oauth2/v1/tokens/bearer")
    def token() -> Response:
        return ledger.refresh_token_grant(NAME, CLIENT, FIRST_REFRESH_TOKEN,
                                          {"token_type": "bearer", "expires_in": 3600,
                                           "x_refresh_token_expires_in": 8726400})  # fmt: skip

    @bp.get("/v3/company/<realm>/query")
    def query(realm: str) -> Response:
        tenant = bearer_tenant(NAME, error)
        if tenant != realm.lower():
            raise _fail(403, "The token is not for this company (realm).")
        if request.args.get("minorversion") != "75":
            raise _fail(400, "This sandbox speaks minorversion=75.")
        match = _QUERY.match(request.args.get("query", ""))
        if match is None:
            raise _fail(400, "QueryParserError: send select * from <Entity> STARTPOSITION n "
                             "MAXRESULTS m.")  # fmt: skip
        entity, start, size = match.group(1), int(match.group(3)), int(match.group(4))
        if not 1 <= size <= MAX_RESULTS or start < 1:
            raise _fail(400, f"MAXRESULTS must be 1 to {MAX_RESULTS}, STARTPOSITION 1 or more.")
        size = page_size(NAME, size)
        throttled = _throttled(realm)
        if throttled is not None:
            return throttled
        try:
            page = _where(_entities(realm, entity), match.group(2))[start - 1 : start - 1 + size]
        finally:
            with _busy_lock:
                _busy[realm] -= 1
        body = {entity: page, "startPosition": start, "maxResults": len(page)} if page else {}
        return answer(200, {"QueryResponse": body, "time": "2026-01-01T00:00:00.000-08:00"})

    return bp


SYSTEM = System(
    name=NAME,
    prefixes=("/qbo",),
    blueprint=blueprint,
    rows=rows,
    job_of=job_of,
    uniform=uniform,
    native=native,
    error=error,
    key_of=without_sub_jobs("QuickBooks Online"),
)
