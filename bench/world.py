"""A measured world for the benchmarks: moto in-process, the app's tables and queue, the demo
company, an in-process sandbox ERP, and an N-line budget on both sides that differs in every amount.

Everything goes through the app's own adapters and the devstack's own seeding helpers, so what is
measured is the code that runs in Lambda, not a copy of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from devstack import demo_data
from devstack.sandbox_erp import SandboxErp

PROJECT_ID = "P-9001"
COMPANY_ID = "demo"
REQUESTER = "bench@demo.test"
DYNAMODB_WRITES = frozenset(
    {"BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}
)

_FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_METRICS_NAMESPACE": "BudgetBridge",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    # The metrics' EMF lines would fill the report; the counts are what the bench reads.
    "POWERTOOLS_METRICS_DISABLED": "true",
    # As on the local stack: the sandbox ERP listens on http://127.0.0.1:<port>.
    "ERP_ALLOW_LOCAL_URLS": "true",
}


class CallCounter:
    """DynamoDB calls by operation, counted on the app's own client (botocore's before-call)."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def reset(self) -> None:
        self.calls.clear()

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in DYNAMODB_WRITES)

    def snapshot(self) -> dict[str, int]:
        return dict(sorted(self.calls.items()))


def fake_aws_environment() -> None:
    """Fake credentials and a fixed region: the bench never reaches a real AWS account."""
    os.environ.update(_FAKE_AWS_ENV)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)


def sandbox_call(url: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the sandbox's own http address
        url.rstrip("/") + path, data=data, method=method,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
        raw = answer.read()
    return json.loads(raw) if raw.strip() else None


def generate_erp_budget(
    url: str, project_id: str, lines: int, seed: int, tenant: str = "Demo"
) -> None:
    """Replace the sandbox's budget of `project_id` with a synthetic one (its /sandbox route)."""
    sandbox_call(url, "POST", f"/sandbox/projects/{tenant}/{project_id}/generate",
                 {"lines": lines, "seed": seed})  # fmt: skip


def project_side(
    n_lines: int, seed: int, project_id: str = PROJECT_ID, company_id: str = COMPANY_ID
) -> tuple[Any, list[Any]]:
    """The Budget Bridge side of a large budget, as an import of the seed's ERP budget makes it."""
    from chalicelib.domain.model import CostCatalog, utc_now
    from devstack.seed import project_budget

    company = demo_data.company(company_id)
    project = demo_data.large_project(project_id, n_lines, seed, company_id)
    catalog = CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
    return project_budget(company, project, catalog, utc_now())


@dataclass
class World:
    sandbox: SandboxErp
    ports: Any
    counter: CallCounter
    queue_url: str
    queue_arn: str
    region: str
    budgets: dict[str, Any] = field(default_factory=dict)

    def seed_budget(self, n_lines: int, *, erp_seed: int = 2, project_id: str = PROJECT_ID) -> Any:
        """An N-line synced budget (seed 1) and an ERP budget on the same keys (`erp_seed`)."""
        budget, lines = project_side(n_lines, seed=1, project_id=project_id)
        stored = self.ports.budgets.create_budget(budget, lines)
        generate_erp_budget(self.sandbox.url, project_id, n_lines, erp_seed)
        self.budgets[project_id] = stored
        return stored

    def queue_reimport(
        self, project_id: str = PROJECT_ID, kind: str = "reimport"
    ) -> tuple[Any, dict[str, Any]]:
        """Request a re-import (or a job of another `kind`, such as a preview) as the API does,
        then take its message off the queue as Lambda would: answers the queued job and a
        genuine SQS event of one record."""
        from chalicelib.domain.model import JobKind
        from chalicelib.services.reimports import enqueue
        from devstack.poller import lambda_record

        budget = self.ports.budgets.get(COMPANY_ID, self.budgets[project_id].budget_id)
        job = enqueue(self.ports, budget, JobKind(kind), REQUESTER, None)
        from chalicelib.adapters import aws

        answer = aws.sqs().receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=1, AttributeNames=["All"],
            MessageAttributeNames=["All"], WaitTimeSeconds=0,
        )  # fmt: skip
        (message,) = answer["Messages"]
        return job, {"Records": [lambda_record(message, self.queue_arn, self.region)]}


def worker_context() -> Any:
    from chalicelib import resources
    from devstack.lambda_runtime import FunctionConfig
    from devstack.provision import function_arn, function_name

    return FunctionConfig(
        name=function_name(resources.WORKER_FUNCTION),
        arn=function_arn(resources.WORKER_FUNCTION, "us-east-1", "123456789012"),
        memory_mb=1024,
        timeout_seconds=resources.JOB_QUEUE.worker_timeout_seconds,
    ).new_context()


def _ports() -> Any:
    """The app's real adapters for every port the worker uses, installed as the wiring's ports.

    Built by the tests' world builder (tests/worlds.py) rather than by the wiring so that the
    bench needs no user pool (the worker signs no one in); the audit log stays in memory, so the
    DynamoDB calls counted are the worker's own.
    """
    from chalicelib import wiring
    from chalicelib.config import settings
    from chalicelib.wiring import erp_sources
    from devstack import memory
    from tests import worlds

    world = worlds.stores("moto", queue_url=settings().job_queue_url, tables=False)
    ports = worlds.ports(world, erp_sources=erp_sources(), audit=memory.MemoryAuditLog())
    wiring.use_ports(ports)
    return ports


def setup_account(erp_url: str) -> tuple[str, str]:
    """Tables, queues, the ERP secret and the demo company (its ERP at `erp_url`), on whatever
    AWS the environment points at; answers the job queue's URL and ARN."""
    from chalicelib import wiring
    from tests import worlds

    wiring.reset()
    world = worlds.stores("moto")
    queue_url, queue_arn, _ = worlds.moto_queues()
    worlds.seed_company(world, COMPANY_ID, erp_url)
    return queue_url, queue_arn


@contextlib.contextmanager
def open_world() -> Iterator[World]:
    """moto (in-process) with the local stack's settings, the tables, queues, secret, demo
    company and a sandbox ERP."""
    fake_aws_environment()
    from moto import mock_aws

    from chalicelib import wiring
    from chalicelib.adapters import aws
    from chalicelib.config import settings
    from devstack.emulator import install_settings

    # The same emulator as the local stack's (devstack/emulator.py), so a figure measures the
    # worker, not moto's costs that the local stack already removed (docs/performance.md).
    install_settings()
    with mock_aws(), SandboxErp() as sandbox:
        queue_url, queue_arn = setup_account(sandbox.url)
        ports = _ports()
        counter = CallCounter(aws.dynamodb())
        try:
            yield World(sandbox, ports, counter, queue_url, queue_arn, settings().region)
        finally:
            wiring.reset()
