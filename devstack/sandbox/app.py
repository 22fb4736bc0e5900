"""The sandbox ERP's Flask app and server: each system's blueprint under its prefixes, plus /sandbox.

It serves the demo data's ERP budgets (devstack/demo_data.py: every company whose `erp_system`
has a module here becomes a tenant of that system), so each connector runs the same HTTP code as
against the real ERP. A development tool, never shipped to Lambda, bound to 127.0.0.1 by default.

Adding a system: one module defining `SYSTEM` (see core.System) and one line in `SYSTEMS`.

Python: `erp = SandboxErp(port=0).start(); erp.url; erp.stop()` (or use it as a context manager).
CLI: `python -m devstack.sandbox_erp --port 8001`. The local stack runs it in a process of its own:
`SandboxErpProcess(host, port).start()` (devstack/child.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from http import HTTPStatus

from flask import Flask, Response, request
from werkzeug.serving import make_server

from devstack import demo_data
from devstack.child import ChildServer, run_child
from devstack.sandbox import (
    acumatica,
    cmic,
    intacct,
    mri,
    myob,
    netsuite,
    procore,
    qbo,
    switch,
    workday,
    xero,
    yardi,
)
from devstack.sandbox.core import Invalid, State, Stop, System, answer, state

SYSTEMS: tuple[System, ...] = (
    acumatica.SYSTEM,
    myob.SYSTEM,
    intacct.SYSTEM,
    cmic.SYSTEM,
    qbo.SYSTEM,
    xero.SYSTEM,
    netsuite.SYSTEM,
    workday.SYSTEM,
    yardi.SYSTEM,
    mri.SYSTEM,
)


def create_app(
    sandbox_state: State | None = None, procore_state: procore.State | None = None
) -> Flask:
    app = Flask("sandbox_erp")
    app.config["SANDBOX_STATE"] = sandbox_state or new_state()
    app.register_blueprint(switch.blueprint)
    # Procore is a budget target, not an ERP: its own blueprint and state, under /procore.
    procore.install(app, procore_state)
    # Longest prefix first, so "/myob/..." is never taken for Acumatica at the root.
    for system in SYSTEMS:
        for prefix in system.prefixes:
            if prefix:
                app.register_blueprint(system.blueprint(prefix))
    for system in SYSTEMS:
        if "" in system.prefixes:
            app.register_blueprint(system.blueprint(""))
    app.before_request(_apply_faults)
    app.register_error_handler(Stop, lambda stop: stop.response)
    app.register_error_handler(Invalid, lambda bad: _error_answer(bad.status, bad.message))
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_found)
    app.register_error_handler(Exception, _crash)
    return app


def new_state() -> State:
    fresh = State(systems={system.name: system for system in SYSTEMS})
    fresh.reset()
    return fresh


def _system_for(path: str) -> System:
    first = "/" + path.lstrip("/").split("/", 1)[0]
    for system in SYSTEMS:
        if first in system.prefixes:
            return system
    return next(system for system in SYSTEMS if "" in system.prefixes)


def _error_answer(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return answer(status, _system_for(request.path).error(status, message), headers)


def _apply_faults() -> Response | None:
    # Procore keeps its own switches (devstack/sandbox/procore.py): an ERP's fault never reaches it.
    if request.path.startswith(("/sandbox/", f"/{procore.PREFIX}/")):
        return None
    system = _system_for(request.path)
    sandbox = state()
    with sandbox.lock:
        fault = sandbox.fault
        applies = fault.prefix in ("", system.name)
        delay = fault.delay_seconds if applies else 0.0
        if delay and fault.delay_next is not None:
            fault.delay_next -= 1
            if fault.delay_next <= 0:
                fault.delay_seconds, fault.delay_next = 0.0, None
        failing = applies and fault.fail_next > 0 and fault.match in request.path
        if failing:
            fault.fail_next -= 1
        status, retry_after, body = fault.status, fault.retry_after, fault.body
    if delay:
        time.sleep(delay)
    if not failing:
        return None
    headers = {"Retry-After": retry_after} if retry_after else {}
    if body is not None:
        return answer(status, body.encode(), headers)
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    return _error_answer(status, f"Simulated fault: {status} {phrase}".strip(), headers)


def _not_found(error: Exception) -> Response:
    return _error_answer(404, f"No such resource: {request.method} {request.path}")


def _crash(error: Exception) -> Response:
    # A sandbox bug answers 500 in the ERP's own form, as a real ERP would.
    return _error_answer(500, f"Sandbox error: {type(error).__name__}: {error}")


class SandboxErp:
    """The sandbox in a background thread; `start()` returns self, `url` is where it listens."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> None:
        self.state = new_state()
        self.procore = procore.State()
        self.app = create_app(self.state, self.procore)
        if quiet:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server(host, port, self.app, threaded=True)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self._server.host, self._server.port

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

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


class SandboxErpProcess(ChildServer):
    """The sandbox in a process of its own, as the local stack runs it (devstack/child.py)."""

    module = "devstack.sandbox_erp"
    what = "sandbox ERP"


def _serve_in_background(host: str, port: int) -> tuple[str, int]:
    return SandboxErp(host, port).start().address


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    if "--parent-pid" in arguments:  # started by the local stack: SandboxErpProcess
        sys.exit(run_child(SandboxErpProcess.what, _serve_in_background, arguments))
    parser = argparse.ArgumentParser(description="The sandbox ERP: every ERP under its prefix.")
    parser.add_argument("--host", default="127.0.0.1")
    default_port = int(os.environ.get("ERP_SANDBOX_PORT", demo_data.SANDBOX_PORT))
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    sandbox = SandboxErp(args.host, args.port, quiet=not args.verbose)
    tenants = ", ".join(f"{c.erp_system}: {c.tenant}" for c in demo_data.companies())
    print(f"Sandbox ERP at {sandbox.url} (tenants {tenants}). Ctrl-C stops it.", flush=True)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
