"""Acumatica's contract-based REST API, the subset the connector uses (also MYOB's: see myob.py).

    POST   /entity/auth/login     {"name", "password", "company"}  -> 204 + ASP.NET_SessionId cookie
    POST   /entity/auth/logout                                     -> 204
    POST   /identity/connect/token   OAuth2 password grant (form)  -> {"access_token", ...}
    GET    /entity/Default/<version>/ProjectBudget?$filter=ProjectID eq 'P-1001'&$top=&$skip=
    PUT    /entity/Default/<version>/ProjectBudget   one value-wrapped line: insert or update
    DELETE /entity/Default/<version>/ProjectBudget/{id}            -> 204
    GET    /entity/Default/<version>/Project | CostCode | AccountGroup  ?$top=&$skip=
    GET    /entity/Default/<version>/Project?$filter=ProjectID eq 'P-1001'   that project or []

Every entity carries its `id` (a GUID) and `rowNumber`; every field is wrapped as {"value": ...}.
"""

from __future__ import annotations

import itertools
import re
import uuid
from http.cookies import SimpleCookie
from json.encoder import encode_basestring_ascii
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
    json_body,
    json_text,
    page_size,
    stable_id,
    state,
)

SESSION_COOKIE = "ASP.NET_SessionId"
ACUMATICA_VERSION = "23.200.001"
ENTITIES = f"/entity/Default/{ACUMATICA_VERSION}/"
ENDPOINT = ENTITIES + "ProjectBudget"
# The OAuth2 connected application the sandbox knows, per system: (client id, client secret).
OAUTH_CLIENTS = {"acumatica": ("acumatica-client", "acumatica-secret"),
                 "myob": ("myob-client", "myob-secret")}  # fmt: skip

# The line's identity in Acumatica, and every field the sandbox stores, in the order it answers.
KEY_FIELDS = ("ProjectID", "ProjectTaskID", "CostCode", "AccountGroup", "InventoryID")
FIELDS = (
    *KEY_FIELDS,
    "Type",
    "Description",
    "OriginalBudgetedAmount",
    "OriginalBudgetedQty",
    "UOM",
    "RevisedBudgetedAmount",
)
_FILTER = re.compile(r"^\s*ProjectID\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)


def error(status: int, message: str) -> dict[str, str]:
    return {"message": message}


def _fail(status: int, message: str) -> Stop:
    return Stop(answer(status, error(status, message)))


def erp_rows(tenant: str, project: demo_data.DemoProject) -> list[Row]:
    rows = []
    for position, line in enumerate(project.erp_lines, start=1):
        rows.append(
            Row(
                id=stable_id(tenant, project.project_id, position, line.key, line.inventory_id),
                values={
                    "ProjectID": project.project_id,
                    "ProjectTaskID": line.task,
                    "CostCode": line.cost_code,
                    "AccountGroup": line.account_group,
                    "InventoryID": line.inventory_id,
                    "Type": line.type,
                    "Description": line.description,
                    "OriginalBudgetedAmount": line.amount,
                    "OriginalBudgetedQty": line.qty,
                    "UOM": line.uom,
                    "RevisedBudgetedAmount": line.amount,
                },
            )
        )
    return rows


def entity(row: Row, row_number: int) -> dict[str, Any]:
    wrapped = {
        name: {"value": row.values[name]} for name in FIELDS if row.values.get(name) is not None
    }
    return {"id": row.id, "rowNumber": row_number, "note": None, **wrapped, "custom": {}}


# Each field's opening as the encoder writes it inside an entity: ,"Name":{"value":
_OPENINGS = tuple((name, f',{encode_basestring_ascii(name)}:{{"value":') for name in FIELDS)


def entity_json(
    row: Row, row_number: int, openings: tuple[tuple[str, str], ...] = _OPENINGS
) -> str:
    """`dumps(entity(row, row_number))`, byte for byte, written field by field: a budget page is
    thousands of entities, and building each as nested dicts for the encoder (then taking the
    marks off its amounts) cost the sandbox three times as much as writing the text directly.
    `openings` narrows it to the fields a `$select` named."""
    values = row.values
    parts = ['{"id":', json_text(row.id), ',"rowNumber":', json_text(row_number), ',"note":null']
    for name, opening in openings:
        value = values.get(name)
        if value is not None:
            parts += (opening, json_text(value), "}")
    parts.append(',"custom":{}}')
    return "".join(parts)


def page_json(rows: list[Row], selected: frozenset[str] | None = None) -> bytes:
    """The JSON array of the rows' entities, numbered from 1: `dumps([entity(...), ...])`; with
    `selected`, each entity carries only those of its fields (and, as Acumatica's do, its id,
    rowNumber, note and custom)."""
    openings = _OPENINGS if selected is None else tuple(o for o in _OPENINGS if o[0] in selected)
    entities = ",".join(
        [entity_json(row, number, openings) for number, row in enumerate(rows, start=1)]
    )
    return f"[{entities}]".encode()


def _selected() -> frozenset[str] | None:
    """The fields `$select` names (Acumatica answers only those); None: every field."""
    text = request.args.get("$select")
    if text is None:
        return None
    return frozenset(name.strip() for name in text.split(",") if name.strip())


def uniform(row: Row) -> Uniform:
    values = row.values
    return Uniform(
        sub_job=values.get("ProjectTaskID") or "",
        cost_code=values.get("CostCode") or "",
        cost_type=values.get("AccountGroup") or "",
        amount=values.get("OriginalBudgetedAmount"),
        description=values.get("Description") or "",
        kind="cost" if values.get("Type") == demo_data.EXPENSE else "revenue",
    )


def native(job: str, line: Uniform) -> Row:
    amount = line.amount
    return Row(
        id=str(uuid.uuid4()),
        values={
            "ProjectID": job,
            "ProjectTaskID": line.sub_job,
            "CostCode": line.cost_code,
            "AccountGroup": line.cost_type,
            # A second native line of one key is told apart by its inventory item, as in Acumatica.
            "InventoryID": None,
            "Type": demo_data.EXPENSE if line.kind == "cost" else demo_data.INCOME,
            "Description": line.description,
            "OriginalBudgetedAmount": amount,
            "OriginalBudgetedQty": None,
            "UOM": None,
            "RevisedBudgetedAmount": amount,
        },
    )


def job_of(row: Row) -> str:
    return str(row.values.get("ProjectID"))


def system(name: str, version: str, prefixes: tuple[str, ...]) -> System:
    """Acumatica's API as `name` serves it, under `version`, at each of `prefixes`."""

    def rows(company: demo_data.DemoCompany) -> list[Row]:
        return [row for project in company.projects for row in erp_rows(company.tenant, project)]

    return System(
        name=name,
        prefixes=prefixes,
        blueprint=lambda prefix: _blueprint(name, version, prefix),
        rows=rows,
        job_of=job_of,
        uniform=uniform,
        native=lambda job, line: _with_inventory(name, job, line),
        error=error,
    )


def _with_inventory(erp: str, job: str, line: Uniform) -> Row:
    row = native(job, line)
    with state().lock:
        rows = state().budgets
        taken = {
            r.values.get("InventoryID")
            for (system_name, _), tenant_rows in rows.items()
            if system_name == erp
            for r in tenant_rows
            if job_of(r) == job and uniform(r).key() == line.key()
        }
    if taken:  # the key already has a line: the new one needs its own inventory item
        n = 1
        while f"CO-{n:03d}" in taken:
            n += 1
        row.values["InventoryID"] = f"CO-{n:03d}"
    return row


def _blueprint(erp: str, version: str, prefix: str) -> Blueprint:
    entities = f"/entity/Default/{version}/"
    endpoint = entities + "ProjectBudget"
    blueprint = Blueprint(f"{erp}{prefix.replace('/', '_')}", __name__, url_prefix=prefix or None)

    @blueprint.post("/entity/auth/login")
    def login() -> Response:
        return _login(erp, prefix)

    @blueprint.post("/entity/auth/logout")
    def logout() -> Response:
        morsel = SimpleCookie(request.headers.get("Cookie") or "").get(SESSION_COOKIE)
        if morsel:
            with state().lock:
                state().sessions.pop(morsel.value, None)
        return answer(204)

    @blueprint.post("/identity/connect/token")
    def token() -> Response:
        return _token(erp)

    @blueprint.route("/entity/<path:rest>", methods=["GET", "PUT", "DELETE", "POST"])
    def entity_call(rest: str) -> Response:
        path = "/entity/" + rest.rstrip("/")
        if path == endpoint and request.method == "GET":
            return _list(erp, _tenant(erp))
        if path == endpoint and request.method == "PUT":
            return _put(erp, _tenant(erp), json_body())
        if path.startswith(endpoint + "/") and request.method == "DELETE":
            return _delete(erp, _tenant(erp), path.removeprefix(endpoint + "/"))
        name = path.removeprefix(entities)
        if request.method == "GET" and path.startswith(entities) and name in _CATALOG_ENTITIES:
            return _catalog(erp, _tenant(erp), name)
        raise _fail(404, f"No such resource: {request.method} {path}")

    return blueprint


def _tenant(erp: str) -> str:
    header = request.headers.get("Authorization", "")
    with state().lock:
        if header.startswith("Bearer "):
            owner = state().tokens.get(header.removeprefix("Bearer ").strip())
        else:
            morsel = SimpleCookie(request.headers.get("Cookie") or "").get(SESSION_COOKIE)
            owner = state().sessions.get(morsel.value) if morsel else None
    if owner is None or owner[0] != erp:
        raise _fail(401, "You are not logged in. Sign in at /entity/auth/login first.")
    return owner[1]


def _login(erp: str, prefix: str) -> Response:
    body = json_body()
    if not isinstance(body, dict):
        raise _fail(400, 'Send {"name", "password", "company"}.')
    if body.get("name") != demo_data.SANDBOX_USERNAME or (
        body.get("password") != demo_data.SANDBOX_PASSWORD
    ):
        raise _fail(401, "Invalid credentials. Please try again.")
    company = body.get("company")
    if not isinstance(company, str) or not state().has_tenant(erp, company):
        raise _fail(401, f"Company '{company}' is not a tenant of this instance.")
    session = uuid.uuid4().hex
    with state().lock:
        state().sessions[session] = (erp, company.lower())
        state().sign_ins[erp] = state().sign_ins.get(erp, 0) + 1
    cookie = f"{SESSION_COOKIE}={session}; path={prefix or '/'}; HttpOnly; SameSite=Lax"
    return answer(204, headers={"Set-Cookie": cookie})


def _token(erp: str) -> Response:
    form = request.form
    client = (form.get("client_id"), form.get("client_secret"))
    if form.get("grant_type") != "password":
        return answer(400, {"error": "unsupported_grant_type"})
    # OAuth2 (RFC 6749, 5.2) tells a client it does not know from a user's wrong password.
    if client != OAUTH_CLIENTS.get(erp):
        return answer(400, {"error": "invalid_client"})
    if (
        form.get("username") != demo_data.SANDBOX_USERNAME
        or form.get("password") != demo_data.SANDBOX_PASSWORD
    ):
        return answer(400, {"error": "invalid_grant"})
    # Acumatica's connected application belongs to one tenant; the sandbox's to the first one.
    tenant = next(t for (system_name, t) in state().budgets if system_name == erp)
    token = state().open_token(erp, tenant)
    return answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                        "scope": "api"})  # fmt: skip


def _project_filter() -> str | None:
    """The project id of `$filter=ProjectID eq '<id>'`, None without a filter; 400 for another."""
    if "$filter" not in request.args:
        return None
    match = _FILTER.match(request.args["$filter"])
    if match is None:
        raise _fail(400, "The sandbox understands only $filter=ProjectID eq '<id>'.")
    return match.group(1).replace("''", "'")


def _list(erp: str, tenant: str) -> Response:
    project_id = _project_filter()
    top, skip = count("$top"), count("$skip", 0) or 0
    with state().lock:
        matching = (
            row
            for row in state().tenant_rows(erp, tenant)
            if project_id is None or row.values["ProjectID"] == project_id
        )
        if top is None:
            rows = list(matching)
            page = rows[skip:][: page_size(erp, len(rows))]
        else:  # read no further than the page: a budget's later pages are many rows on
            page = list(itertools.islice(matching, skip, skip + page_size(erp, top)))
        body = page_json(page, _selected())
    return answer(200, body)


def _put(erp: str, tenant: str, body: Any) -> Response:
    if not isinstance(body, dict):
        raise _fail(400, "Send one ProjectBudget entity as a JSON object.")
    values: dict[str, Any] = {}
    for name in FIELDS:
        if name not in body:
            continue
        wrapped = body[name]
        if not isinstance(wrapped, dict) or "value" not in wrapped:
            raise _fail(400, f'{name} must be wrapped as {{"value": ...}}.')
        values[name] = wrapped["value"]
    with state().lock:
        rows = state().tenant_rows(erp, tenant)
        row = None
        if isinstance(body.get("id"), str):
            row = next((r for r in rows if r.id == body["id"]), None)
        if row is None:
            missing = [n for n in KEY_FIELDS[:4] if not isinstance(values.get(n), str)]
            if missing:
                raise _fail(400, f"A budget line needs {', '.join(missing)}.")
            values.setdefault("InventoryID", None)
            key = tuple(values.get(name) for name in KEY_FIELDS)
            row = next((r for r in rows if tuple(r.values.get(n) for n in KEY_FIELDS) == key), None)
        if row is None:
            row = Row(id=str(uuid.uuid4()), values=dict.fromkeys(FIELDS))
            row.values["Type"] = demo_data.EXPENSE
            rows.append(row)
        row.values.update(values)
        return answer(200, entity(row, 1))


def _delete(erp: str, tenant: str, row_id: str) -> Response:
    with state().lock:
        rows = state().tenant_rows(erp, tenant)
        for index, row in enumerate(rows):
            if row.id == row_id:
                del rows[index]
                return answer(204)
    raise _fail(404, f"No ProjectBudget line with id '{row_id}'.")


def _catalog(erp: str, tenant: str, name: str) -> Response:
    rows = _CATALOG_ENTITIES[name](company_of(erp, tenant))
    if name == "Project":  # the project lookup
        project_id = _project_filter()
        if project_id is not None:
            rows = [r for r in rows if r["ProjectID"] == project_id]
    elif "$filter" in request.args:
        raise _fail(400, f"The sandbox filters only ProjectBudget and Project, not {name}.")
    skip, top = count("$skip", 0) or 0, count("$top")
    page = rows[skip:][: page_size(erp, len(rows) if top is None else top)]
    body = [
        {"id": stable_id(name, number + skip), "rowNumber": number,
         **{field: {"value": value} for field, value in row.items()}}
        for number, row in enumerate(page, start=1)
    ]  # fmt: skip
    return answer(200, body)


def _projects(company: demo_data.DemoCompany) -> list[dict[str, str]]:
    return [
        {"ProjectID": p.project_id, "Description": p.name, "Status": "Active"}
        for p in company.projects
    ]


def _cost_codes(company: demo_data.DemoCompany) -> list[dict[str, str]]:
    return [
        {"CostCodeID": code, "Description": description}
        for code, description in sorted(company.cost_codes.items())
    ]


def _account_groups(company: demo_data.DemoCompany) -> list[dict[str, str]]:
    groups = [
        {"AccountGroupID": code, "Description": description, "Type": demo_data.EXPENSE}
        for code, description in sorted(company.cost_types.items())
    ]
    revenue = {"AccountGroupID": demo_data.REVENUE_ACCOUNT_GROUP, "Description": "Revenue"}
    return [*groups, {**revenue, "Type": demo_data.INCOME}]


_CATALOG_ENTITIES = {"Project": _projects, "CostCode": _cost_codes, "AccountGroup": _account_groups}

SYSTEM = system("acumatica", ACUMATICA_VERSION, ("", "/acumatica"))
