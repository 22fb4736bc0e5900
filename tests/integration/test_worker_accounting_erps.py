"""The worker with the accounting ERPs on moto: a Xero organisation out of calls for the day.

The job fails at once with a sentence saying when to run the re-import again; the message is not
handed back to the queue, so no retry storm hits an ERP that will refuse every call until then.
"""

from __future__ import annotations

import json
import urllib.request

from chalicelib import wiring
from chalicelib.domain.model import (
    JobKind,
    JobStatus,
)
from chalicelib.domain.ports import Identity
from chalicelib.services.reimports import request_job
from tests import worlds
from tests.fixtures.worker import WorkerStack, two_days_ago


def _seed(stack: WorkerStack, company_id: str) -> None:
    worlds.seed_company(
        worlds.stores("moto"), company_id, stack.sandbox.url, budgets_synced_at=two_days_ago()
    )


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
