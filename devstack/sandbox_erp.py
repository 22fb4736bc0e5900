"""The sandbox ERP: an in-memory server speaking the subset of Acumatica's REST API we use.

It serves the demo data's ERP budgets (devstack/demo_data.py) so the Acumatica connector runs the
same HTTP code as against a real Acumatica, and lets a person or a test change a budget "in the
ERP". It is a development tool, never shipped to Lambda, and binds to 127.0.0.1 by default.

Acumatica's routes (PRODUCT.md §5):

    POST   /entity/auth/login     {"name", "password", "company"}  -> 204 + ASP.NET_SessionId cookie
    POST   /entity/auth/logout                                     -> 204
    GET    /entity/Default/23.200.001/ProjectBudget?$filter=ProjectID eq 'P-1001'&$top=&$skip=
    PUT    /entity/Default/23.200.001/ProjectBudget   one value-wrapped line: insert or update
    DELETE /entity/Default/23.200.001/ProjectBudget/{id}           -> 204
    GET    /entity/Default/23.200.001/Project?$top=&$skip=        the tenant's projects
    GET    /entity/Default/23.200.001/CostCode?$top=&$skip=       its cost codes
    GET    /entity/Default/23.200.001/AccountGroup?$top=&$skip=   its account groups (Expense
                                                                  ones are cost types; Income: R)

Test conveniences a real Acumatica lacks, all under /sandbox (no session needed):

    POST   /sandbox/reset                         back to the demo data; faults and sessions cleared
    POST   /sandbox/faults {"fail_next": 2, "status": 503}   the next 2 ERP calls answer 503
                           (optional "match": "ProjectBudget" to fail only paths containing it,
                           "retry_after": "5", "body": "raw text to answer instead of JSON")
    POST   /sandbox/faults {"delay_seconds": 3}   every ERP call waits 3 s first (until cleared;
                           "delay_next": n limits it to n calls)
    DELETE /sandbox/faults                        clears every fault
    POST   /sandbox/projects/{tenant}/{project_id}/generate {"lines": 10000, "seed": 1}
                           replaces that project's budget with a synthetic one (benchmarks)
    GET    /sandbox/sessions                      {"open_sessions": n}: did the client sign out?
    GET    /sandbox/health                        {"ok": true}

Python: `erp = SandboxErp(port=0).start(); erp.url; erp.stop()` (or use it as a context manager).
CLI: `python -m devstack.sandbox_erp --port 8001`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from devstack import demo_data

ENTITIES = "/entity/Default/23.200.001/"
ENDPOINT = ENTITIES + "ProjectBudget"
SESSION_COOKIE = "ASP.NET_SessionId"
MAX_BODY_BYTES = 1_000_000
_ID_NAMESPACE = uuid.UUID("6f1c1c2e-8d0a-4c55-9a43-0c5b6f0e5a11")

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


@dataclass
class Row:
    id: str
    values: dict[str, Any]  # field name -> raw JSON value (Decimal for numbers with a fraction)

    def key(self) -> tuple[Any, ...]:
        return tuple(self.values.get(name) for name in KEY_FIELDS)


@dataclass
class Fault:
    fail_next: int = 0
    status: int = 503
    match: str = ""
    retry_after: str | None = None
    body: str | None = None
    delay_seconds: float = 0.0
    delay_next: int | None = None  # None: every call until cleared


@dataclass
class State:
    """Everything the sandbox holds; every access goes through `lock`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tenants: dict[str, list[Row]] = field(default_factory=dict)  # lower-case tenant -> rows
    sessions: dict[str, str] = field(default_factory=dict)  # session id -> lower-case tenant
    fault: Fault = field(default_factory=Fault)

    def reset(self) -> None:
        with self.lock:
            self.tenants = {
                company.tenant.lower(): [
                    row for project in company.projects for row in erp_rows(company.tenant, project)
                ]
                for company in demo_data.companies()
            }
            self.sessions.clear()
            self.fault = Fault()


def erp_rows(tenant: str, project: demo_data.DemoProject) -> list[Row]:
    rows = []
    for position, line in enumerate(project.erp_lines, start=1):
        # Stable ids: the same demo line has the same id on every run and after every reset.
        name = f"{tenant}/{project.project_id}/{position}/{line.key}/{line.inventory_id}"
        rows.append(
            Row(
                id=str(uuid.uuid5(_ID_NAMESPACE, name)),
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


def dumps(value: Any) -> str:
    """JSON with Decimals written as numbers digit for digit (json.dumps would refuse them)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def entity(row: Row, row_number: int) -> dict[str, Any]:
    wrapped = {
        name: {"value": row.values[name]} for name in FIELDS if row.values.get(name) is not None
    }
    return {"id": row.id, "rowNumber": row_number, "note": None, **wrapped, "custom": {}}


class _Answer(Exception):
    """Ends a request with an HTTP answer; raised from deep inside a handler."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _error(status: int, message: str) -> _Answer:
    return _Answer(status, {"message": message})


class Handler(BaseHTTPRequestHandler):
    server_version = "SandboxERP/1.0"
    state: State  # set on the subclass made per server
    quiet: bool = True

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's signature
        if not self.quiet:
            super().log_message(format, *args)

    # -- plumbing ------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path).rstrip("/") or "/"
        try:
            body = self._read_body()
            if path.startswith("/sandbox/"):
                answer = self._sandbox(method, path, body)
            else:
                self._apply_faults(path)
                answer = self._erp(method, path, parse_qs(parts.query), body)
        except _Answer as stop:
            answer = stop
        except Exception as error:  # noqa: BLE001 - a sandbox bug answers 500, as a real ERP would
            answer = _error(500, f"Sandbox error: {type(error).__name__}: {error}")
        self._send(answer)

    def _send(self, answer: _Answer) -> None:
        if isinstance(answer.body, bytes):
            payload = answer.body
        else:
            payload = b"" if answer.body is None else dumps(answer.body).encode()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise _error(413, "The request body is too large.")
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return None
        try:
            return json.loads(raw, parse_float=Decimal)
        except ValueError:
            raise _error(400, "The request body is not valid JSON.") from None

    def _apply_faults(self, path: str) -> None:
        with self.state.lock:
            fault = self.state.fault
            delay = fault.delay_seconds
            if delay and fault.delay_next is not None:
                fault.delay_next -= 1
                if fault.delay_next <= 0:
                    fault.delay_seconds, fault.delay_next = 0.0, None
            failing = fault.fail_next > 0 and fault.match in path
            if failing:
                fault.fail_next -= 1
                status, retry_after, body = fault.status, fault.retry_after, fault.body
        if delay:
            time.sleep(delay)
        if failing:
            headers = {"Retry-After": retry_after} if retry_after else {}
            if body is not None:
                raise _Answer(status, body.encode(), headers)
            phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            raise _Answer(
                status, {"message": f"Simulated fault: {status} {phrase}".strip()}, headers
            )

    def _tenant(self) -> str:
        cookies = SimpleCookie(self.headers.get("Cookie") or "")
        morsel = cookies.get(SESSION_COOKIE)
        with self.state.lock:
            tenant = self.state.sessions.get(morsel.value) if morsel else None
        if tenant is None:
            raise _error(401, "You are not logged in. Sign in at /entity/auth/login first.")
        return tenant

    # -- Acumatica -----------------------------------------------------------------------------

    def _erp(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> _Answer:
        if path == "/entity/auth/login" and method == "POST":
            return self._login(body)
        if path == "/entity/auth/logout" and method == "POST":
            cookies = SimpleCookie(self.headers.get("Cookie") or "")
            morsel = cookies.get(SESSION_COOKIE)
            if morsel:
                with self.state.lock:
                    self.state.sessions.pop(morsel.value, None)
            return _Answer(204)
        if path == ENDPOINT and method == "GET":
            return self._list(self._tenant(), query)
        if path == ENDPOINT and method == "PUT":
            return self._put(self._tenant(), body)
        if path.startswith(ENDPOINT + "/") and method == "DELETE":
            return self._delete(self._tenant(), path.removeprefix(ENDPOINT + "/"))
        entity_name = path.removeprefix(ENTITIES)
        if method == "GET" and path.startswith(ENTITIES) and entity_name in _CATALOG_ENTITIES:
            rows = _CATALOG_ENTITIES[entity_name](demo_data.company_for_tenant(self._tenant()))
            skip = _count(query, "$skip") or 0
            top = _count(query, "$top")
            page = rows[skip:] if top is None else rows[skip : skip + top]
            answer = [
                {"id": str(uuid.uuid5(_ID_NAMESPACE, f"{entity_name}/{number + skip}")),
                 "rowNumber": number,
                 **{name: {"value": value} for name, value in row.items()}}
                for number, row in enumerate(page, start=1)
            ]  # fmt: skip
            return _Answer(200, answer)
        raise _error(404, f"No such resource: {method} {path}")

    def _login(self, body: Any) -> _Answer:
        if not isinstance(body, dict):
            raise _error(400, 'Send {"name", "password", "company"}.')
        name, password = body.get("name"), body.get("password")
        company = body.get("company")
        if name != demo_data.SANDBOX_USERNAME or password != demo_data.SANDBOX_PASSWORD:
            raise _error(401, "Invalid credentials. Please try again.")
        tenant = company.lower() if isinstance(company, str) else ""
        with self.state.lock:
            known = tenant in self.state.tenants
            if known:
                session = uuid.uuid4().hex
                self.state.sessions[session] = tenant
        if not known:
            raise _error(401, f"Company '{company}' is not a tenant of this instance.")
        cookie = f"{SESSION_COOKIE}={session}; path=/; HttpOnly; SameSite=Lax"
        return _Answer(204, headers={"Set-Cookie": cookie})

    def _list(self, tenant: str, query: dict[str, list[str]]) -> _Answer:
        project_id = None
        if "$filter" in query:
            match = _FILTER.match(query["$filter"][0])
            if match is None:
                raise _error(400, "The sandbox understands only $filter=ProjectID eq '<id>'.")
            project_id = match.group(1).replace("''", "'")
        top = _count(query, "$top")
        skip = _count(query, "$skip") or 0
        with self.state.lock:
            rows = [
                row
                for row in self.state.tenants[tenant]
                if project_id is None or row.values["ProjectID"] == project_id
            ]
            page = rows[skip:] if top is None else rows[skip : skip + top]
            answer = [entity(row, number) for number, row in enumerate(page, start=1)]
        return _Answer(200, answer)

    def _put(self, tenant: str, body: Any) -> _Answer:
        if not isinstance(body, dict):
            raise _error(400, "Send one ProjectBudget entity as a JSON object.")
        values: dict[str, Any] = {}
        for name in FIELDS:
            if name not in body:
                continue
            wrapped = body[name]
            if not isinstance(wrapped, dict) or "value" not in wrapped:
                raise _error(400, f'{name} must be wrapped as {{"value": ...}}.')
            values[name] = wrapped["value"]
        with self.state.lock:
            rows = self.state.tenants[tenant]
            row = None
            if isinstance(body.get("id"), str):
                row = next((r for r in rows if r.id == body["id"]), None)
            if row is None:
                missing = [n for n in KEY_FIELDS[:4] if not isinstance(values.get(n), str)]
                if missing:
                    raise _error(400, f"A budget line needs {', '.join(missing)}.")
                values.setdefault("InventoryID", None)
                key = tuple(values.get(name) for name in KEY_FIELDS)
                row = next((r for r in rows if r.key() == key), None)
            if row is None:
                row = Row(id=str(uuid.uuid4()), values=dict.fromkeys(FIELDS))
                row.values["Type"] = demo_data.EXPENSE
                rows.append(row)
            row.values.update(values)
            answer = entity(row, 1)
        return _Answer(200, answer)

    def _delete(self, tenant: str, row_id: str) -> _Answer:
        with self.state.lock:
            rows = self.state.tenants[tenant]
            for index, row in enumerate(rows):
                if row.id == row_id:
                    del rows[index]
                    return _Answer(204)
        raise _error(404, f"No ProjectBudget line with id '{row_id}'.")

    # -- test conveniences ---------------------------------------------------------------------

    def _sandbox(self, method: str, path: str, body: Any) -> _Answer:
        body = body if isinstance(body, dict) else {}
        if path == "/sandbox/health" and method == "GET":
            return _Answer(200, {"ok": True})
        if path == "/sandbox/reset" and method == "POST":
            self.state.reset()
            return _Answer(200, {"reset": True})
        if path == "/sandbox/sessions" and method == "GET":
            with self.state.lock:
                return _Answer(200, {"open_sessions": len(self.state.sessions)})
        if path == "/sandbox/faults" and method == "DELETE":
            with self.state.lock:
                self.state.fault = Fault()
            return _Answer(204)
        if path == "/sandbox/faults" and method == "POST":
            return self._set_fault(body)
        generate = re.fullmatch(r"/sandbox/projects/([^/]+)/([^/]+)/generate", path)
        if generate and method == "POST":
            return self._generate(generate.group(1), generate.group(2), body)
        raise _error(404, f"No such sandbox resource: {method} {path}")

    def _set_fault(self, body: dict[str, Any]) -> _Answer:
        try:
            fault = Fault(
                fail_next=int(body.get("fail_next", 0)),
                status=int(body.get("status", 503)),
                match=str(body.get("match", "")),
                retry_after=None if body.get("retry_after") is None else str(body["retry_after"]),
                body=None if body.get("body") is None else str(body["body"]),
                delay_seconds=float(body.get("delay_seconds", 0)),
                delay_next=None if body.get("delay_next") is None else int(body["delay_next"]),
            )
        except (TypeError, ValueError):
            raise _error(400, "Fault fields: fail_next, status, match, retry_after, body, "
                              "delay_seconds, delay_next.") from None  # fmt: skip
        if not 100 <= fault.status <= 599:
            raise _error(400, "status must be an HTTP status code.")
        with self.state.lock:
            self.state.fault = fault
        return _Answer(200, {"fault": vars(fault)})

    def _generate(self, tenant: str, project_id: str, body: dict[str, Any]) -> _Answer:
        try:
            count, seed = int(body.get("lines", 1000)), int(body.get("seed", 1))
        except (TypeError, ValueError):
            raise _error(400, 'Send {"lines": <count>, "seed": <integer>}.') from None
        if not 0 <= count <= 200_000:
            raise _error(400, "lines must be between 0 and 200,000.")
        try:
            company = demo_data.company_for_tenant(tenant)
        except KeyError:
            raise _error(404, f"No tenant '{tenant}'.") from None
        project = demo_data.large_project(project_id, count, seed, company.company_id)
        new_rows = erp_rows(company.tenant, project)
        with self.state.lock:
            rows = self.state.tenants[company.tenant.lower()]
            rows[:] = [r for r in rows if r.values["ProjectID"] != project_id] + new_rows
        return _Answer(200, {"tenant": company.tenant, "project_id": project_id, "lines": count})


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


def _count(query: dict[str, list[str]], name: str) -> int | None:
    if name not in query:
        return None
    try:
        value = int(query[name][0])
    except ValueError:
        raise _error(400, f"{name} must be a whole number.") from None
    if value < 0:
        raise _error(400, f"{name} must not be negative.")
    return value


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) is expected here; anything else is worth a trace.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SandboxErp:
    """The sandbox in a background thread; `start()` returns self, `url` is where it listens."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> None:
        self.state = State()
        self.state.reset()
        handler = type("BoundHandler", (Handler,), {"state": self.state, "quiet": quiet})
        self._server = _Server((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxErp:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-erp", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> SandboxErp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The sandbox ERP (an Acumatica REST subset).")
    parser.add_argument("--host", default="127.0.0.1")
    default_port = int(os.environ.get("ERP_SANDBOX_PORT", demo_data.SANDBOX_PORT))
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    sandbox = SandboxErp(args.host, args.port, quiet=not args.verbose)
    tenants = ", ".join(c.tenant for c in demo_data.companies())
    print(
        f"Sandbox ERP at {sandbox.url} (sign in as {demo_data.SANDBOX_USERNAME} / "
        f"{demo_data.SANDBOX_PASSWORD}, company {tenants}). Ctrl-C stops it.",
        flush=True,
    )
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox._server.server_close()


if __name__ == "__main__":
    main()
