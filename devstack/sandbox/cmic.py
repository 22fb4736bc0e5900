"""CMiC R12's REST API (`/jc-rest-api/rest/1/`), Oracle ADF resources, the subset the connector uses.

HTTP Basic on every call. Collections answer the ADF envelope `{items, count, hasMore, limit,
offset, links}`; `limit` above 1,000 is refused with 400; `q=Field=value;Field2='value'` filters.

    GET /jc-rest-api/rest/1/jcjob          JobCompCode, JobCode, JobName, JobStatusCode,
                                           JobCtrlCode (a sub-job's controlling job; ALL if none)
    GET /jc-rest-api/rest/1/jcphase        PhsCompCode, PhsCode, PhsName        (cost codes)
    GET /jc-rest-api/rest/1/jccategory     CatCompCode, CatCode, CatName        (cost types)
    GET /jc-rest-api/rest/1/jcjobcategory  JcatCompCode, JcatJobCode, JcatPhsCode, JcatCode,
                                           JcatName, JcatBudgetAmt, JcatRevenueFlag

Each demo job is a controlling job; its budget lines sit on its sub-jobs (the demo lines' sub
jobs, devstack/demo_data.py), and a line given through the uniform switch sits on the sub-job it
names (made when first named), or on the controlling job itself when it names none or the job's
own code. The switch reports a line on the controlling job with sub job "", as the connector
maps it. The jobs `jcjob` lists are the demo jobs and the sub-jobs their lines sit on.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import uuid
from typing import Any

from flask import Blueprint, Response, request

from devstack import demo_data
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
)

NAME = "cmic"
API = "/jc-rest-api/rest/1"
USER = ("cmicapi", "sandbox")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 25  # ADF's default page
NOT_A_SUB_JOB = "ALL"  # the JobCtrlCode of a controlling job
_CONDITION = re.compile(r"^\s*(\w+)\s*=\s*(?:'((?:[^']|'')*)'|([^;']*))\s*$")


def error(status: int, message: str) -> dict[str, Any]:
    return {"type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
            "title": message, "status": str(status),
            "o:errorDetails": [{"detail": message, "o:errorCode": str(status)}]}  # fmt: skip


def _fail(status: int, message: str) -> Stop:
    return Stop(answer(status, error(status, message)))


def rows(company: demo_data.DemoCompany) -> list[Row]:
    out = []
    for project in company.projects:
        for position, line in enumerate(project.erp_lines, start=1):
            kind = "cost" if line.type == demo_data.EXPENSE else "revenue"
            uniform_line = Uniform(line.task, line.cost_code, line.account_group, line.amount,
                                   line.description, kind)  # fmt: skip
            out.append(_row(stable_id(NAME, project.project_id, position), company.tenant,
                            project.project_id, uniform_line))  # fmt: skip
    return out


def _row(key: str, company_code: str, job: str, line: Uniform) -> Row:
    """The line on the sub-job it names, or on the controlling job `job` itself."""
    return Row(
        id=key,
        values={
            "JcatCompCode": company_code,
            "JcatJobCode": line.sub_job or job,
            "JcatPhsCode": line.cost_code,
            "JcatCode": line.cost_type,
            "JcatName": line.description,
            "JcatBudgetAmt": line.amount,
            "JcatRevenueFlag": "Y" if line.kind == "revenue" else "N",
        },
        held={"job": job},  # CMiC keeps a sub-job's controlling job on the job (JobCtrlCode)
    )


def job_of(row: Row) -> str:
    return row.held.get("job") or str(row.values["JcatJobCode"])


def uniform(row: Row) -> Uniform:
    values = row.values
    code = values.get("JcatJobCode") or ""
    sub_job = "" if code == job_of(row) else code  # a line on the controlling job: no sub job
    return Uniform(sub_job, values.get("JcatPhsCode") or "",
                   values.get("JcatCode") or "", values.get("JcatBudgetAmt"),
                   values.get("JcatName") or "",
                   "revenue" if values.get("JcatRevenueFlag") == "Y" else "cost")  # fmt: skip


def key_of(job: str, line: Uniform) -> Uniform:
    """A line naming the controlling job's own code sits on the controlling job, as one naming no
    sub-job does, and the connector reads it with no sub job (docs/erps/cmic.md): `""` and the
    job's own code are one key, kept and reported as `""`."""
    return dataclasses.replace(line, sub_job="") if line.sub_job == job else line


def native(job: str, line: Uniform) -> Row:
    tenant = next(t for (erp, t) in state().budgets if erp == NAME)
    company = company_of(NAME, tenant)
    if line.sub_job and line.sub_job != job:
        known = _jobs(company, state().tenant_rows(NAME, tenant))
        owner = known.get(line.sub_job, ("", job))[1]
        if owner != job:
            what = f"a sub-job of '{owner}'" if owner else "a controlling job"
            raise Stop(answer(400, {"message": f"CMiC's job '{line.sub_job}' is {what}, not a "
                                               f"sub-job of '{job}'."}))  # fmt: skip
    return _row(str(uuid.uuid4()), company.tenant, job, line)


def _jobs(company: demo_data.DemoCompany, lines: list[Row]) -> dict[str, tuple[str, str]]:
    """{job code: (name, controlling job)}: each demo job ("" controlling it), then its sub-jobs."""
    sub_jobs: dict[str, set[str]] = {}
    for row in lines:
        code, owner = str(row.values["JcatJobCode"]), job_of(row)
        if code != owner:
            sub_jobs.setdefault(owner, set()).add(code)
    jobs: dict[str, tuple[str, str]] = {}
    for project in company.projects:
        jobs[project.project_id] = (project.name, "")
        for code in sorted(sub_jobs.get(project.project_id, ())):
            name = demo_data.CMIC_SUB_JOBS.get(code, f"{project.name} - {code}")
            jobs[code] = (name, project.project_id)
    return jobs


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix=prefix)

    @bp.get(f"{API}/<resource>")
    def collection(resource: str) -> Response:
        _authenticate()
        tenant = next(t for (erp, t) in state().budgets if erp == NAME)
        records = _records(tenant, resource)
        return _page([r for r in records if _matches(r, request.args.get("q", ""))])

    return bp


def _authenticate() -> None:
    header = request.headers.get("Authorization", "")
    try:
        pair = base64.b64decode(header.removeprefix("Basic ").strip()).decode()
    except ValueError:
        pair = ""
    if not header.startswith("Basic ") or tuple(pair.split(":", 1)) != USER:
        raise Stop(answer(401, error(401, "Authentication failed."),
                          {"WWW-Authenticate": 'Basic realm="CMiC"'}))  # fmt: skip


def _records(tenant: str, resource: str) -> list[dict[str, Any]]:
    company = company_of(NAME, tenant)
    code = company.tenant
    if resource == "jcjob":
        with state().lock:
            jobs = _jobs(company, state().tenant_rows(NAME, tenant))
        return [{"JobCompCode": code, "JobCode": job, "JobName": name, "JobStatusCode": "A",
                 "JobCtrlCode": owner or NOT_A_SUB_JOB}
                for job, (name, owner) in jobs.items()]  # fmt: skip
    if resource == "jcphase":
        return [{"PhsCompCode": code, "PhsCode": c, "PhsName": n}
                for c, n in sorted(company.cost_codes.items())]  # fmt: skip
    if resource == "jccategory":
        return [{"CatCompCode": code, "CatCode": c, "CatName": n}
                for c, n in sorted(company.cost_types.items())]  # fmt: skip
    if resource == "jcjobcategory":
        with state().lock:
            return [
                {**row.values,
                 "links": [{"rel": "self", "href": f"{API}/jcjobcategory/{row.id}"}]}
                for row in state().tenant_rows(NAME, tenant)
            ]  # fmt: skip
    raise _fail(404, f"Resource '{resource}' not found.")


def _matches(record: dict[str, Any], q: str) -> bool:
    for condition in filter(None, q.split(";")):
        match = _CONDITION.match(condition)
        if match is None:
            raise _fail(400, f"The query '{condition}' is not understood.")
        field, quoted, bare = match.groups()
        value = quoted.replace("''", "'") if quoted is not None else bare.strip()
        if str(record.get(field)) != value:
            return False
    return True


def _page(records: list[dict[str, Any]]) -> Response:
    limit = count("limit", DEFAULT_LIMIT) or DEFAULT_LIMIT
    offset = count("offset", 0) or 0
    if limit > MAX_LIMIT:
        raise _fail(400, f"The limit {limit} is above the maximum of {MAX_LIMIT}.")
    limit = page_size(NAME, limit)
    page = records[offset : offset + limit]
    return answer(200, {"items": page, "count": len(page),
                        "hasMore": offset + limit < len(records), "limit": limit,
                        "offset": offset, "links": []})  # fmt: skip


SYSTEM = System(
    name=NAME,
    prefixes=("/cmic",),
    blueprint=blueprint,
    rows=rows,
    job_of=job_of,
    uniform=uniform,
    native=native,
    error=error,
    key_of=key_of,
)
