"""Sage Intacct's REST API (`/ia/api/v1`), the subset the connector uses.

    POST /ia/api/v1/oauth2/token          grant_type=client_credentials, client_id, client_secret
    POST /ia/api/v1/services/core/query   {"object", "fields", "filters": [{"$eq": {f: v}}],
                                           "start", "size"}
        -> {"ia::result": [{field: value, ...}], "ia::meta": {totalCount, start, pageSize, next,
            previous}}
    GET  /ia/api/v1/objects/<object>?start=&size=   the list service: [{key, id, href}], paged
    GET  /ia/api/v1/objects/<object>/<key>          one record, related fields nested

Objects: `projects/project` (with `parent.id`: a child project's parent), `projects/task` (per
project, with `parent.id`: a task's parent task), `construction/cost-type`,
`construction/project-estimate` (one primary posted and one draft per project) and
`construction/project-estimate-line`. Query answers name related fields flat (`"project.id"`), as
Intacct's query service does; filters are `$eq` and `$in`.

Sub jobs: how the company keeps them is `PUT /sandbox/intacct/sub-job-from {"sub_job_from": ...}`
(a reset goes back to `none`), and a line with a sub job given through the uniform switch is kept
that way: `child_project`, on the primary estimate of a child project of the job (made when first
named); `task`, under a task of the job whose parent task is the sub job. With `none` the company
has no sub jobs. The demo data has none.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, has_app_context, request

from devstack import demo_data
from devstack.sandbox.core import (
    Row,
    Stop,
    System,
    Uniform,
    answer,
    bearer_tenant,
    company_of,
    decimal_text,
    json_body,
    page_size,
    refused,
    stable_id,
    state,
    without_revenue_cost_type,
)

NAME = "intacct"
API = "/ia/api/v1"
CLIENT = ("intacct-client", "intacct-secret")
MAX_PAGE = 4000  # Intacct's query service answers at most 4,000 records a page
REVENUE = "Revenue"  # the accumulation type of revenue lines
PRIMARY_ESTIMATE_KEY = "1"  # per project: 1 the primary posted estimate, 2 a draft
SUB_JOB_FROM = f"{NAME}:sub_job_from"  # the layout of sub jobs, in the state's extras
LAYOUTS = ("none", "child_project", "task")  # as the connection setting `sub_job_from` names them


def error(status: int, message: str) -> dict[str, Any]:
    code = {401: "invalidRequest", 404: "notFound", 429: "tooManyRequests"}.get(status, "error")
    return {"ia::result": {"ia::error": {"code": code, "message": message}},
            "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1}}  # fmt: skip


def _fail(status: int, message: str) -> Stop:
    return Stop(answer(status, error(status, message)))


def _estimate_key(project_id: str, primary: bool) -> str:
    return f"{project_id}:{PRIMARY_ESTIMATE_KEY if primary else '2'}"


def rows(company: demo_data.DemoCompany) -> list[Row]:
    layout = _layout()
    out = []
    for project in company.projects:
        for position, line in enumerate(project.erp_lines, start=1):
            key = stable_id(NAME, project.project_id, position)
            out.append(_native(key, project.project_id, _uniform_of(line), layout))
        if not project.erp_lines:
            continue
        # What the connector must leave out: a revision on the primary, a draft estimate's line.
        first = out[-len(project.erp_lines)]
        revision = Row(stable_id(NAME, project.project_id, "revision"), dict(first.values),
                       dict(first.held))  # fmt: skip
        revision.values["key"] = revision.id
        revision.values["workflowType"] = "revision"
        draft = Row(stable_id(NAME, project.project_id, "draft"), dict(first.values),
                    dict(first.held))  # fmt: skip
        draft.values["key"] = draft.id
        draft.values["projectEstimate.key"] = _estimate_key(first.values["project.id"], False)
        out += [revision, draft]
    return out


def _layout() -> str:
    """How the company keeps sub jobs (`none` until told otherwise, and outside a request)."""
    return str(state().extras.get(SUB_JOB_FROM, "none")) if has_app_context() else "none"


def set_sub_job_from(body: Any) -> Response:
    """`PUT /sandbox/intacct/sub-job-from`: how lines given with a sub job are kept from now on."""
    layout = body.get("sub_job_from") if isinstance(body, dict) else None
    if layout not in LAYOUTS:
        return answer(400, {"message": f'Send {{"sub_job_from": one of {", ".join(LAYOUTS)}}}.'})
    with state().lock:
        state().extras[SUB_JOB_FROM] = layout
    return answer(200, {"sub_job_from": layout})


def _uniform_of(line: demo_data.DemoErpLine) -> Uniform:
    kind = "cost" if line.type == demo_data.EXPENSE else "revenue"
    return Uniform(line.task, line.cost_code, line.account_group, line.amount, line.description,
                   kind)  # fmt: skip


def _native(key: str, job: str, line: Uniform, layout: str) -> Row:
    """The line as the layout keeps it; with `none` a sub job has nowhere to go and is dropped."""
    if line.sub_job and layout == "child_project":
        return _row(key, line.sub_job, line, {"job": job})
    if line.sub_job and layout == "task":
        return _row(key, job, line, {"parent_task": line.sub_job})
    return _row(key, job, line, {})


def _row(key: str, project_id: str, line: Uniform, held: dict[str, str]) -> Row:
    return Row(
        id=key,
        values={
            "key": key,
            "projectEstimate.key": _estimate_key(project_id, primary=True),
            "project.id": project_id,
            "task.id": line.cost_code,
            "costType.id": line.cost_type if line.kind == "cost" else None,
            "accumulationType.id": REVENUE if line.kind == "revenue" else "Cost",
            # Intacct answers amounts as strings, every digit the line was given kept.
            "amount": decimal_text(line.amount),
            "workflowType": "original",
            "memo": line.description,
        },
        held=held,
    )


def job_of(row: Row) -> str:
    """Only the primary estimate's original lines are the job's budget; others belong to none.
    A child project's lines belong to its parent's job."""
    values = row.values
    primary = values["projectEstimate.key"] == _estimate_key(values["project.id"], primary=True)
    if not primary or values["workflowType"] != "original":
        return ""
    return row.held.get("job") or str(values["project.id"])


def uniform(row: Row) -> Uniform:
    values = row.values
    sub_job = values["project.id"] if row.held.get("job") else row.held.get("parent_task", "")
    return Uniform(sub_job, values.get("task.id") or "", values.get("costType.id") or "",
                   values.get("amount"), values.get("memo") or "",
                   "revenue" if values.get("accumulationType.id") == REVENUE else "cost")  # fmt: skip


def key_of(job: str, line: Uniform) -> Uniform:
    """A sub job needs a layout to be kept in; a revenue line has no cost type to keep (dropped)."""
    if line.sub_job and _layout() == "none":
        raise refused(
            "The sandbox's Sage Intacct company keeps no sub jobs: PUT "
            '/sandbox/intacct/sub-job-from first, or send sub_job "".'
        )
    return without_revenue_cost_type(line)


def native(job: str, line: Uniform) -> Row:
    layout = _layout()
    if line.sub_job and layout == "task":
        _check_task_parent(job, line)
    return _native(str(uuid.uuid4()), job, line, layout)


def _check_task_parent(job: str, line: Uniform) -> None:
    """A task id is unique in its project, so it has one parent task (the job's budget lines
    say which; the revision and draft lines the demo adds follow them)."""
    tenant = next(t for (erp, t) in state().budgets if erp == NAME)
    for row in state().tenant_rows(NAME, tenant):
        values = row.values
        same = (job_of(row), values["project.id"], values["task.id"]) == (job, job, line.cost_code)
        if same and row.held.get("parent_task", "") != line.sub_job:
            under = row.held.get("parent_task") or "no parent task"
            raise refused(
                f"Task '{line.cost_code}' of project '{job}' already sits under "
                f"{under}: in Sage Intacct a task id is unique in its project."
            )


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

    @bp.get(f"{API}/objects/<path:path>")
    def objects(path: str) -> Response:
        """The list service (`GET /objects/<object>`: each record's key, id and href, paged as
        the query service pages) and one record (`GET /objects/<object>/<key>`)."""
        tenant = bearer_tenant(NAME, error)
        name, _, key = path.rstrip("/").rpartition("/")
        if path.rstrip("/") in OBJECTS:
            name, key = path.rstrip("/"), ""
        if name not in OBJECTS:
            raise _fail(404, f"The object '{path}' is not known.")
        records = _records(tenant, name)
        if not key:
            start, size = (_argument(n, d) for n, d in (("start", 1), ("size", LIST_PAGE)))
            listed = [{"key": r["key"], "id": r.get("id", r["key"]),
                       "href": f"{API}/objects/{name}/{r['key']}"} for r in records]  # fmt: skip
            return _page(listed, {"start": start, "size": size})
        record = next((r for r in records if r["key"] == key), None)
        if record is None:
            raise _fail(404, f"No {name} with key '{key}'.")
        return answer(200, {"ia::result": _nested(record),
                            "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0}})  # fmt: skip

    return bp


# The objects the sandbox holds, for the list service and the record by key.
OBJECTS = ("projects/project", "projects/task", "construction/cost-type",
           "construction/project-estimate", "construction/project-estimate-line")  # fmt: skip
LIST_PAGE = 100  # the list service's page when `size` is not given


def _argument(name: str, default: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    if not text.isdigit():
        raise _fail(400, f"{name} must be a whole number.")
    return int(text)


def _nested(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the REST API answers one object: related fields nested (`project.id` ->
    `{"project": {"id": ...}}`), where the query service names them flat."""
    out: dict[str, Any] = {}
    for field, value in record.items():
        parent, _, child = field.partition(".")
        if child:
            nested = out.setdefault(parent, {})
            nested[child] = value
        else:
            out[field] = value
    return out


def _records(tenant: str, name: str) -> list[dict[str, Any]]:
    company = company_of(NAME, tenant)
    if name == "construction/cost-type":
        return [{"key": str(n), "id": code, "name": text}
                for n, (code, text) in enumerate(sorted(company.cost_types.items()), start=1)]  # fmt: skip
    with state().lock:
        lines = [(dict(row.values), dict(row.held)) for row in state().tenant_rows(NAME, tenant)]
    projects = _projects(company, lines)
    if name == "projects/project":
        return [{"key": str(n), "id": project, "name": title, "status": "active",
                 "parent.id": parent}
                for n, (project, (title, parent)) in enumerate(projects.items(), start=1)]  # fmt: skip
    if name == "projects/task":
        return _tasks(company, projects, lines)
    if name == "construction/project-estimate":
        return [
            {"key": _estimate_key(project, primary), "id": f"EST-{project}-{n}",
             "project.id": project, "isPrimary": primary,
             "state": "posted" if primary else "draft"}
            for project in projects for n, primary in ((1, True), (2, False))
        ]  # fmt: skip
    if name == "construction/project-estimate-line":
        return [values for values, _ in lines]
    raise _fail(404, f"The object '{name}' is not known.")


Held = list[tuple[dict[str, Any], dict[str, str]]]  # each line's values and what is held for it


def _projects(company: demo_data.DemoCompany, lines: Held) -> dict[str, tuple[str, str | None]]:
    """{project id: (name, parent id)}: the company's projects, each followed by its children."""
    children: dict[str, set[str]] = {}
    for values, held in lines:
        if held.get("job"):
            children.setdefault(held["job"], set()).add(str(values["project.id"]))
    projects: dict[str, tuple[str, str | None]] = {}
    for project in company.projects:
        projects[project.project_id] = (project.name, None)
        for child in sorted(children.get(project.project_id, ())):
            projects[child] = (f"{project.name} - {child}", project.project_id)
    return projects


def _tasks(
    company: demo_data.DemoCompany, projects: dict[str, tuple[str, str | None]], lines: Held
) -> list[dict[str, Any]]:
    """Each project's tasks: the company's cost codes, and the tasks its lines sit under."""
    tasks: dict[tuple[str, str], tuple[str, str | None]] = {}
    for project in projects:
        for code, text in sorted(company.cost_codes.items()):
            tasks[(project, code)] = (text, None)
    for values, held in lines:
        parent = held.get("parent_task")
        if parent:
            project, task = str(values["project.id"]), str(values["task.id"])
            tasks[(project, task)] = (company.cost_codes.get(task, task), parent)
            tasks.setdefault((project, parent), (parent, None))
    return [{"key": str(n), "id": task, "name": text, "project.id": project, "parent.id": parent}
            for n, ((project, task), (text, parent)) in enumerate(tasks.items(), start=1)]  # fmt: skip


def _matches(record: dict[str, Any], filters: list[Any]) -> bool:
    for condition in filters:
        if not isinstance(condition, dict) or len(condition) != 1:
            raise _fail(400, 'The sandbox understands only filters of the form {"$eq": {...}} '
                             'and {"$in": {...}}.')  # fmt: skip
        ((operator, fields),) = condition.items()
        if operator not in ("$eq", "$in") or not isinstance(fields, dict):
            raise _fail(400, 'The sandbox understands only filters of the form {"$eq": {...}} '
                             'and {"$in": {...}}.')  # fmt: skip
        for field, value in fields.items():
            if operator == "$in" and not isinstance(value, list):
                raise _fail(400, f"$in takes a list of values for {field}.")
            wanted = value if operator == "$in" else [value]
            if record.get(field) not in wanted:
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
    key_of=key_of,
)
