"""The worker with the accounting ERPs on moto: a Xero organisation out of calls for the day.

The job fails at once with a sentence saying when to run the re-import again; the message is not
handed back to the queue, so no retry storm hits an ERP that will refuse every call until then.
"""

from __future__ import annotations

import json
import urllib.request

from chalicelib import wiring
from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
from chalicelib.adapters.dynamodb.directory import DynamoDirectory
from chalicelib.adapters.secrets import SecretsManagerSecretStore
from chalicelib.domain.model import (
    CostCatalog,
    ErpConnection,
    ErpCredentials,
    JobKind,
    JobStatus,
    Permission,
)
from chalicelib.domain.ports import Identity
from chalicelib.services.reimports import request_job
from devstack import demo_data
from devstack.seed import project_budget
from tests.fixtures.worker import WorkerStack, _two_days_ago


def _seed(stack: WorkerStack, company_id: str) -> None:
    company = demo_data.company(company_id)
    saved = company.erp_connection()
    catalog = CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
    directory = DynamoDirectory()
    directory.put_company(company_id, company.name)
    directory.put_cost_catalog(company_id, catalog)
    secret_id = f"budget-bridge/erp/{company_id}"
    SecretsManagerSecretStore().put_erp_credentials(secret_id, ErpCredentials(saved.credentials))
    directory.put_erp_connection(company_id, ErpConnection(
        erp_system=company.erp_system, base_url=stack.sandbox.url + saved.path,
        settings=dict(saved.settings), credentials_secret_id=secret_id))  # fmt: skip
    directory.put_member(company_id, f"admin@{company_id}.test", Permission.ADMIN,
                         Permission.ADMIN)  # fmt: skip
    for project in company.projects:
        budget, lines = project_budget(company, project, catalog, _two_days_ago())
        DynamoBudgetStore().create_budget(budget, lines)


def test_xeros_day_limit_fails_the_job_with_when_to_retry_and_no_retry(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    _seed(stack, "xero")
    limits = urllib.request.Request(  # noqa: S310 - the sandbox
        f"{stack.sandbox.url}/xero/sandbox/limits", data=json.dumps({"day_remaining": 1}).encode(),
        method="POST", headers={"Content-Type": "application/json"})  # fmt: skip
    urllib.request.urlopen(limits, timeout=10).close()  # noqa: S310
    admin = Identity("admin@xero.test", "admin@xero.test")
    job = request_job(wiring.ports(), admin, "xero", "X-9001", JobKind.REIMPORT)

    returned = stack.deliver(stack.records(stack.receive()))

    assert returned == []  # not handed back for a retry
    failed = stack.jobs.get("xero", job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "daily limit" in failed.message and "run the re-import again after" in failed.message
