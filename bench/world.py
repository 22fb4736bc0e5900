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

    Built here rather than by the wiring so that the bench needs no user pool (the worker signs
    no one in).
    """
    from chalicelib import wiring
    from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
    from chalicelib.adapters.dynamodb.directory import DynamoDirectory
    from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
    from chalicelib.adapters.erp.registry import erp_source_for
    from chalicelib.adapters.secrets import SecretsManagerSecretStore
    from chalicelib.adapters.sqs import SqsJobQueue
    from chalicelib.config import settings
    from chalicelib.services.ports import Ports
    from devstack import memory

    secrets = SecretsManagerSecretStore()
    queue = SqsJobQueue(queue_url=settings().job_queue_url)
    ports = Ports(
        budgets=DynamoBudgetStore(), jobs=DynamoJobStore(), queue=queue,
        directory=DynamoDirectory(), secrets=secrets, erp_sources=erp_source_for,
        identity=None,  # type: ignore[arg-type] - the worker signs no one in
        audit=memory.MemoryAuditLog(), accounts=memory.MemoryAccounts(),
    )  # fmt: skip
    wiring.use_ports(ports)
    return ports


def setup_account(erp_url: str) -> tuple[str, str]:
    """Tables, queues, the ERP secret and the demo company (its ERP at `erp_url`), on whatever
    AWS the environment points at; answers the job queue's URL and ARN."""
    from chalicelib import resources, wiring
    from chalicelib.adapters import aws
    from chalicelib.adapters.dynamodb.directory import DynamoDirectory
    from chalicelib.adapters.dynamodb.provision import create_tables
    from chalicelib.domain.model import CostCatalog, ErpConnection
    from devstack.provision import create_queues, put_erp_secret

    wiring.reset()
    create_tables(aws.dynamodb())
    queue_url, queue_arn, dlq_url, _ = create_queues(aws.sqs())
    os.environ[resources.JOB_QUEUE.env_var] = queue_url
    os.environ[resources.JOB_QUEUE.dlq_env_var] = dlq_url
    wiring.reset()
    company = demo_data.company(COMPANY_ID)
    directory = DynamoDirectory()
    directory.put_company(COMPANY_ID, company.name)
    directory.put_cost_catalog(
        COMPANY_ID, CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
    )
    secret = put_erp_secret(
        aws.secretsmanager(), COMPANY_ID, demo_data.SANDBOX_USERNAME, demo_data.SANDBOX_PASSWORD
    )
    connection = ErpConnection(
        erp_system=company.erp_system, base_url=erp_url, settings={"company": company.tenant},
        credentials_secret_id=secret,
    )  # fmt: skip
    directory.put_erp_connection(COMPANY_ID, connection)
    return queue_url, queue_arn


@contextlib.contextmanager
def open_world() -> Iterator[World]:
    """moto (in-process), the tables, queues, secret, demo company and a sandbox ERP."""
    fake_aws_environment()
    from moto import mock_aws

    from chalicelib import wiring
    from chalicelib.adapters import aws

    with mock_aws(), SandboxErp() as sandbox:
        queue_url, queue_arn = setup_account(sandbox.url)
        ports = _ports()
        counter = CallCounter(aws.dynamodb())
        try:
            yield World(sandbox, ports, counter, queue_url, queue_arn, aws.region())
        finally:
            wiring.reset()
