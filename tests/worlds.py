"""The one builder of test worlds: the stores, the `Ports` bundle over them, and the moto account.

Every suite (the service tests, the API tests in memory and on moto, the worker on moto) and the
benchmarks build their stores and ports here; each keeps only its own seed data, which is what
its assertions read. `backend` chooses the implementation of the stores:

- "memory": the in-memory twins (`devstack/memory.py`), one database shared by every store;
- "moto": the real DynamoDB, Secrets Manager and SQS adapters, on whatever AWS the environment
  points at (inside `mock_aws`, or the benchmarks' moto server). Called inside it.

Nothing here is a pytest fixture, so the benchmarks import it too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chalicelib import resources, wiring
from chalicelib.adapters import aws
from chalicelib.domain.model import CostCatalog, ErpConnection, ErpCredentials, Permission
from chalicelib.services.ports import Ports
from devstack import demo_data, memory

Backend = Literal["memory", "moto"]


@dataclass
class Stores:
    """The stateful ports of one world, all on the same backend."""

    backend: Backend
    budgets: Any
    jobs: Any
    directory: Any
    secrets: Any
    audit: Any
    queue: Any


def stores(
    backend: Backend = "memory", *, queue_url: str | None = None, tables: bool = True
) -> Stores:
    """Fresh stores. On moto the tables are created first unless `tables` is False (they exist),
    and the queue is the real one at `queue_url`, or looked up by its default name."""
    if backend == "memory":
        twins = memory.MemoryStores()
        return Stores(
            backend, twins.budgets, twins.jobs, twins.directory, twins.secrets, twins.audit,
            twins.queue,
        )  # fmt: skip
    from chalicelib.adapters.dynamodb.audit import DynamoAuditLog
    from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
    from chalicelib.adapters.dynamodb.directory import DynamoDirectory
    from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
    from chalicelib.adapters.dynamodb.provision import create_tables
    from chalicelib.adapters.secrets import SecretsManagerSecretStore
    from chalicelib.adapters.sqs import SqsJobQueue

    aws.reset_clients()
    if tables:
        create_tables(aws.dynamodb())
    return Stores(
        backend, DynamoBudgetStore(), DynamoJobStore(), DynamoDirectory(),
        SecretsManagerSecretStore(), DynamoAuditLog(), SqsJobQueue(queue_url),
    )  # fmt: skip


def ports(world: Stores, **overrides: Any) -> Ports:
    """The `Ports` bundle over `world`'s stores; `overrides` replace any port (a recording queue,
    a fake ERP, an identity provider, a clock). Ports a suite never reaches default to the
    in-memory twins."""
    chosen: dict[str, Any] = {
        "budgets": world.budgets,
        "jobs": world.jobs,
        "queue": world.queue,
        "directory": world.directory,
        "secrets": world.secrets,
        "erp_sources": _no_erp,
        "identity": memory.MemoryIdentityProvider(),
        "audit": world.audit,
        "accounts": memory.MemoryAccounts(),
    }
    chosen.update(overrides)
    return Ports(**chosen)


def _no_erp(*_: Any) -> Any:
    raise AssertionError("this world has no ERP")


def moto_queues(
    setenv: Callable[[str, str], None] = os.environ.__setitem__,
) -> tuple[str, str, str]:
    """The job queue and its dead-letter queue on moto, named in the environment the app reads
    (config.Settings) through `setenv` (tests pass `monkeypatch.setenv`, so nothing outlives
    them); answers (queue URL, queue ARN, dead-letter queue URL). Tables come with
    `stores("moto")`."""
    from devstack.provision import create_queues

    queue_url, queue_arn, dlq_url, _ = create_queues(aws.sqs())
    setenv(resources.JOB_QUEUE.env_var, queue_url)
    setenv(resources.JOB_QUEUE.dlq_env_var, dlq_url)
    wiring.reset()
    return queue_url, queue_arn, dlq_url


def seed_company(
    world: Stores, company_id: str, sandbox_url: str, *, budgets_synced_at: datetime | None = None
) -> CostCatalog:
    """One company of the local stack's demo data (`devstack/demo_data.py`): its name, cost
    catalog, members, and ERP connection to the sandbox server at `sandbox_url` with the sandbox's
    credentials in the secret store; with `budgets_synced_at`, its projects' budgets too."""
    company = demo_data.company(company_id)
    saved = company.erp_connection()
    catalog = CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
    world.directory.put_company(company_id, company.name)
    world.directory.put_cost_catalog(company_id, catalog)
    secret_id = f"{resources.ERP_SECRET_PREFIX}{company_id}"
    world.secrets.put_erp_credentials(secret_id, ErpCredentials(saved.credentials))
    world.directory.put_erp_connection(
        company_id,
        ErpConnection(
            erp_system=company.erp_system, base_url=sandbox_url + saved.path,
            settings=dict(saved.settings), credentials_secret_id=secret_id,
        ),
    )  # fmt: skip
    for user in demo_data.users():
        if company_id in user.permissions:
            erp_level, budget_level = user.permissions[company_id]
            world.directory.put_member(
                company_id, user.email, Permission.parse(erp_level), Permission.parse(budget_level)
            )
    if budgets_synced_at is not None:
        from devstack.seed import link_project, project_budget

        for project in company.projects:
            budget, lines = project_budget(company, project, catalog, budgets_synced_at)
            world.budgets.create_budget(budget, lines)
            link_project(world.directory, budget)
    return catalog
