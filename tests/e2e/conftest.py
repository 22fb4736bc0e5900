"""End-to-end fixtures: the whole local stack, started as `make run` starts it, and HTTP helpers.

The stack runs in its own process (`python -m devstack.stack`) on free ports with a short schedule
interval; the tests speak to it only over HTTP (stdlib urllib), as a person or API client would.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCHEDULE_INTERVAL_SECONDS = "2"
START_TIMEOUT_SECONDS = 120
ERP_ENDPOINT = "/entity/Default/23.200.001/ProjectBudget"
DEMO_PASSWORD = "Demo-pass-1"


@dataclass
class Answer:
    status: int
    body: Any
    headers: Any


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # two-place amounts print exactly (repr of the nearest float)
    raise TypeError(f"cannot send {type(value).__name__}")


def request(
    method: str,
    url: str,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    opener: urllib.request.OpenerDirector | None = None,
) -> Answer:
    """One HTTP call; JSON in and out, money parsed as Decimal; any status is an answer."""
    data = None if body is None else json.dumps(body, default=_encode).encode()
    sent = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        sent["Content-Type"] = "application/json"
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the end-to-end tests only call the local stack, not {url}")
    call = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310
    try:
        with (opener or urllib.request.build_opener()).open(call, timeout=30) as reply:
            status, raw, reply_headers = reply.status, reply.read(), reply.headers
    except urllib.error.HTTPError as error:
        status, raw, reply_headers = error.code, error.read(), error.headers
    parsed: Any = None
    if raw:
        try:
            parsed = json.loads(raw, parse_float=Decimal)
        except ValueError:
            parsed = raw.decode(errors="replace")
    return Answer(status, parsed, reply_headers)


@dataclass
class RunningStack:
    web_url: str
    erp_url: str
    aws_url: str
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def api_url(self) -> str:
        return f"{self.web_url}/api/v1"

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> str:
        answer = request("POST", f"{self.api_url}/session", {"email": email, "password": password})
        assert answer.status == 200, (answer.status, answer.body)
        return answer.body["token"]

    def wait_for(
        self, check: Callable[[], Any], timeout: float = 90.0, what: str = "the stack"
    ) -> Any:
        """Polls `check` until it answers something truthy; fails with the stack's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.25)
        pytest.fail(f"Timed out waiting for {what}. The stack's log ends with:\n{self.log_tail()}")

    def messages_in_queue(self, queue_name: str) -> int:
        """Messages the embedded SQS holds in the queue, waiting or being processed."""
        import boto3

        sqs = boto3.client(
            "sqs",
            endpoint_url=self.aws_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's, not a secret
        )
        url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(count) for count in attributes.values())

    def finished_job(self, token: str, company_id: str, job_id: str) -> dict[str, Any]:
        url = f"{self.api_url}/companies/{company_id}/erp/jobs/{job_id}"

        def finished() -> dict[str, Any] | None:
            answer = request("GET", url, token=token)
            assert answer.status == 200, (answer.status, answer.body)
            done = answer.body["status"] in ("succeeded", "failed")
            return answer.body if done else None

        return self.wait_for(finished, what=f"job {job_id} to finish")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_stack(log: Path, **extra_env: str) -> RunningStack:
    """`python -m devstack.stack` on free ports; answers once the API's health check passes."""
    ports = {"PORT": free_port(), "AWS_PORT": free_port(), "ERP_SANDBOX_PORT": free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, **extra_env}
    env.setdefault("SCHEDULE_INTERVAL_SECONDS", SCHEDULE_INTERVAL_SECONDS)
    env["PYTHONUNBUFFERED"] = "1"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.stack"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = RunningStack(
        web_url=f"http://127.0.0.1:{ports['PORT']}",
        erp_url=f"http://127.0.0.1:{ports['ERP_SANDBOX_PORT']}",
        aws_url=f"http://127.0.0.1:{ports['AWS_PORT']}",
        log=log,
        process=process,
    )

    def healthy() -> bool:
        if process.poll() is not None:
            pytest.fail(f"The local stack exited with {process.returncode}:\n{stack.log_tail()}")
        try:
            return request("GET", f"{stack.api_url}/health").status == 200
        except OSError:
            return False

    try:
        stack.wait_for(healthy, timeout=START_TIMEOUT_SECONDS, what="GET /api/v1/health")
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def stop_stack(stack: RunningStack, timeout: float = 30.0) -> int:
    """Ctrl-C, as a person would; kill only if it does not stop in time. Answers the exit code."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(timeout)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait()
    return stack.process.returncode


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    with tempfile.TemporaryDirectory(prefix="budget-bridge-e2e-") as folder:
        running = start_stack(Path(folder) / "stack.log")
        try:
            yield running
        finally:
            stop_stack(running)


class SandboxErpClient:
    """Acumatica's REST API of the sandbox ERP, spoken as an Acumatica client would speak it."""

    def __init__(self, base_url: str, tenant: str = "Demo") -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        answer = self.call(
            "POST",
            "/entity/auth/login",
            {"name": "admin", "password": "sandbox", "company": tenant},
        )
        assert answer.status == 204, (answer.status, answer.body)

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        return request(method, self.base_url + path, body, opener=self.opener)

    def budget(self, project_id: str) -> list[dict[str, Any]]:
        query = urllib.parse.quote(f"ProjectID eq '{project_id}'")
        answer = self.call("GET", f"{ERP_ENDPOINT}?$filter={query}&$top=1000")
        assert answer.status == 200, (answer.status, answer.body)
        return answer.body

    def set_amount(self, entity: dict[str, Any], amount: Any) -> dict[str, Any]:
        """PUT one line's OriginalBudgetedAmount, addressed by its key fields, value-wrapped."""
        body = {
            name: {"value": entity[name]["value"]}
            for name in ("ProjectID", "ProjectTaskID", "CostCode", "AccountGroup", "InventoryID")
            if entity.get(name, {}).get("value") is not None
        }
        body["OriginalBudgetedAmount"] = {"value": amount}
        answer = self.call("PUT", ERP_ENDPOINT, body)
        assert answer.status == 200, (answer.status, answer.body)
        return answer.body

    def logout(self) -> None:
        self.call("POST", "/entity/auth/logout")


@pytest.fixture
def erp(stack: RunningStack) -> Iterator[SandboxErpClient]:
    client = SandboxErpClient(stack.erp_url)
    yield client
    client.logout()
