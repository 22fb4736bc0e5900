"""The worker with the accounting ERPs on moto: a Xero organisation out of calls for the day.

The job waits for the queue with a sentence saying when the limit resets: the message is handed
back to the queue, which brings it back no sooner than Xero's Retry-After (the worker postpones it),
so no retry storm hits an ERP that will refuse every call until then.
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


def test_xeros_day_limit_leaves_the_job_waiting_for_the_queue_saying_when_it_resets(
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

    records = stack.records(stack.receive())
    returned = stack.deliver(records)

    assert returned == [records[0]["messageId"]]  # handed back: the queue brings it back later
    waiting = stack.jobs.get("xero", job.job_id)
    assert waiting.status is JobStatus.IN_PROGRESS
    assert "daily limit" in waiting.message and "run the re-import again after" in waiting.message
