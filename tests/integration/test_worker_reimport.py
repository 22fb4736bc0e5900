"""The re-import worker through the real adapters on moto, fed genuine SQS records (docs/domain-rules.md).

Every test ends by reading the whole budget back and the job's status: applied exactly once, or
exactly as it was.
"""

from __future__ import annotations

import dataclasses
import threading
from decimal import Decimal
from typing import Any

import pytest

from chalicelib import resources, wiring
from chalicelib.adapters import aws
from chalicelib.adapters.erp.common.http import MAX_ATTEMPTS
from chalicelib.domain.errors import JobInProgress
from chalicelib.domain.model import CostCatalog, JobKind, JobStatus, WbsKey
from chalicelib.domain.ports import Identity
from chalicelib.services.reimports import request_job
from devstack import demo_data
from devstack.seed import project_budget
from tests import worlds
from tests.fixtures.worker import LambdaStopped, WorkerStack, two_days_ago

# In the demo ERP, P-1001's key (01, 01-500, S) is the sum of two Expense lines, and the project
# has hand-entered units on it.
SUMMED = WbsKey("01", "01-500", "S")
RAISE = Decimal("123.45")


def change_in_erp(stack: WbsKey | Any) -> None:
    """A person edits P-1001's budget in the ERP: the second line of SUMMED grows by RAISE."""
    lines = [
        line
        for line in stack.erp.lines("P-1001")
        if line["Type"]["value"] == "Expense"
        and (
            line["ProjectTaskID"]["value"],
            line["CostCode"]["value"],
            line["AccountGroup"]["value"],
        )
        == ("01", "01-500", "S")
    ]
    second = lines[1]
    amount = Decimal(str(second["OriginalBudgetedAmount"]["value"])) + RAISE
    stack.erp.put_line(id=second["id"], OriginalBudgetedAmount=amount)


def expected_after_change(before: list) -> list:  # type: ignore[type-arg]
    """The budget as the re-import must leave it: SUMMED moved by RAISE, every unit kept."""
    from dataclasses import replace

    return [
        replace(line, original_budget_amount=line.original_budget_amount + RAISE)
        if line.key == SUMMED
        else line
        for line in before
    ]


def without_refs(lines: list) -> list:  # type: ignore[type-arg]
    from dataclasses import replace

    return [replace(line, erp_refs=()) for line in lines]


def assert_applied_once(stack: WorkerStack, before: list, version_before: int, job_id: str) -> None:  # type: ignore[type-arg]
    after = stack.lines()
    assert without_refs(after) == without_refs(expected_after_change(before))
    budget = stack.budget()
    assert budget.version == version_before + 1
    assert budget.total == sum(line.original_budget_amount for line in after)
    assert budget.active_job_id is None
    job = stack.job(job_id)
    assert job.status is JobStatus.SUCCEEDED
    assert job.message == "Successfully Re-imported to Budget Bridge"
    assert job.summary is not None and job.summary.lines_updated == 1
    assert job.summary.changed == 1


def assert_untouched(stack: WorkerStack, before: list, version_before: int) -> None:  # type: ignore[type-arg]
    assert stack.lines() == before
    budget = stack.budget()
    assert budget.version == version_before
    assert budget.active_job_id is None


def test_a_reimport_applies_the_erp_change_and_keeps_units(worker_stack: WorkerStack) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()
    answer = stack.deliver(stack.records(stack.receive()))
    assert answer == []
    assert_applied_once(stack, before, version, job.job_id)
    summed = next(line for line in stack.lines() if line.key == SUMMED)
    assert (summed.uom, summed.quantity) == ("LS", Decimal("475"))


def test_the_same_message_delivered_twice_applies_the_budget_once(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()
    messages = stack.receive()
    assert stack.deliver(stack.records(messages)) == []
    stack.make_visible(messages)
    again = stack.receive()
    assert [m["MessageId"] for m in again] == [m["MessageId"] for m in messages]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert stack.deliver(stack.records(again)) == []
    assert_applied_once(stack, before, version, job.job_id)


def test_two_records_of_the_same_job_in_one_batch_apply_the_budget_once(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()
    stack.resend = stack.sqs.send_message(  # a duplicate send, as SQS at-least-once may deliver
        QueueUrl=stack.queue_url, MessageBody=stack.receive(visibility=0)[0]["Body"]
    )
    messages = stack.receive()
    assert len({m["MessageId"] for m in messages}) == 2
    assert stack.deliver(stack.records(messages)) == []
    assert_applied_once(stack, before, version, job.job_id)


def test_a_crash_between_writing_the_lines_and_the_switch_applies_once_on_redelivery(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()
    crashes = []

    def crash_once(params: dict[str, Any], **_: Any) -> None:
        body = params.get("body", b"")
        body = body.decode() if isinstance(body, bytes) else str(body)
        if not crashes and JobStatus.SUCCEEDED.value in body:
            crashes.append(body)
            raise LambdaStopped("the Lambda was stopped mid-commit")

    aws.dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", crash_once)
    messages = stack.receive(visibility=0)
    stack.deliver_and_stop(stack.records(messages))
    assert crashes, "the commit's switch never ran"
    # Readers still see the budget as it was; the job has not claimed success.
    assert stack.lines() == before
    assert stack.budget().version == version
    assert stack.job(job.job_id).status is JobStatus.IN_PROGRESS

    again = stack.receive()
    assert stack.deliver(stack.records(again)) == []
    assert_applied_once(stack, before, version, job.job_id)


def test_four_simultaneous_requests_make_exactly_one_job(
    worker_stack: WorkerStack,
    serialized_dynamodb: None,
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    start = threading.Barrier(4)
    jobs, refusals, errors = [], [], []

    def ask(email: str) -> None:
        start.wait()
        try:
            jobs.append(stack.request(email=email))
        except JobInProgress as refused:
            refusals.append(refused)
        except Exception as error:  # noqa: BLE001 - any other outcome fails the test below
            errors.append(error)

    threads = [
        threading.Thread(target=ask, args=(email,))
        for email in ["standard@demo.test", "admin@demo.test"] * 2
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(jobs) == 1
    assert len(refusals) == 3
    assert {r.job_id for r in refusals} == {jobs[0].job_id}
    messages = stack.receive()
    assert len(messages) == 1
    assert stack.deliver(stack.records(messages)) == []
    assert_applied_once(stack, before, version, jobs[0].job_id)


def test_a_lock_set_between_the_request_and_the_apply_fails_the_job(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    change_in_erp(stack)
    job = stack.request()
    stack.budgets.set_locked(stack.budget(), True)
    before, version = stack.lines(), stack.budget().version
    assert stack.deliver(stack.records(stack.receive())) == []
    failed = stack.job(job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "locked" in failed.message
    assert failed.error_code == "budget_locked"  # as a preview of a locked budget says
    assert_untouched(stack, before, version)
    assert stack.budget().locked


def test_bad_erp_data_fails_the_job_listing_every_offending_line(worker_stack: WorkerStack) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    bad = {
        "not-a-number": {"OriginalBudgetedAmount": "twelve"},
        "three-places": {"OriginalBudgetedAmount": Decimal("1.005")},
        "too-large": {"OriginalBudgetedAmount": Decimal("1000000000000.00")},
        "no-amount": {"OriginalBudgetedAmount": None},
        "unknown-code": {"CostCode": "99-999", "OriginalBudgetedAmount": Decimal("5.00")},
        "unknown-type": {"AccountGroup": "ZZ", "OriginalBudgetedAmount": Decimal("5.00")},
        "blank-code": {"CostCode": "", "OriginalBudgetedAmount": Decimal("5.00")},
        "blank-type": {"AccountGroup": " ", "OriginalBudgetedAmount": Decimal("5.00")},
    }
    for inventory, fields in bad.items():
        line = {
            "ProjectID": "P-1001",
            "ProjectTaskID": "01",
            "CostCode": "01-500",
            "AccountGroup": "S",
            "InventoryID": inventory,
            "Type": "Expense",
            "Description": f"bad line {inventory}",
            **fields,
        }
        stack.erp.put_line(**line)
    erp_rows = stack.erp.lines("P-1001")
    bad_rows = {
        row["InventoryID"]["value"]: number
        for number, row in enumerate(erp_rows, start=1)
        if row.get("InventoryID", {}).get("value") in bad
    }
    job = stack.request()
    assert stack.deliver(stack.records(stack.receive())) == []
    failed = stack.job(job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "8 lines failed validation" in failed.message
    assert sorted((e.line, e.field) for e in failed.errors) == sorted(
        [
            (bad_rows["not-a-number"], "amount"),
            (bad_rows["three-places"], "amount"),
            (bad_rows["too-large"], "amount"),
            (bad_rows["no-amount"], "amount"),
            (bad_rows["unknown-code"], "cost_code"),
            (bad_rows["unknown-type"], "cost_type"),
            (bad_rows["blank-code"], "cost_code"),
            (bad_rows["blank-type"], "cost_type"),
        ]
    )
    said = {e.line: e.message for e in failed.errors}
    assert said[bad_rows["blank-code"]].endswith(
        "the line has no cost code (it is blank in the ERP)."
    )
    assert_untouched(stack, before, version)


def test_a_line_without_a_project_task_is_reimported_as_a_line_without_a_sub_job(
    worker_stack: WorkerStack,
) -> None:
    # Sub jobs are taken as the ERP sends them (docs/domain-rules.md, "ERP lines"): a blank
    # project task is a line without a sub job.
    stack = worker_stack
    stack.erp.put_line(
        ProjectID="P-1001", ProjectTaskID="", CostCode="01-500", AccountGroup="S",
        InventoryID="no-task", Type="Expense", Description="site-wide",
        OriginalBudgetedAmount=Decimal("7.00"),
    )  # fmt: skip
    job = stack.request()
    assert stack.deliver(stack.records(stack.receive())) == []

    assert stack.job(job.job_id).status is JobStatus.SUCCEEDED
    added = [line for line in stack.lines() if line.key == WbsKey("", "01-500", "S")]
    assert [(line.original_budget_amount, line.description) for line in added] == [
        (Decimal("7.00"), "site-wide")
    ]


# One demo company per ERP (docs/erps/README.md), `demo` for Acumatica.
ERP_COMPANIES = ["demo", "myob", "intacct", "cmic", "qbo", "xero", "netsuite", "workday", "yardi",
                 "mri"]  # fmt: skip


@pytest.mark.parametrize("company_id", ERP_COMPANIES)
def test_a_job_the_erp_no_longer_has_fails_the_reimport_and_leaves_the_budget(
    worker_stack: WorkerStack, company_id: str
) -> None:
    """A synced project whose ERP job was deleted (or renamed) in the ERP since it was linked.
    Even with "zero every line" asked for, the ERP's empty answer is not taken for its budget."""
    stack = worker_stack
    company = demo_data.company(company_id)
    world = worlds.stores("moto")
    if company_id != "demo":
        worlds.seed_company(world, company_id, stack.sandbox.url)
    project = dataclasses.replace(company.projects[0], project_id="GONE-1", name="Gone job")
    catalog = CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
    budget, lines = project_budget(company, project, catalog, two_days_ago())
    world.budgets.create_budget(budget, lines)
    held = stack.budgets.get(company_id, "GONE-1")
    before, version = stack.budgets.read_lines(held), held.version
    assert before and any(line.original_budget_amount for line in before)
    standard = next(u.email for u in demo_data.users()
                    if u.permissions.get(company_id, ("none",))[0] in ("standard", "admin"))  # fmt: skip
    job = request_job(wiring.ports(), Identity(standard, standard), company_id, "GONE-1",
                      JobKind.REIMPORT, allow_empty=True)  # fmt: skip

    assert stack.deliver(stack.records(stack.receive())) == []  # failed for good: no retry

    failed = stack.jobs.get(company_id, job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "'GONE-1'" in failed.message and "check" in failed.message
    after = stack.budgets.get(company_id, "GONE-1")
    assert stack.budgets.read_lines(after) == before
    assert after.version == version and after.active_job_id is None


def test_a_transient_erp_failure_returns_the_record_for_a_later_retry(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()
    stack.erp.fault(fail_next=MAX_ATTEMPTS, status=503)  # past the connector's own retries
    messages = stack.receive(visibility=0)
    records = stack.records(messages)
    assert stack.deliver(records) == [records[0]["messageId"]]
    assert stack.job(job.job_id).status is JobStatus.IN_PROGRESS
    assert stack.lines() == before
    assert stack.receive() == [], "the retry was not postponed (backoff)"

    stack.make_visible(messages)  # the backoff has passed
    assert stack.deliver(stack.records(stack.receive())) == []
    assert_applied_once(stack, before, version, job.job_id)


def test_a_transient_failure_on_the_final_receive_fails_the_job(worker_stack: WorkerStack) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    change_in_erp(stack)
    job = stack.request()
    for _ in range(resources.JOB_QUEUE.max_receive_count - 1):
        assert stack.receive(visibility=0)  # earlier receives, whose retries also failed
    last = stack.receive()
    assert last[0]["Attributes"]["ApproximateReceiveCount"] == str(
        resources.JOB_QUEUE.max_receive_count
    )
    stack.erp.fault(fail_next=MAX_ATTEMPTS, status=503)  # past the connector's own retries
    assert stack.deliver(stack.records(last)) == []
    failed = stack.job(job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "nothing was changed" in failed.message
    assert_untouched(stack, before, version)


def test_a_dead_lettered_message_fails_its_job_and_frees_the_budget(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    before, version = stack.lines(), stack.budget().version
    job = stack.request()
    stack.jobs.start(job.company_id, job.job_id, stack.job(job.job_id).requested_at)
    for _ in range(resources.JOB_QUEUE.max_receive_count):
        assert stack.receive(visibility=0)  # every receive ended without deleting it
    assert stack.receive() == []  # SQS moved it to the dead-letter queue
    dead = stack.receive(queue_url=stack.dlq_url)
    assert len(dead) == 1
    answer = stack.deliver_dead_letters(stack.records(dead, queue_url=stack.dlq_url))
    assert answer == {"batchItemFailures": []}
    failed = stack.job(job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "nothing was changed" in failed.message
    assert_untouched(stack, before, version)
    assert stack.request().status is JobStatus.QUEUED  # the budget takes a new request


def test_an_unreadable_dead_letter_is_dropped_while_the_batch_s_real_one_fails_its_job(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    job = stack.request()
    stack.sqs.send_message(QueueUrl=stack.dlq_url, MessageBody="not a job message")
    real = stack.receive()
    stack.sqs.send_message(QueueUrl=stack.dlq_url, MessageBody=real[0]["Body"])
    dead = stack.receive(queue_url=stack.dlq_url)
    assert len(dead) == 2

    answer = stack.deliver_dead_letters(stack.records(dead, queue_url=stack.dlq_url))

    assert answer == {"batchItemFailures": []}  # neither comes back to the dead-letter queue
    assert stack.job(job.job_id).status is JobStatus.FAILED
