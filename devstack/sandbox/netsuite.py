"""Oracle NetSuite's REST web services, the subset the connector uses, under /netsuite.

    POST /netsuite/services/rest/auth/oauth2/v1/token   client_credentials with a client_assertion
        JWT (PS256 or RS256, kid "bb-cert", iss "netsuite-client", aud this URL) checked with the
        public key of the devstack's key pair (devstack/keys.py)
    POST /netsuite/services/rest/query/v1/suiteql?limit=&offset=   Prefer: transient, {"q": ...}
        -> {links, count, hasMore, offset, totalResults, items}; limit at most 1,000; links
           previous, first, next, last and self, each the query at another offset

The sandbox understands the connector's own queries only (by the tables they read: budgets with
budgetsmachine for a job's entityid, job (all, or one by `j.entityid = '...'`), account,
classification), not SuiteQL in general. A native line is one budget record (one account, class
and project; a second record of the same key stands for another department) with its 12 monthly
budgetsmachine amounts.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import jwt
from flask import Blueprint, Response, request

from devstack import demo_data, keys
from devstack.sandbox import ledger
from devstack.sandbox.core import (
    Row,
    Stop,
    System,
    Uniform,
    answer,
    bearer_tenant,
    company_of,
    count,
    json_body,
    page_size,
    stable_id,
    state,
    without_sub_jobs,
)

NAME = "netsuite"
CLIENT_ID = "netsuite-client"
CERTIFICATE_ID = "bb-cert"
DEFAULT_COST_TYPE = "O"  # the demo connection's default_cost_type: lines of it carry no class
MAX_LIMIT = 1000
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523
_JOB = re.compile(r"j\.entityid = '((?:[^']|'')*)'", re.IGNORECASE)


def error(status: int, message: str) -> dict[str, Any]:
    code = {400: "INVALID_PARAMETER", 401: "INVALID_LOGIN", 404: "NONEXISTENT_ID"}.get(
        status, "ERROR"
    )
    return {"type": "https://www.rfc-editor.org/rfc/rfc9110.html", "title": message,
            "status": status, "o:errorDetails": [{"detail": message, "o:errorCode": code}]}  # fmt: skip


def _fail(status: int, message: str) -> Stop:
    return Stop(answer(status, error(status, message)))


def rows(company: demo_data.DemoCompany) -> list[Row]:
    out = []
    for project in company.projects:
        for position, line in enumerate(project.erp_lines, start=1):
            kind = "cost" if line.type == demo_data.EXPENSE else "revenue"
            out.append(_row(stable_id(NAME, project.project_id, position), project.project_id,
                            Uniform("", line.cost_code, line.account_group if kind == "cost" else "",
                                    line.amount, line.description, kind)))  # fmt: skip
    return out


def _row(key: str, job: str, line: Uniform) -> Row:
    class_name = line.cost_type or None
    if line.kind == "cost" and line.cost_type == DEFAULT_COST_TYPE:
        class_name = None
    return Row(id=key, values={"job": job, "code": line.cost_code, "class": class_name,
                               "kind": line.kind, "amounts": ledger.spread(line.amount),
                               "description": line.description})  # fmt: skip


def job_of(row: Row) -> str:
    return str(row.values["job"])


def uniform(row: Row) -> Uniform:
    v = row.values
    fallback = DEFAULT_COST_TYPE if v["kind"] == "cost" else ""
    return Uniform("", v["code"], v["class"] or fallback, sum(v["amounts"]), v["description"],
                   v["kind"])  # fmt: skip


def native(job: str, line: Uniform) -> Row:
    return _row(str(uuid.uuid4()), job, line)


def _account_type(kind: str) -> str:
    return "Income" if kind == "revenue" else "COGS"


def _items(tenant: str, q: str) -> list[dict[str, Any]]:
    company = company_of(NAME, tenant)
    lowered = q.lower()
    if "from budgets" in lowered:
        match = _JOB.search(q)
        if match is None:
            raise _fail(400, "Search error: the sandbox reads budgets of one job (j.entityid).")
        job = match.group(1).replace("''", "'")
        with state().lock:
            tenant_rows = [r for r in state().tenant_rows(NAME, tenant) if r.values["job"] == job]
        periods = [int(m[:7].replace("-", "")) for m in ledger.months()]
        return [
            {"budget": row.id, "acctnumber": row.values["code"],
             "accttype": _account_type(row.values["kind"]),
             "accountname": company.cost_codes.get(row.values["code"], row.values["description"]),
             "classname": row.values["class"], "period": period, "amount": amount, "links": []}
            for row in tenant_rows
            for period, amount in zip(periods, row.values["amounts"], strict=True)
        ]  # fmt: skip
    if "from job" in lowered:
        jobs = [{"id": str(n), "entityid": p.project_id, "companyname": p.name,
                 "status": "In Progress", "links": []}
                for n, p in enumerate(company.projects, start=101)]  # fmt: skip
        match = _JOB.search(q)  # the project lookup: WHERE j.entityid = '<id>'
        if match is not None:
            jobs = [j for j in jobs if j["entityid"] == match.group(1).replace("''", "'")]
        return jobs
    if "from account" in lowered:
        return [{"acctnumber": code, "name": name, "accttype": "COGS", "links": []}
                for code, name in company.cost_codes.items()]  # fmt: skip
    if "from classification" in lowered:
        return [{"name": t, "fullname": company.cost_types[t], "links": []}
                for t in company.cost_types if t != DEFAULT_COST_TYPE]  # fmt: skip
    raise _fail(400, "Search error: the sandbox understands only the connector's queries.")


def _check_assertion(assertion: str) -> bool:
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, keys.netsuite_public_key(), algorithms=["PS256", "RS256"],
                            audience=request.base_url, options={"require": ["exp", "iat", "iss"]})  # fmt: skip
    except jwt.PyJWTError:
        return False
    lifetime = int(claims["exp"]) - int(claims["iat"])
    return header.get("kid") == CERTIFICATE_ID and claims["iss"] == CLIENT_ID and lifetime <= 3600


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix=prefix)

    @bp.post("/services/rest/auth/oauth2/v1/token")
    def token() -> Response:
        form = request.form
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_assertion_type") != ASSERTION_TYPE
            or not form.get("client_assertion")
        ):
            return answer(400, {"error": "invalid_request"})
        if not _check_assertion(form["client_assertion"]):
            return answer(400, {"error": "invalid_grant"})
        account = next(t for (erp, t) in state().budgets if erp == NAME)
        return answer(200, {"access_token": state().open_token(NAME, account),
                            "expires_in": "3600", "token_type": "bearer"})  # fmt: skip

    @bp.post("/services/rest/query/v1/suiteql")
    def suiteql() -> Response:
        tenant = bearer_tenant(NAME, error)
        if request.headers.get("Prefer", "").lower() != "transient":
            raise _fail(400, "Invalid header: the request must have Prefer: transient.")
        limit, offset = count("limit", 1000) or 0, count("offset", 0) or 0
        if not 1 <= limit <= MAX_LIMIT:
            raise _fail(400, f"Invalid value for limit: it must be 1 to {MAX_LIMIT}.")
        limit = page_size(NAME, limit)
        body = json_body()
        if not isinstance(body, dict) or not isinstance(body.get("q"), str):
            raise _fail(400, 'Send {"q": "<SuiteQL query>"}.')
        items = _items(tenant, body["q"])
        page = items[offset : offset + limit]
        return answer(200, {"links": _links(offset, limit, len(items)), "count": len(page),
                            "hasMore": offset + limit < len(items), "offset": offset,
                            "totalResults": len(items), "items": page})  # fmt: skip

    return bp


def _links(offset: int, limit: int, total: int) -> list[dict[str, str]]:
    """The page's links as SuiteQL answers them: previous, first, next, last (where they apply)
    and self, each the same query at another `offset`."""

    def href(at: int) -> str:
        return f"{request.base_url}?limit={limit}&offset={at}"

    last = max(total - 1, 0) // limit * limit
    links = []
    if offset > 0:
        links += [{"rel": "previous", "href": href(max(offset - limit, 0))},
                  {"rel": "first", "href": href(0)}]  # fmt: skip
    if offset + limit < total:
        links += [{"rel": "next", "href": href(offset + limit)},
                  {"rel": "last", "href": href(last)}]  # fmt: skip
    return [*links, {"rel": "self", "href": href(offset)}]


SYSTEM = System(
    name=NAME,
    prefixes=("/netsuite",),
    blueprint=blueprint,
    rows=rows,
    job_of=job_of,
    uniform=uniform,
    native=native,
    error=error,
    key_of=without_sub_jobs("Oracle NetSuite"),
)
