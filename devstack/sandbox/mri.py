"""MRI Platform X's API (`/mriapiservices/api.asp?$api=<call>`), the subset the connector uses.

HTTP Basic as `clientid/database/user`; answers `{"value": [...], "nextLink": "<absolute url>"}`
with `$top` (at most 500) and `$skip`; no `nextLink` on the last page.

    $api=MRI_S-PMJC_Jobs             JobID, JobName, Status
    $api=MRI_S-PMJC_CostCodes        CostCode, Description        (one list for the company)
    $api=MRI_S-PMJC_CostCategories   CostCategory, Description    (cost types)
    $api=MRI_S-PMJC_JobBudget&JOBID  BudgetLineID, JobID, CostCode, CostCategory, BudgetAmount,
                                     Description, LineType (C cost, R revenue)

A line whose category is the connection's `default_cost_type` is stored without a category, so
the connector's fallback is exercised.
"""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Any

from flask import Blueprint, Response, request

from devstack import demo_data
from devstack.sandbox import basic
from devstack.sandbox.core import (
    Row,
    Stop,
    System,
    Uniform,
    answer,
    company_of,
    count,
    page_size,
    stable_id,
    state,
    without_sub_jobs,
)

NAME = "mri"
API = "/mriapiservices/api.asp"
USER = ("BBDEMO/BBDEMO/bbapi", "sandbox")
DEFAULT_COST_TYPE = "O"
MAX_TOP = 500
DEFAULT_TOP = 100


def error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": str(status), "message": message}}


def rows(company: demo_data.DemoCompany) -> list[Row]:
    out = []
    for project in company.projects:
        for position, line in enumerate(project.erp_lines, start=1):
            kind = "cost" if line.type == demo_data.EXPENSE else "revenue"
            uniform_line = Uniform("", line.cost_code, line.account_group, line.amount,
                                   line.description, kind)  # fmt: skip
            out.append(_row(stable_id(NAME, project.project_id, position), project.project_id,
                            uniform_line))  # fmt: skip
    return out


def _row(key: str, job: str, line: Uniform) -> Row:
    # A cost line without a category reads as the default type; a revenue line keeps its own.
    default = line.kind == "cost" and line.cost_type == DEFAULT_COST_TYPE
    category = "" if default else line.cost_type
    return Row(id=key, values={
        "BudgetLineID": key, "JobID": job, "CostCode": line.cost_code, "CostCategory": category,
        "BudgetAmount": line.amount, "Description": line.description,
        "LineType": "R" if line.kind == "revenue" else "C",
    })  # fmt: skip


def job_of(row: Row) -> str:
    return str(row.values["JobID"])


def uniform(row: Row) -> Uniform:
    v = row.values
    revenue = v.get("LineType") == "R"
    cost_type = v.get("CostCategory") or ("" if revenue else DEFAULT_COST_TYPE)
    return Uniform("", v.get("CostCode") or "", cost_type, v.get("BudgetAmount"),
                   v.get("Description") or "", "revenue" if revenue else "cost")  # fmt: skip


def native(job: str, line: Uniform) -> Row:
    return _row(str(uuid.uuid4()), job, line)


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix=prefix)

    @bp.get(API)
    def call() -> Response:
        basic.require(USER, error, "MRI")
        tenant = next(t for (erp, t) in state().budgets if erp == NAME)
        records = _records(tenant, request.args.get("$api", ""))
        return _page(prefix, records)

    return bp


def _records(tenant: str, api: str) -> list[dict[str, Any]]:
    company = company_of(NAME, tenant)
    if api == "MRI_S-PMJC_Jobs":
        return [{"JobID": p.project_id, "JobName": p.name, "Status": "A"}
                for p in company.projects]  # fmt: skip
    if api == "MRI_S-PMJC_CostCodes":
        return [{"CostCode": c, "Description": n} for c, n in sorted(company.cost_codes.items())]
    if api == "MRI_S-PMJC_CostCategories":
        return [{"CostCategory": c, "Description": n}
                for c, n in sorted(company.cost_types.items())]  # fmt: skip
    if api == "MRI_S-PMJC_JobBudget":
        job = request.args.get("JOBID", "")
        if job not in {p.project_id for p in company.projects} and not _has_lines(tenant, job):
            raise Stop(answer(404, error(404, f"Job '{job}' was not found.")))
        with state().lock:
            return [dict(r.values) for r in state().tenant_rows(NAME, tenant) if job_of(r) == job]
    raise Stop(answer(400, error(400, f"The API '{api}' is not available to this client.")))


def _has_lines(tenant: str, job: str) -> bool:
    with state().lock:
        return any(job_of(r) == job for r in state().tenant_rows(NAME, tenant))


def _page(prefix: str, records: list[dict[str, Any]]) -> Response:
    top = count("$top", DEFAULT_TOP) or DEFAULT_TOP
    skip = count("$skip", 0) or 0
    if top > MAX_TOP:
        raise Stop(answer(400, error(400, f"$top may be at most {MAX_TOP}.")))
    top = page_size(NAME, top)
    body: dict[str, Any] = {"value": records[skip : skip + top]}
    if skip + top < len(records):
        query = {k: v for k, v in request.args.items() if k != "$skip"}
        query["$skip"] = str(skip + top)
        link = request.host_url.rstrip("/") + prefix + API + "?" + urllib.parse.urlencode(query)
        body["nextLink"] = link
    return answer(200, body)


SYSTEM = System(
    name=NAME,
    prefixes=("/mri",),
    blueprint=blueprint,
    rows=rows,
    job_of=job_of,
    uniform=uniform,
    native=native,
    error=error,
    key_of=without_sub_jobs("MRI Platform X"),
)
