"""The local stack (`make run`, docs/local-stack.md): the whole product on 127.0.0.1.

It starts moto in server mode (the embedded AWS) and the sandbox ERP, each in a process of its own
(devstack/child.py), provisions what the infra defines, seeds the demo data, then serves the
Chalice app's API (and the built web app) with Chalice's local server, feeds the worker and the
dead-letter handler genuine Lambda SQS events from local pollers, and fires the schedule from a
local timer. The handlers are the app's own, called as Lambda calls them. Ctrl-C (or SIGTERM)
stops everything and exits 0.

    python -m devstack.stack    # PORT=8000 AWS_PORT=5000 ERP_SANDBOX_PORT=8001 (0: any free port),
                                # SCHEDULE_INTERVAL_SECONDS=60, FRONTEND_DIST=frontend/dist,
                                # POWERTOOLS_METRICS_DISABLED=false to see the metrics (EMF)

From Python: `with LocalStack(port=0, aws_port=0, erp_port=0) as stack: stack.api_url`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FUNCTIONS = REPO / "functions"  # the Chalice project
HOST = "127.0.0.1"
STAGE = "dev"
REGION = "us-east-1"

log = logging.getLogger("devstack")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


class LocalStack:
    """Every part of the local stack; `start()` brings it up, `stop()` takes it all down."""

    def __init__(
        self,
        port: int | None = None,
        aws_port: int | None = None,
        erp_port: int | None = None,
        *,
        schedule_interval: float | None = None,
        frontend_dist: Path | None = None,
    ) -> None:
        self.port = _env_int("PORT", 8000) if port is None else port
        self.aws_port = _env_int("AWS_PORT", 5000) if aws_port is None else aws_port
        self.erp_port = _env_int("ERP_SANDBOX_PORT", 8001) if erp_port is None else erp_port
        self.schedule_interval = (
            _env_float("SCHEDULE_INTERVAL_SECONDS", 60.0)
            if schedule_interval is None
            else schedule_interval
        )
        dist = os.environ.get("FRONTEND_DIST")
        self.frontend_dist = frontend_dist or (Path(dist) if dist else REPO / "frontend" / "dist")
        self.web_url = self.aws_url = self.erp_url = ""
        self.provisioned: Any = None
        self.seeded: list[Any] = []
        self.serves_web_app = False
        self._stoppers: list[tuple[str, Any]] = []  # (what, stop function), stopped in reverse
        self._saved_env: dict[str, str | None] = {}

    @property
    def api_url(self) -> str:
        return f"{self.web_url}/api/v1"

    # --- start ------------------------------------------------------------------------------

    def start(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        if str(FUNCTIONS) not in sys.path:
            sys.path.insert(0, str(FUNCTIONS))
        _quiet_libraries()
        # moto binds inside its thread and would wait forever on a busy port: check them first.
        for name, port in (("PORT", self.port), ("AWS_PORT", self.aws_port),
                           ("ERP_SANDBOX_PORT", self.erp_port)):  # fmt: skip
            _check_free(name, port)

        from devstack.emulator import EmbeddedAws

        aws = EmbeddedAws(HOST, self.aws_port).start()  # its own process: devstack/emulator.py
        self._stoppers.append(("embedded AWS", aws.stop))
        self.aws_url = aws.url
        self._set_env(self._aws_environment())
        self._quiet_metrics()

        import boto3

        from chalicelib import observability, resources, wiring
        from devstack.provision import function_arn, provision
        from devstack.sandbox_erp import SandboxErpProcess
        from devstack.seed import seed

        session = boto3.session.Session(region_name=REGION)
        self.provisioned = provision(session)
        self._set_env(self.provisioned.environment())

        erp = SandboxErpProcess(HOST, self.erp_port).start()  # its own process, as moto
        self._stoppers.append(("sandbox ERP", erp.stop))
        self.erp_url = erp.url

        self.seeded = seed(session, self.provisioned.user_pool_id, self.erp_url)
        wiring.reset()  # the app builds its adapters afresh, on the provisioned account
        observability.reset()  # and its logger, for functions that share this process

        config, app_module = _load_app()
        account, region = self.provisioned.account_id, self.provisioned.region

        def function(name: str) -> Any:
            from devstack.lambda_runtime import FunctionConfig
            from devstack.provision import function_name

            scoped = config.scope(STAGE, name)
            return FunctionConfig(
                name=function_name(name),
                arn=function_arn(name, region, account),
                memory_mb=scoped.lambda_memory_size,
                timeout_seconds=scoped.lambda_timeout,
            )

        from devstack.poller import QueuePoller
        from devstack.timer import ScheduleTimer
        from devstack.web import WebServer

        sqs = session.client("sqs")
        queue = resources.JOB_QUEUE
        for queue_url, queue_arn, name in (
            (
                self.provisioned.job_queue_url,
                self.provisioned.job_queue_arn,
                resources.WORKER_FUNCTION,
            ),
            (
                self.provisioned.job_dlq_url,
                self.provisioned.job_dlq_arn,
                resources.DEAD_LETTER_FUNCTION,
            ),
        ):
            poller = QueuePoller(
                sqs,
                queue_url,
                queue_arn,
                _handler(app_module, name),
                function(name),
                region=region,
                batch_size=queue.batch_size,
            ).start()
            self._stoppers.append((f"{name} poller", poller.stop))

        timer = ScheduleTimer(
            _handler(app_module, resources.SCHEDULE_FUNCTION),
            function(resources.SCHEDULE_FUNCTION),
            rule_arn=self.provisioned.schedule_rule_arn,
            account_id=account,
            region=region,
            interval=self.schedule_interval,
        ).start()
        self._stoppers.append(("schedule timer", timer.stop))

        web = WebServer(config.chalice_app, config, HOST, self.port, self.frontend_dist).start()
        self._stoppers.append(("web server", web.stop))
        self.web_url = web.url
        self.serves_web_app = web.frontend_dist is not None

    def _aws_environment(self) -> dict[str, str]:
        """Every AWS call of this process goes to moto, with fake credentials, never to AWS."""
        return {
            "AWS_ENDPOINT_URL": self.aws_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            # As `chalice local` does: the app can tell it is not in Lambda (Tracer stays off).
            "AWS_CHALICE_CLI_MODE": "true",
            # The local stack's deployment settings: its sandbox ERPs listen on
            # http://127.0.0.1:<port>, and invitations land in the outbox (GET /dev/outbox).
            "ERP_ALLOW_LOCAL_URLS": "true",
            "INVITATIONS": "outbox",
            # The API, worker, dead-letter handler and schedule are threads of this process: each
            # call's log keys are its own thread's (chalicelib/observability.py).
            "FUNCTIONS_SHARE_PROCESS": "true",
        }

    def _quiet_metrics(self) -> None:
        """Metrics go to stdout as CloudWatch EMF lines: noise in a terminal, unless asked for."""
        if "POWERTOOLS_METRICS_DISABLED" not in os.environ:
            self._set_env({"POWERTOOLS_METRICS_DISABLED": "true"})

    def _set_env(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ.pop(name, None)

    # --- stop -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every part started, newest first, then give the process its environment back."""
        while self._stoppers:
            what, stop = self._stoppers.pop()
            try:
                stop()
            except Exception:
                log.exception("stopping the %s failed", what)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        from chalicelib import observability

        observability.reset()  # the process's own logger again, its keys shared

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what a person reads --------------------------------------------------------------

    def banner(self) -> str:
        from devstack import demo_data

        web = (
            f"  Web app      {self.web_url}/"
            if self.serves_web_app
            else f"  Web app      not built ({self.frontend_dist} is missing: `make web` builds it)"
        )
        lines = [
            "",
            "Budget Bridge local stack is up.",
            web,
            f"  API          {self.api_url}   (health: {self.api_url}/health)",
            f"  Embedded AWS {self.aws_url}   (moto: tables, job queue + DLQ, user pool, schedule)",
            f"  Sandbox ERP  {self.erp_url}   (Acumatica REST at the root: sign in as "
            f"{demo_data.SANDBOX_USERNAME} / {demo_data.SANDBOX_PASSWORD}, company Demo, Other "
            f"or Fresh; {_other_sandboxes()}: docs/erps/, docs/targets/)",
            f"  Outbox       {self.api_url}/dev/outbox   (invitations' temporary passwords)",
            f"  Schedule     every {self.schedule_interval:g} s (SCHEDULE_INTERVAL_SECONDS)",
            "",
            f"Demo sign-ins (password {demo_data.DEMO_PASSWORD} for all):",
        ]
        for user in demo_data.users():
            for company_id, (erp, budget) in user.permissions.items():
                lines.append(f"  {user.email:<22} {company_id:<7} ERP {erp:<10} Budget {budget}")
        lines += [
            "",
            "Try it:",
            f"  curl -s -X POST {self.api_url}/session -H 'Content-Type: application/json' \\",
            '       -d \'{"email": "standard@demo.test", '
            f'"password": "{demo_data.DEMO_PASSWORD}"}}\'',
            f"  curl -s '{self.api_url}/companies/demo/erp/budgets?filter=synced' "
            '-H "Authorization: Bearer $TOKEN"',
            "",
            "Ctrl-C stops everything.",
        ]
        return "\n".join(lines)


def _other_sandboxes() -> str:
    """Every prefix the sandbox server mounts besides Acumatica's root, read from its own table."""
    from devstack.sandbox import app, procore

    prefixes = [p for system in app.SYSTEMS for p in system.prefixes if p and p != "/acumatica"]
    return ", ".join([*prefixes, f"/{procore.PREFIX}"])


def _check_free(name: str, port: int) -> None:
    if port == 0:
        return
    with socket.socket() as probe:
        # As the servers themselves bind (http.server sets SO_REUSEADDR): a port whose last
        # connections are still in TIME_WAIT after a stop is free to them, so it is free here.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise PortInUse(
                f"Port {port} is in use: set {name} to another port (0: any free one)."
            ) from None


class PortInUse(OSError):
    pass


def _load_app() -> tuple[Any, Any]:
    """The Chalice config and app module, loaded as `chalice local` loads them (stage env too)."""
    from chalice.cli.factory import CLIFactory

    config = CLIFactory(project_dir=str(FUNCTIONS)).create_config_obj(chalice_stage_name=STAGE)
    config.chalice_app  # noqa: B018 - loads app.py and applies the stage's environment variables
    return config, importlib.import_module("app")


def _handler(app_module: Any, function: str) -> Any:
    """The handler Lambda would call for `function` ("app.<name>"), with Chalice's own wrapping."""
    return getattr(app_module, function)


def _quiet_libraries() -> None:
    """A line per request from moto's werkzeug, and botocore's chatter, would bury the app's."""
    for name in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    """The stack takes no options (its settings are environment variables, as in AWS), but
    `--help` says so instead of starting it, and a stray argument is refused."""
    parser = argparse.ArgumentParser(
        prog="python -m devstack.stack",
        description="The local stack with demo data (docs/local-stack.md); `make run` starts it.",
        epilog="Settings, from the environment: PORT=8000 (web app and API), AWS_PORT=5000 "
        "(the embedded AWS), ERP_SANDBOX_PORT=8001 (the sandbox ERP); 0 picks any free port. "
        "SCHEDULE_INTERVAL_SECONDS=60, FRONTEND_DIST=frontend/dist. Ctrl-C stops everything.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stack = LocalStack()
    try:
        stack.start()
    except PortInUse as error:
        print(f"The local stack could not start. {error}", file=sys.stderr)
        return 1
    print(stack.banner(), flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        print("Stopping the local stack...", flush=True)
        stack.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
