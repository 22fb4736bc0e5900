"""Routes every system shares, under /sandbox (no sign-in): conveniences a real ERP lacks.

    GET    /sandbox/health                        {"ok": true}
    POST   /sandbox/reset                         back to the demo data; faults, sessions cleared
    POST   /sandbox/faults {"fail_next": 2, "status": 503}   the next 2 ERP calls answer 503 in
                           the ERP's own error form ("prefix": "intacct" limits it to one system;
                           "match": "ProjectBudget" to paths containing it; "retry_after": "5";
                           "body": raw text to answer instead)
    POST   /sandbox/faults {"delay_seconds": 3}   every ERP call waits 3 s first ("delay_next": n)
    POST   /sandbox/faults {"max_page": 3}        until cleared, every page answers at most 3 rows
                           whatever the call asked for (a server capping its page size)
    DELETE /sandbox/faults                        clears every fault
    POST   /sandbox/tokens/expire {"prefix"?}     every access token and session ends (as on expiry)
    GET    /sandbox/sessions                      {"open_sessions": n, "sign_ins": {erp: n}}: did
                                                  the client sign out? how often did it sign in?
    POST   /sandbox/projects/{tenant}/{project_id}/generate {"lines", "seed", "erp"?}
                           replaces that project's budget with a synthetic one (benchmarks)
    PUT    /sandbox/intacct/sub-job-from {"sub_job_from": "none"|"child_project"|"task"}
                           how the Sage Intacct company keeps the sub jobs of lines given from
                           now on (devstack/sandbox/intacct.py); a reset goes back to "none"

The uniform budget switch, the same for every ERP ({erp} is the connector's name):

    GET    /sandbox/budgets/{erp}/{tenant}/{job}         {lines: [{sub_job, cost_code, cost_type,
                                                          amount, description, kind}]}
    PUT    /sandbox/budgets/{erp}/{tenant}/{job}/lines   one line: replaces that key and kind
    POST   /sandbox/budgets/{erp}/{tenant}/{job}/lines   one more native line for the key
    DELETE /sandbox/budgets/{erp}/{tenant}/{job}/lines?sub_job=&cost_code=&cost_type=

A request's key is first taken as the system keeps it (`System.key_of`): CMiC's `sub_job` ""
is the controlling job itself, a key part the ERP cannot hold (a sub job where it has none) is
refused with 400 and a sentence, and a revenue line's cost type in Sage Intacct and Xero is
dropped. Stored lines are matched on the key the GET reports, so PUT replaces and DELETE removes
exactly what PUT and POST stored. DELETE names a key, not a kind: it removes the lines of both
kinds the GET reports under that key, so a cost key there leaves its cost code's revenue lines
(read without a cost type) alone.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, current_app, request

from devstack import demo_data
from devstack.sandbox import intacct, procore
from devstack.sandbox.core import Fault, Row, Stop, System, Uniform, answer, json_body, state

blueprint = Blueprint("sandbox", __name__, url_prefix="/sandbox")


def _fail(status: int, message: str) -> Stop:
    return Stop(answer(status, {"message": message}))


@blueprint.get("/health")
def health() -> Response:
    return answer(200, {"ok": True})


def _procore() -> procore.State | None:
    held = current_app.extensions.get("procore_sandbox")
    return held if isinstance(held, procore.State) else None


@blueprint.post("/reset")
def reset() -> Response:
    state().reset()
    if _procore() is not None:
        _procore().reset()  # type: ignore[union-attr]
    return answer(200, {"reset": True})


@blueprint.get("/sessions")
def sessions() -> Response:
    with state().lock:
        return answer(
            200, {"open_sessions": len(state().sessions), "sign_ins": dict(state().sign_ins)}
        )


@blueprint.delete("/faults")
def clear_faults() -> Response:
    with state().lock:
        state().fault = Fault()
    held = _procore()
    if held is not None:
        with held.lock:
            held.faults = procore.Faults()
    return answer(204)


@blueprint.post("/faults")
def set_fault() -> Response:
    body = json_body()
    body = body if isinstance(body, dict) else {}
    held = _procore()
    if str(body.get("prefix", "")).strip("/") == procore.PREFIX and held is not None:
        return procore.set_fault(held, body)  # fail_sync_batch, fail_next, status, retry_after
    try:
        fault = Fault(
            fail_next=int(body.get("fail_next", 0)),
            status=int(body.get("status", 503)),
            match=str(body.get("match", "")),
            prefix=str(body.get("prefix", "")).strip("/"),
            retry_after=None if body.get("retry_after") is None else str(body["retry_after"]),
            body=None if body.get("body") is None else str(body["body"]),
            delay_seconds=float(body.get("delay_seconds", 0)),
            delay_next=None if body.get("delay_next") is None else int(body["delay_next"]),
            max_page=None if body.get("max_page") is None else int(body["max_page"]),
        )
    except (TypeError, ValueError):
        raise _fail(400, "Fault fields: fail_next, status, match, prefix, retry_after, body, "
                         "delay_seconds, delay_next, max_page.") from None  # fmt: skip
    if not 100 <= fault.status <= 599:
        raise _fail(400, "status must be an HTTP status code.")
    if fault.max_page is not None and fault.max_page < 1:
        raise _fail(400, "max_page must be 1 or more.")
    if fault.prefix and fault.prefix not in state().systems:
        raise _fail(400, f"No system '{fault.prefix}': one of {', '.join(state().systems)}.")
    with state().lock:
        state().fault = fault
    return answer(200, {"fault": vars(fault)})


@blueprint.post("/tokens/expire")
def expire_tokens() -> Response:
    body = json_body()
    prefix = str((body or {}).get("prefix", "")).strip("/") if isinstance(body, dict) else ""
    with state().lock:
        for store in (state().tokens, state().sessions):
            for token, (erp, _) in list(store.items()):
                if not prefix or erp == prefix:
                    del store[token]
    return answer(200, {"expired": True})


@blueprint.post("/projects/<tenant>/<project_id>/generate")
def generate(tenant: str, project_id: str) -> Response:
    body = json_body()
    body = body if isinstance(body, dict) else {}
    try:
        lines, seed = int(body.get("lines", 1000)), int(body.get("seed", 1))
    except (TypeError, ValueError):
        raise _fail(400, 'Send {"lines": <count>, "seed": <integer>}.') from None
    if not 0 <= lines <= 200_000:
        raise _fail(400, "lines must be between 0 and 200,000.")
    system, company = _system_and_company(str(body.get("erp", "acumatica")), tenant)
    project = demo_data.large_project(project_id, lines, seed, company.company_id)
    new_rows = system.rows(dataclasses.replace(company, projects=[project]))
    with state().lock:
        rows = state().tenant_rows(system.name, company.tenant)
        rows[:] = [r for r in rows if system.job_of(r) != project_id] + new_rows
    return answer(200, {"tenant": company.tenant, "project_id": project_id, "lines": lines})


@blueprint.put("/intacct/sub-job-from")
def intacct_sub_job_from() -> Response:
    return intacct.set_sub_job_from(json_body())


# -- the uniform budget switch -------------------------------------------------------------------


@blueprint.get("/budgets/<erp>/<tenant>/<job>")
def budget(erp: str, tenant: str, job: str) -> Response:
    system, company = _system_and_company(erp, tenant)
    with state().lock:
        rows = state().tenant_rows(system.name, company.tenant)
        lines = [system.uniform(row).as_json() for row in rows if system.job_of(row) == job]
    return answer(200, {"lines": lines})


@blueprint.route("/budgets/<erp>/<tenant>/<job>/lines", methods=["PUT", "POST", "DELETE"])
def lines(erp: str, tenant: str, job: str) -> Response:
    system, company = _system_and_company(erp, tenant)
    if request.method == "DELETE":
        key = tuple(request.args.get(name, "") for name in ("sub_job", "cost_code", "cost_type"))
        with state().lock:
            wanted = _kept_keys(system, job, key)
            rows = state().tenant_rows(system.name, company.tenant)
            rows[:] = [r for r in rows if not _is(system, r, job, wanted)]
        return answer(204)  # idempotent: a key with no lines left is what was asked for
    given = _line(json_body())
    with state().lock:
        line = system.key_of(job, given)  # as the system keeps it: the key its lines read back
        rows = state().tenant_rows(system.name, company.tenant)
        if request.method == "POST":
            rows.append(_native(system, job, line))
        else:  # PUT: the new line takes the place of the first one it replaces
            wanted = {(line.kind, line.key())}
            replaced = {i for i, r in enumerate(rows) if _is(system, r, job, wanted)}
            before = list(rows)
            rows[:] = [r for i, r in enumerate(rows) if i not in replaced]
            try:  # made once the replaced lines are gone: a second line of a key differs
                new = _native(system, job, line)
            except Stop:
                rows[:] = before  # a refused line replaces nothing
                raise
            at = min(replaced) if replaced else len(rows)
            rows.insert(min(at, len(rows)), new)
    return budget(erp, tenant, job)


Kept = set[tuple[str, tuple[str, ...]]]  # (kind, key) as the system reads its lines back


def _kept_keys(system: System, job: str, key: tuple[str, ...]) -> Kept:
    """DELETE's key as the system keeps a line of each kind under it; refused only when the
    system can keep it under neither (a key part no line of it can hold).

    A kind whose lines the system keeps without the cost type asked for (a revenue line in Sage
    Intacct and Xero) has no line of that key: DELETE `(…, "100", "L")` removes the cost lines of
    that key only, and the cost code's revenue lines, read as `(…, "100", "")`, go with a DELETE
    of that key, as the GET reports it."""
    wanted: Kept = set()
    refusal = None
    for kind in ("cost", "revenue"):
        try:
            kept = system.key_of(job, Uniform(*key, amount=Decimal(0), kind=kind))
        except Stop as stop:
            refusal = refusal or stop
            continue
        if kept.cost_type != key[2]:
            continue
        wanted.add((kind, kept.key()))
    if not wanted and refusal is not None:
        raise refusal
    return wanted


def _native(system: System, job: str, line: Uniform) -> Row:
    """The new native line, checked to read back under the key `key_of` gave: a system whose
    native form drops or changes a key part would leave lines no PUT or DELETE finds."""
    row = system.native(job, line)
    back = system.uniform(row)
    if system.job_of(row) != job or (back.kind, back.key()) != (line.kind, line.key()):
        raise _fail(500, f"The {system.name} sandbox would read the line {line.key()} "
                         f"({line.kind}) back as {back.key()} ({back.kind}) of job "
                         f"'{system.job_of(row)}': its key_of and native disagree.")  # fmt: skip
    return row


def _is(system: System, row: Row, job: str, wanted: Kept) -> bool:
    if system.job_of(row) != job:
        return False
    mapped = system.uniform(row)
    return (mapped.kind, mapped.key()) in wanted


def _line(body: Any) -> Uniform:
    if not isinstance(body, dict):
        raise _fail(400, "Send {sub_job, cost_code, cost_type, amount, description?, kind?}.")
    texts = {}
    for name in ("sub_job", "cost_code", "cost_type", "description"):
        value = body.get(name, "")
        if not isinstance(value, str):
            raise _fail(400, f"{name} must be text.")
        texts[name] = value
    if not texts["cost_code"] or (not texts["cost_type"] and body.get("kind") != "revenue"):
        raise _fail(400, "A line needs a cost_code and a cost_type.")
    try:
        amount = Decimal(str(body.get("amount")))
    except InvalidOperation:
        raise _fail(400, 'amount must be a decimal string, e.g. "1250.00".') from None
    if not amount.is_finite():
        raise _fail(400, 'amount must be a decimal string, e.g. "1250.00".')
    kind = body.get("kind", "cost")
    if kind not in ("cost", "revenue"):
        raise _fail(400, 'kind must be "cost" or "revenue".')
    return Uniform(texts["sub_job"], texts["cost_code"], texts["cost_type"], amount,
                   texts["description"], kind)  # fmt: skip


def _system_and_company(erp: str, tenant: str) -> tuple[System, demo_data.DemoCompany]:
    system = state().systems.get(erp)
    if system is None:
        raise _fail(404, f"No ERP '{erp}' in the sandbox: one of {', '.join(state().systems)}.")
    for company in demo_data.companies():
        same = company.erp_system == system.name and company.tenant.lower() == tenant.lower()
        if same and state().has_tenant(system.name, company.tenant):
            return system, company
    raise _fail(404, f"No tenant '{tenant}' of {erp} in the sandbox.")
