"""The schedule on DynamoDB and SQS (moto): companies are scheduled side by side, and every due
budget still gets exactly one job and one message, even while people request re-imports."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.domain.errors import JobInProgress
from chalicelib.domain.model import (
    AutoReimport,
    Budget,
    BudgetStatus,
    ErpSettings,
    JobKind,
    JobStatus,
    LineItem,
    WbsKey,
    utc_now,
)
from chalicelib.domain.ports import MAX_ENQUEUED_TOGETHER
from chalicelib.services import reimports
from chalicelib.services.ports import Ports

COMPANIES = 6
BUDGETS = 4


@pytest.fixture
def fleet(aws_env: None, serialized_dynamodb: None, monkeypatch: Any) -> Ports:
    """Companies with the daily automatic re-import on, each with BUDGETS due synced budgets."""
    from chalicelib.adapters.sqs import SqsJobQueue
    from tests import worlds

    world = worlds.stores("moto")
    queue_url, _, _ = worlds.moto_queues(monkeypatch.setenv)
    ports = worlds.ports(world, queue=SqsJobQueue(queue_url))
    synced = utc_now() - timedelta(days=2)
    daily = ErpSettings(auto_reimport=AutoReimport(enabled=True, every_hours=24))
    for c in range(COMPANIES):
        company_id = f"fleet{c}"
        ports.directory.put_company(company_id, f"Fleet Company {c}")
        ports.directory.save_erp_settings(company_id, daily)
        _add_budgets(ports, company_id, range(BUDGETS), synced)
    return ports


def _add_budgets(ports: Ports, company_id: str, numbers: range, synced: datetime) -> None:
    for b in numbers:
        budget = Budget(
            company_id=company_id, budget_id=f"B-{b}", project_id=f"B-{b}",
            project_name=f"Project {b}", erp_job_id=f"P-{b}", erp_system="acumatica",
            status=BudgetStatus.SYNCED, last_synced_at=synced,
        )  # fmt: skip
        line = LineItem(key=WbsKey("", "01-100", "L"), description="Labor",
                        original_budget_amount=budget.total)  # fmt: skip
        ports.budgets.create_budget(budget, [line])


def _count_transactions() -> list[int]:
    """The size of every TransactWriteItems call the app's DynamoDB client makes from now on."""
    calls: list[int] = []
    aws.dynamodb().meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems",
        lambda params, **_: calls.append(len(params["TransactItems"])),
    )
    return calls


def _count_audit_writes() -> list[int]:
    """The size of every BatchWriteItem call (the audit entries) from now on."""
    calls: list[int] = []
    aws.dynamodb().meta.events.register(
        "provide-client-params.dynamodb.BatchWriteItem",
        lambda params, **_: calls.append(sum(len(r) for r in params["RequestItems"].values())),
    )
    return calls


def _messages(queue_url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        answer = aws.sqs().receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        if not answer.get("Messages"):
            return found
        found += [json.loads(m["Body"]) for m in answer["Messages"]]


def _holders(ports: Ports) -> dict[tuple[str, str], str | None]:
    return {
        (f"fleet{c}", f"B-{b}"): ports.budgets.get(f"fleet{c}", f"B-{b}").active_job_id
        for c in range(COMPANIES)
        for b in range(BUDGETS)
    }


def test_companies_scheduled_side_by_side_queue_each_due_budget_once(fleet: Ports) -> None:
    queued = reimports.enqueue_due_reimports(fleet, threads=4)

    holders = _holders(fleet)
    assert sorted((j.company_id, j.budget_id) for j in queued) == sorted(holders)
    assert {j.job_id for j in queued} == set(holders.values())
    sent = _messages(os.environ[resources.JOB_QUEUE.env_var])
    assert sorted(m["job_id"] for m in sent) == sorted(j.job_id for j in queued)
    assert [j.company_id for j in queued] == sorted(j.company_id for j in queued)
    assert reimports.enqueue_due_reimports(fleet, threads=4) == []


def test_a_person_racing_the_schedule_never_gets_a_budget_queued_twice(fleet: Ports) -> None:
    by_people: list[str] = []

    def people() -> None:
        for c in range(COMPANIES):
            budget = fleet.budgets.get(f"fleet{c}", "B-0")
            try:
                job = reimports.enqueue(fleet, budget, JobKind.REIMPORT, "pm@fleet.test", None)
            except JobInProgress:
                continue  # the schedule got there first
            by_people.append(job.job_id)

    person = threading.Thread(target=people)
    person.start()
    queued = reimports.enqueue_due_reimports(fleet, threads=4)
    person.join()

    holders = _holders(fleet)
    every_job = [j.job_id for j in queued] + by_people
    assert sorted(every_job) == sorted(holders.values())  # one job per budget, no more
    sent = _messages(os.environ[resources.JOB_QUEUE.env_var])
    assert sorted(m["job_id"] for m in sent) == sorted(every_job)


def test_due_budgets_are_queued_fifty_to_a_transaction_across_companies(fleet: Ports) -> None:
    synced = fleet.budgets.get("fleet0", "B-0").last_synced_at
    assert synced is not None
    for c in range(COMPANIES):
        _add_budgets(fleet, f"fleet{c}", range(BUDGETS, 10), synced)
    transactions = _count_transactions()
    audit_writes = _count_audit_writes()

    queued = reimports.enqueue_due_reimports(fleet, threads=4)

    assert len(queued) == COMPANIES * 10
    # Each job and its claim: 60 jobs of six companies in two transactions, not one per company.
    assert sorted(transactions) == [2 * 10, 2 * MAX_ENQUEUED_TOGETHER]
    assert sorted(audit_writes) == [10, 25, 25]  # an entry per queued job, 25 to a call
    holders = {
        (f"fleet{c}", f"B-{b}"): fleet.budgets.get(f"fleet{c}", f"B-{b}").active_job_id
        for c in range(COMPANIES)
        for b in range(10)
    }
    assert {(j.company_id, j.budget_id): j.job_id for j in queued} == holders
    sent = _messages(os.environ[resources.JOB_QUEUE.env_var])
    assert sorted(m["job_id"] for m in sent) == sorted(j.job_id for j in queued)


def test_a_budget_a_person_took_after_the_listing_leaves_the_company_s_others_queued_once(
    fleet: Ports, monkeypatch: Any
) -> None:
    """The person's request lands between the schedule's listing and its transaction: the batch is
    refused as a whole, and the company's other budgets are then queued one by one."""
    listed = fleet.budgets.list
    by_people: list[str] = []

    def list_then_a_person_requests(company_id: str, *args: Any) -> Any:
        page = listed(company_id, *args)
        if company_id == "fleet0":
            budget = fleet.budgets.get(company_id, "B-1")
            job = reimports.enqueue(fleet, budget, JobKind.REIMPORT, "pm@fleet.test", None)
            by_people.append(job.job_id)
        return page

    monkeypatch.setattr(fleet.budgets, "list", list_then_a_person_requests)
    queued = reimports.enqueue_due_reimports(fleet, threads=4)

    holders = _holders(fleet)
    assert holders[("fleet0", "B-1")] == by_people[0]
    assert ("fleet0", "B-1") not in {(j.company_id, j.budget_id) for j in queued}
    every_job = [j.job_id for j in queued] + by_people
    assert sorted(every_job) == sorted(holders.values())  # each budget: one job, no more
    recorded = fleet.jobs.list("fleet0", None, 100, None).items
    assert sorted(j.job_id for j in recorded) == sorted(
        job_id for (c, _), job_id in holders.items() if c == "fleet0"
    )  # the refused batch left no job behind
    assert {j.status for j in recorded} == {JobStatus.QUEUED}
    sent = _messages(os.environ[resources.JOB_QUEUE.env_var])
    assert sorted(m["job_id"] for m in sent) == sorted(every_job)


def test_a_failed_job_holds_its_budget_back_from_the_schedule_for_an_interval(fleet: Ports) -> None:
    """DynamoDB keeps the failure's moment on the budget's header, and the schedule's listing
    (the status index) reads it: the budget is not queued again at the next run."""
    queued = reimports.enqueue_due_reimports(fleet, threads=4)
    failed = next(j for j in queued if (j.company_id, j.budget_id) == ("fleet0", "B-0"))
    finished = utc_now()
    for job in queued:
        fleet.jobs.fail(job, "The ERP refused the sign-in.", [], finished, scheduled=True)

    assert fleet.budgets.get("fleet0", "B-0").last_failed_at is not None
    assert fleet.budgets.get(failed.company_id, failed.budget_id).active_job_id is None
    assert reimports.enqueue_due_reimports(fleet, threads=4) == []


def test_the_first_fifty_due_budgets_are_written_while_later_companies_are_still_read(
    fleet: Ports, monkeypatch: Any
) -> None:
    """The writes do not wait for the last company's listing (docs/performance.md, "Fleet")."""
    synced = fleet.budgets.get("fleet0", "B-0").last_synced_at
    assert synced is not None
    for c in range(COMPANIES):
        _add_budgets(fleet, f"fleet{c}", range(BUDGETS, 10), synced)  # 50 due before the last
    last = f"fleet{COMPANIES - 1}"
    first_step_written = threading.Event()
    written_before_last_read: list[bool] = []
    listed, enqueue_all = fleet.budgets.list, fleet.jobs.enqueue_all

    def list_the_last_company_after_a_write(company_id: str, *args: Any) -> Any:
        if company_id == last and not written_before_last_read:
            written_before_last_read.append(first_step_written.wait(timeout=10))
        return listed(company_id, *args)

    def enqueue_all_and_tell(*args: Any) -> Any:
        recorded = enqueue_all(*args)
        first_step_written.set()
        return recorded

    monkeypatch.setattr(fleet.budgets, "list", list_the_last_company_after_a_write)
    monkeypatch.setattr(fleet.jobs, "enqueue_all", enqueue_all_and_tell)
    queued = reimports.enqueue_due_reimports(fleet, threads=4)

    assert written_before_last_read == [True]
    assert len(queued) == COMPANIES * 10
    assert [j.company_id for j in queued] == sorted(j.company_id for j in queued)
    assert {(j.company_id, j.budget_id): j.job_id for j in queued} == {
        (f"fleet{c}", f"B-{b}"): fleet.budgets.get(f"fleet{c}", f"B-{b}").active_job_id
        for c in range(COMPANIES)
        for b in range(10)
    }
