"""Yardi Voyager's job cost interface as a SOAP 1.1 `.asmx` service, the subset the connector uses.

    POST /Webservices/ItfJobCost.asmx   SOAPAction "<namespace>/<operation>", a SOAP envelope whose
                                        operation element carries UserName, Password, ServerName,
                                        Database, Platform, InterfaceEntity and the arguments
    GetJobCostBudget(JobCode, StartIndex, PageSize) -> <Line> LineId, JobCode, CostCategory,
                                        CostCode, Amount, Description, Type (Cost | Revenue)
    GetJobs, GetCostCategories, GetCostCodes (StartIndex, PageSize)

The result element carries MoreRows="true" while rows remain. Faults are SOAP 1.1 faults with
HTTP 500 (`soap:Client` for a request that will not pass, `soap:Server` otherwise). Yardi's cost
category is Budget Bridge's cost code and Yardi's cost code its cost type.
"""

from __future__ import annotations

import uuid
from typing import Any
from xml.etree.ElementTree import Element, ParseError  # noqa: S405 - types only
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeXml
from defusedxml import DefusedXmlException
from flask import Blueprint, Response, request

from devstack import demo_data
from devstack.sandbox.core import (
    Row,
    Stop,
    System,
    Uniform,
    company_of,
    decimal_text,
    page_size,
    stable_id,
    state,
    without_sub_jobs,
)

NAME = "yardi"
SERVICE = "/Webservices/ItfJobCost.asmx"
NAMESPACE = "http://tempuri.org/YSI.Interfaces.WebServices/ItfJobCost"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SIGN_IN = {"UserName": "bbapi", "Password": "sandbox", "ServerName": "bb_sandbox_sql",
           "Platform": "SQL Server", "InterfaceEntity": "Budget Bridge"}  # fmt: skip
FIELDS = ("LineId", "JobCode", "CostCategory", "CostCode", "Amount", "Description", "Type")


def _xml(status: int, body: str) -> Response:
    document = (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP}">'
                f"<soap:Body>{body}</soap:Body></soap:Envelope>")  # fmt: skip
    return Response(document.encode(), status=status, content_type="text/xml; charset=utf-8")


def error(status: int, message: str) -> bytes:
    code = "soap:Client" if 400 <= status < 500 and status != 429 else "soap:Server"
    return _fault(code, message).get_data()


def _fault(code: str, message: str) -> Response:
    return _xml(500, f"<soap:Fault><faultcode>{code}</faultcode>"
                     f"<faultstring>{escape(message)}</faultstring></soap:Fault>")  # fmt: skip


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
    return Row(id=key, values={
        "LineId": key, "JobCode": job,
        "CostCategory": line.cost_code, "CostCode": line.cost_type,  # Yardi's names are inverted
        "Amount": decimal_text(line.amount), "Description": line.description,
        "Type": "Revenue" if line.kind == "revenue" else "Cost",
    })  # fmt: skip


def job_of(row: Row) -> str:
    return str(row.values["JobCode"])


def uniform(row: Row) -> Uniform:
    v = row.values
    return Uniform("", v["CostCategory"], v["CostCode"], v["Amount"], v["Description"],
                   "revenue" if v["Type"] == "Revenue" else "cost")  # fmt: skip


def native(job: str, line: Uniform) -> Row:
    return _row(str(uuid.uuid4()), job, line)


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix=prefix)

    @bp.post(SERVICE)
    def service() -> Response:
        operation, arguments = _request()
        database = arguments.get("Database", "")
        wrong = [k for k, v in SIGN_IN.items() if arguments.get(k) != v]
        if wrong or not state().has_tenant(NAME, database):
            raise Stop(_fault("soap:Client", "Invalid Username, Password, Server, Database, "
                                             "Platform or Interface Entity."))  # fmt: skip
        records = _records(database, operation, arguments)
        start, size = _whole(arguments, "StartIndex", 0), _whole(arguments, "PageSize", 100) or 100
        size = page_size(NAME, size)
        page = records[start : start + size]
        more = "true" if start + size < len(records) else "false"
        element = {"GetJobCostBudget": "Line", "GetJobs": "Job", "GetCostCategories":
                   "CostCategory", "GetCostCodes": "CostCode"}[operation]  # fmt: skip
        items = "".join(
            f"<{element}>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in r.items())
            + f"</{element}>" for r in page
        )  # fmt: skip
        return _xml(
            200,
            f'<{operation}Response xmlns="{NAMESPACE}"><{operation}Result '
            f'MoreRows="{more}">{items}</{operation}Result></{operation}Response>',
        )

    return bp


def _request() -> tuple[str, dict[str, str]]:
    try:
        document = SafeXml.fromstring(request.get_data(), forbid_dtd=True)
    except (DefusedXmlException, ParseError, ValueError):
        raise Stop(
            _fault("soap:Client", "The request is not a well-formed SOAP envelope.")
        ) from None
    body = document.find(f"{{{SOAP}}}Body")
    operation: Element | None = None if body is None else next(iter(body), None)
    if operation is None or not operation.tag.startswith(f"{{{NAMESPACE}}}"):
        raise Stop(_fault("soap:Client", "The SOAP body names no operation of ItfJobCost."))
    name = operation.tag.rsplit("}", 1)[-1]
    if name not in ("GetJobCostBudget", "GetJobs", "GetCostCategories", "GetCostCodes"):
        raise Stop(_fault("soap:Client", f"Server did not recognize the operation '{name}'."))
    return name, {c.tag.rsplit("}", 1)[-1]: (c.text or "") for c in operation}


def _whole(arguments: dict[str, str], name: str, default: int) -> int:
    try:
        value = int(arguments.get(name, default))
    except ValueError:
        raise Stop(_fault("soap:Client", f"{name} must be a whole number.")) from None
    if value < 0:
        raise Stop(_fault("soap:Client", f"{name} must not be negative."))
    return value


def _records(database: str, operation: str, arguments: dict[str, str]) -> list[dict[str, Any]]:
    company = company_of(NAME, database)
    if operation == "GetJobs":
        return [{"JobCode": p.project_id, "Name": p.name, "Status": "Active"}
                for p in company.projects]  # fmt: skip
    if operation == "GetCostCategories":  # Budget Bridge's cost codes
        return [{"Code": c, "Description": n} for c, n in sorted(company.cost_codes.items())]
    if operation == "GetCostCodes":  # Budget Bridge's cost types
        return [{"Code": c, "Description": n} for c, n in sorted(company.cost_types.items())]
    job = arguments.get("JobCode", "")
    with state().lock:
        lines = [dict(r.values) for r in state().tenant_rows(NAME, database) if job_of(r) == job]
    if not lines and job not in {p.project_id for p in company.projects}:
        raise Stop(_fault("soap:Client", f"Job '{job}' does not exist in database {database}."))
    return lines


SYSTEM = System(
    name=NAME,
    prefixes=("/yardi",),
    blueprint=blueprint,
    rows=rows,
    job_of=job_of,
    uniform=uniform,
    native=native,
    error=error,
    key_of=without_sub_jobs("Yardi Voyager"),
)
