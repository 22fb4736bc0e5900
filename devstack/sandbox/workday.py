"""Workday's Report-as-a-Service, the subset the connector uses.

    GET /ccx/service/customreport2/{tenant}/{owner}/{report}?format=json&Project_ID=...
        -> {"Report_Entry": [{column: text, ...}]}

HTTP Basic for the integration system user. The demo tenant has two reports owned by
`ISU_BudgetBridge`: `Budget_Bridge_Budget` (one entry per budget line; the `Project_ID` prompt
filters it, without it every project's lines), `Budget_Bridge_Projects`,
`Budget_Bridge_Cost_Codes` and `Budget_Bridge_Cost_Types`. As Workday does, an
entry leaves out a field that is blank, and amounts are text.
"""

from __future__ import annotations

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
    decimal_text,
    stable_id,
    state,
)

NAME = "workday"
USER = ("ISU_BudgetBridge", "sandbox")
OWNER = "ISU_BudgetBridge"
BUDGET_REPORT = "Budget_Bridge_Budget"
PROJECTS_REPORT = "Budget_Bridge_Projects"
CATALOG_REPORTS = {"Budget_Bridge_Cost_Codes": "Cost_Code", "Budget_Bridge_Cost_Types": "Cost_Type"}


def error(status: int, message: str) -> dict[str, Any]:
    return {"error": message, "errors": [{"error": message}]}


def rows(company: demo_data.DemoCompany) -> list[Row]:
    out = []
    for project in company.projects:
        for position, line in enumerate(project.erp_lines, start=1):
            kind = "cost" if line.type == demo_data.EXPENSE else "revenue"
            uniform_line = Uniform(line.task, line.cost_code, line.account_group, line.amount,
                                   line.description, kind)  # fmt: skip
            out.append(_row(stable_id(NAME, project.project_id, position), project.project_id,
                            uniform_line))  # fmt: skip
    return out


def _row(key: str, job: str, line: Uniform) -> Row:
    values = {
        "WID": key.replace("-", ""),
        "Project_ID": job,
        "Project_Phase": line.sub_job,
        "Cost_Code": line.cost_code,
        "Cost_Type": line.cost_type,
        "Budget_Amount": decimal_text(line.amount),  # text, every digit the line was given kept
        "Line_Type": "Revenue" if line.kind == "revenue" else "Cost",
        "Description": line.description,
    }
    return Row(id=key, values={name: value for name, value in values.items() if value != ""})


def job_of(row: Row) -> str:
    return str(row.values["Project_ID"])


def uniform(row: Row) -> Uniform:
    v = row.values
    return Uniform(v.get("Project_Phase", ""), v.get("Cost_Code", ""), v.get("Cost_Type", ""),
                   v.get("Budget_Amount"), v.get("Description", ""),
                   "revenue" if v.get("Line_Type") == "Revenue" else "cost")  # fmt: skip


def native(job: str, line: Uniform) -> Row:
    return _row(str(uuid.uuid4()), job, line)


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix=prefix)

    @bp.get("/ccx/service/customreport2/<tenant>/<owner>/<report>")
    def report(tenant: str, owner: str, report: str) -> Response:
        basic.require(USER, error, "Workday")
        if not state().has_tenant(NAME, tenant) or owner != OWNER:
            raise Stop(answer(404, error(404, f"No report '{report}' of {owner} in {tenant}.")))
        if request.args.get("format") != "json":
            raise Stop(answer(400, error(400, "This sandbox answers format=json only.")))
        if report == PROJECTS_REPORT:
            company = company_of(NAME, tenant)
            return answer(200, {"Report_Entry": [
                {"Project_ID": p.project_id, "Project_Name": p.name, "Project_Status": "Active"}
                for p in company.projects]})  # fmt: skip
        if report in CATALOG_REPORTS:
            company = company_of(NAME, tenant)
            column = CATALOG_REPORTS[report]
            listed = company.cost_codes if column == "Cost_Code" else company.cost_types
            return answer(
                200,
                {
                    "Report_Entry": [
                        {column: code, "Description": name} for code, name in sorted(listed.items())
                    ]
                },
            )
        if report != BUDGET_REPORT:
            raise Stop(answer(404, error(404, f"No report '{report}' of {owner} in {tenant}.")))
        job = request.args.get("Project_ID")
        with state().lock:
            entries = [dict(r.values) for r in state().tenant_rows(NAME, tenant)
                       if job is None or job_of(r) == job]  # fmt: skip
        return answer(200, {"Report_Entry": entries})

    return bp


SYSTEM = System(
    name=NAME,
    prefixes=("/workday",),
    blueprint=blueprint,
    rows=rows,
    job_of=job_of,
    uniform=uniform,
    native=native,
    error=error,
)
