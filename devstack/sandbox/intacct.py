"""Sage Intacct's REST API (`/ia/api/v1`), the subset the connector uses.

    POST /ia/api/v1/oauth2/token          grant_type=client_credentials, client_id, client_secret
    POST /ia/api/v1/services/core/query   {"object", "fields", "filters": [{"$eq": {f: v}}],
                                           "start", "size"}
        -> {"ia::result": [{field: value, ...}], "ia::meta": {totalCount, start, pageSize, next,
            previous}}

Objects: `projects/project`, `projects/task`, `construction/cost-type`,
`construction/project-estimate` and `construction/project-estimate-line`. Query answers name
related fields flat (`"project.id"`), as Intacct's query service does.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request

from devstack import demo_data
from devstack.sandbox.core import (
    Row,
    Stop,
    System,
    Uniform,
    answer,
    bearer_tenant,
    company_of,
    json_body,
    page_size,
    stable_id,
    state,
)

NAME = "intacct"
API = "/ia/api/v1"
CLIENT = ("intacct-client", "intacct-secret")
MAX_PAGE = 4000  # Intacct's query service answers at most 4,000 records a page
REVENUE = "Revenue"  # the accumulation type of revenue lines
PRIMARY_ESTIMATE_KEY = "1"  # per project: 1 the primary posted estimate, 2 a draft


def error(status: int, message: str) -> dict[str, Any]:
    code = {401: "invalidRequest", 404: "notFound", 429: "tooManyRequests"}.get(status, "error")
    return {"ia::result": {"ia::error": {"code": code, "message": message}},
            "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1}}  # fmt: skip


def _fail(status: int, message: str) -> Stop:
    return Stop(answer(status, error(status, message)))


def _estimate_key(project_id: str, primary: bool) -> str:
    return f"{project_id}:{PRIMARY_ESTIMATE_KEY if primary else '2'}"


def rows(company: demo_data.DemoCompany) -> list[Row]:
    out = []
    for project in company.projects:
        for position, line in enumerate(project.erp_lines, start=1):
            out.append(_row(stable_id(NAME, project.project_id, position), project.project_id,
                            _uniform_of(line)))  # fmt: skip
        # What the connector must leave out: a revision on the primary, a draft estimate's line.
        first = _uniform_of(project.erp_lines[0])
        revision = _row(stable_id(NAME, project.project_id, "revision"), project.project_id, first)
        revision.values["workflowType"] = "revision"
        draft = _row(stable_id(NAME, project.project_id, "draft"), project.project_id, first)
        draft.values["projectEstimate.key"] = _estimate_key(project.project_id, primary=False)
        out += [revision, draft]
    return out


def _uniform_of(line: demo_data.DemoErpLine) -> Uniform:
    kind = "cost" if line.type == demo_data.EXPENSE else "revenue"
    return Uniform(line.task, line.cost_code, line.account_group, line.amount, line.description,
                   kind)  # fmt: skip


def _row(key: str, project_id: str, line: Uniform) -> Row:
    amount = line.amount
    return Row(
        id=key,
        values={
            "key": key,
            "projectEstimate.key": _estimate_key(project_id, primary=True),
            "project.id": project_id,
            "task.id": line.cost_code,
            "costType.id": line.cost_type if line.kind == "cost" else None,
            "accumulationType.id": REVENUE if line.kind == "revenue" else "Cost",
            # Intacct answers amounts as strings.
            "amount": f"{amount:.2f}" if isinstance(amount, Decimal | int) else amount,
            "workflowType": "original",
            "memo": line.description,
        },
    )


def job_of(row: Row) -> str:
    """Only the primary estimate's original lines are the job's budget; others belong to none."""
    values = row.values
    primary = values["projectEstimate.key"] == _estimate_key(values["project.id"], primary=True)
    return values["project.id"] if primary and values["workflowType"] == "original" else ""


def uniform(row: Row) -> Uniform:
    values = row.values
    return Uniform("", values.get("task.id") or "", values.get("costType.id") or "",
                   values.get("amount"), values.get("memo") or "",
                   "revenue" if values.get("accumulationType.id") == REVENUE else "cost")  # fmt: skip


def native(job: str, line: Uniform) -> Row:
    return _row(str(uuid.uuid4()), job, line)


def blueprint(prefix: str) -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix=prefix)

    @bp.post(f"{API}/oauth2/token")
    def token() -> Response:
        form = request.form if request.form else (json_body() or {})
        if form.get("grant_type") != "client_credentials":
            return answer(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != CLIENT:
            return answer(401, {"error": "invalid_client"})
        tenant = next(t for (erp, t) in state().budgets if erp == NAME)
        return answer(200, {"access_token": state().open_token(NAME, tenant),
                            "token_type": "Bearer", "expires_in": 3600})  # fmt: skip

    @bp.post(f"{API}/services/core/query")
    def query() -> Response:
        tenant = bearer_tenant(NAME, error)
        body = json_body()
        if not isinstance(body, dict) or not isinstance(body.get("object"), str):
            raise _fail(400, 'Send {"object", "fields", "filters", "start", "size"}.')
        records = _records(tenant, body["object"])
        return _page([r for r in records if _matches(r, body.get("filters") or [])], body)

    return bp


def _records(tenant: str, name: str) -> list[dict[str, Any]]:
    company = company_of(NAME, tenant)
    if name == "projects/project":
        return [{"key": str(n), "id": p.project_id, "name": p.name, "status": "active"}
                for n, p in enumerate(company.projects, start=1)]  # fmt: skip
    if name == "projects/task":
        return [{"key": str(n), "id": code, "name": text}
                for n, (code, text) in enumerate(sorted(company.cost_codes.items()), start=1)]  # fmt: skip
    if name == "construction/cost-type":
        return [{"key": str(n), "id": code, "name": text}
                for n, (code, text) in enumerate(sorted(company.cost_types.items()), start=1)]  # fmt: skip
    if name == "construction/project-estimate":
        return [
            {"key": _estimate_key(p.project_id, primary), "id": f"EST-{p.project_id}-{n}",
             "project.id": p.project_id, "isPrimary": primary,
             "state": "posted" if primary else "draft"}
            for p in company.projects for n, primary in ((1, True), (2, False))
        ]  # fmt: skip
    if name == "construction/project-estimate-line":
        with state().lock:
            return [dict(row.values) for row in state().tenant_rows(NAME, tenant)]
    raise _fail(404, f"The object '{name}' is not known.")


def _matches(record: dict[str, Any], filters: list[Any]) -> bool:
    for condition in filters:
        if not isinstance(condition, dict) or set(condition) != {"$eq"}:
            raise _fail(400, 'The sandbox understands only filters of the form {"$eq": {...}}.')
        for field, value in condition["$eq"].items():
            if record.get(field) != value:
                return False
    return True


def _page(records: list[dict[str, Any]], body: dict[str, Any]) -> Response:
    start, size = body.get("start", 1), body.get("size", 100)
    if not isinstance(start, int) or not isinstance(size, int) or start < 1 or not size >= 1:
        raise _fail(400, "start must be 1 or more and size a positive whole number.")
    if size > MAX_PAGE:
        raise _fail(400, f"size must be at most {MAX_PAGE}.")
    size = page_size(NAME, size)
    fields = body.get("fields") or []
    page = records[start - 1 : start - 1 + size]
    shown = [{f: r.get(f) for f in fields} if fields else r for r in page]
    more = start - 1 + size < len(records)
    meta = {"totalCount": len(records), "start": start, "pageSize": size,
            "next": start + size if more else None,
            "previous": max(1, start - size) if start > 1 else None}  # fmt: skip
    return answer(200, {"ia::result": shown, "ia::meta": meta})


SYSTEM = System(
    name=NAME,
    prefixes=("/intacct",),
    blueprint=blueprint,
    rows=rows,
    job_of=job_of,
    uniform=uniform,
    native=native,
    error=error,
)
