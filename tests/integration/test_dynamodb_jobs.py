"""Jobs on DynamoDB (moto): one active job per budget, idempotency keys, failing and listing."""

from __future__ import annotations

import json
import threading
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.dynamodb.base import serialize
from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
from chalicelib.adapters.dynamodb.items import QUEUED_PK, JobItem, to_item
from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
from chalicelib.domain.errors import (
    AlreadyImported,
    BudgetLocked,
    ConcurrentChange,
    InvalidRequest,
    JobInProgress,
    NotFound,
    NotSynced,
)
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    Job,
    JobKind,
    JobStatus,
    LineError,
    Phase,
    Progress,
)

NOW = datetime(2026, 11, 26, 10, 45, tzinfo=UTC)


def budget(budget_id: str = "P-1001", status: BudgetStatus = BudgetStatus.SYNCED) -> Budget:
    return Budget(
        company_id="demo",
        budget_id=budget_id,
        project_id=budget_id,
        project_name="Riverside Medical Center",
        erp_job_id=budget_id,
        erp_system="acumatica",
        status=status,
    )


def job(job_id: str, budget_id: str = "P-1001", minutes: int = 0, kind=JobKind.REIMPORT) -> Job:
    return Job(
        job_id=job_id,
        company_id="demo",
        budget_id=budget_id,
        kind=kind,
        requested_by="standard@demo.test",
        requested_at=NOW + timedelta(minutes=minutes),
    )


@pytest.fixture
def stores(dynamodb_tables):
    budgets = DynamoBudgetStore()
    budgets.create_budget(budget(), [])
    return budgets, DynamoJobStore()


def test_a_second_job_on_the_same_budget_is_refused_with_the_first_jobs_id(stores):
    budgets, jobs = stores
    first = jobs.enqueue(job("job-1"), budgets.get("demo", "P-1001"), None)

    with pytest.raises(JobInProgress) as refused:
        jobs.enqueue(job("job-2"), budgets.get("demo", "P-1001"), None)

    assert refused.value.job_id == first.job_id
    assert budgets.get("demo", "P-1001").active_job_id == "job-1"
    with pytest.raises(NotFound):
        jobs.get("demo", "job-2")


def test_of_four_simultaneous_requests_exactly_one_is_queued(stores, serialized_dynamodb):
    budgets, jobs = stores
    current = budgets.get("demo", "P-1001")
    outcomes: list[object] = []
    gate = threading.Barrier(4)

    def request(n: int) -> None:
        gate.wait()
        try:
            outcomes.append(jobs.enqueue(job(f"job-{n}"), current, None))
        except Exception as error:  # noqa: BLE001 - the test sorts outcomes below
            outcomes.append(error)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    queued = [o for o in outcomes if isinstance(o, Job)]
    assert len(queued) == 1
    assert budgets.get("demo", "P-1001").active_job_id == queued[0].job_id
    assert all(isinstance(o, JobInProgress | ConcurrentChange) for o in outcomes if o not in queued)


def test_a_locked_budget_refuses_a_reimport_naming_the_project(stores):
    budgets, jobs = stores
    locked = budgets.set_locked(budgets.get("demo", "P-1001"), True)

    with pytest.raises(BudgetLocked) as refused:
        jobs.enqueue(job("job-1"), locked, None)

    assert refused.value.message == (
        "The budget for Riverside Medical Center is locked. Unlock the budget to re-import."
    )
    assert budgets.get("demo", "P-1001").active_job_id is None


def test_status_decides_between_import_and_reimport(stores):
    budgets, jobs = stores
    fresh = budgets.create_budget(budget("P-1004", BudgetStatus.READY_TO_IMPORT), [])
    with pytest.raises(NotSynced):
        jobs.enqueue(job("job-1", "P-1004"), fresh, None)
    with pytest.raises(AlreadyImported):
        jobs.enqueue(job("job-2", kind=JobKind.IMPORT), budgets.get("demo", "P-1001"), None)
    assert jobs.enqueue(job("job-3", "P-1004", kind=JobKind.IMPORT), fresh, None).job_id == "job-3"


def test_the_same_idempotency_key_returns_the_same_job(stores):
    budgets, jobs = stores
    current = budgets.get("demo", "P-1001")
    first = jobs.enqueue(job("job-1"), current, "key-A")

    again = jobs.enqueue(job("job-2"), current, "key-A")

    assert again.job_id == first.job_id
    with pytest.raises(NotFound):
        jobs.get("demo", "job-2")
    with pytest.raises(JobInProgress):
        jobs.enqueue(job("job-3"), current, "key-B")


def test_a_released_key_asks_anew_and_a_key_naming_another_job_stays(stores):
    budgets, jobs = stores
    current = budgets.get("demo", "P-1001")
    jobs.enqueue(job("job-1"), current, "key-A")
    jobs.fail(job("job-1"), "could not be queued", [], NOW)  # the budget is free again

    jobs.release_idempotency_key(current, "key-A", "job-9")  # not the job the key names: kept
    assert jobs.enqueue(job("job-2"), current, "key-A").job_id == "job-1"
    jobs.release_idempotency_key(current, "key-A", "job-1")
    jobs.release_idempotency_key(current, "key-A", "job-1")  # gone already: nothing to do

    assert jobs.enqueue(job("job-2"), current, "key-A").job_id == "job-2"
    assert jobs.get("demo", "job-2").status is JobStatus.QUEUED


def test_start_progress_and_fail_release_the_budget(stores):
    budgets, jobs = stores
    queued = jobs.enqueue(job("job-1"), budgets.get("demo", "P-1001"), None)
    started = jobs.start(queued.company_id, queued.job_id, NOW)
    assert (started.status, started.attempts, started.started_at) == (
        JobStatus.IN_PROGRESS, 1, NOW,
    )  # fmt: skip
    jobs.report_progress(started, Progress(phase=Phase.VALIDATING, done=5, total=10))
    assert jobs.get("demo", "job-1").progress == Progress(phase=Phase.VALIDATING, done=5, total=10)

    errors = [LineError(line=1, field="amount", message="T1 / 01 / L: not a number.")]
    failed = jobs.fail(started, "The ERP budget was not applied.", errors, NOW)

    assert failed.status is JobStatus.FAILED
    assert failed.errors == errors
    assert failed.finished_at == NOW
    assert budgets.get("demo", "P-1001").active_job_id is None
    # A finished job is left as it was, and cannot start again.
    assert jobs.fail(failed, "other", [], NOW + timedelta(hours=1)) == failed
    assert jobs.start(failed.company_id, failed.job_id, NOW) == failed
    jobs.report_progress(failed, Progress(phase=Phase.APPLYING))  # ignored
    assert jobs.get("demo", "job-1") == failed


def test_starting_a_job_is_one_round_trip_whatever_its_state(stores, dynamodb_tables):
    """The worker starts the job a message names without reading it first: a queued job starts,
    a finished one comes back as it finished (nothing written), an unknown one is NotFound."""
    budgets, jobs = stores
    queued = jobs.enqueue(job("job-1"), budgets.get("demo", "P-1001"), None)
    calls: list[str] = []
    dynamodb_tables.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )

    started = jobs.start("demo", "job-1", NOW)
    assert (started.status, started.attempts) == (JobStatus.IN_PROGRESS, 1)
    assert calls == ["UpdateItem"]

    finished = jobs.fail(started, "The ERP budget was not applied.", [], NOW)
    calls.clear()
    assert jobs.start("demo", "job-1", NOW + timedelta(minutes=5)) == finished
    assert calls == ["UpdateItem"]
    assert jobs.get("demo", "job-1") == finished

    with pytest.raises(NotFound):
        jobs.start("demo", "no-such-job", NOW)
    assert queued.status is JobStatus.QUEUED


def _unknown_codes(count: int) -> list[LineError]:
    return [
        LineError(
            line=n,
            field="cost_code",
            message=f"The cost code 01-{n % 300:03d} of line {n} "
            "is not in the company's cost catalog.",
        )  # fmt: skip
        for n in range(1, count + 1)
    ]


def _error_items(jobs: DynamoJobStore, job_id: str) -> list[str]:
    answer = jobs.client.query(
        TableName=jobs.jobs_table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :errors)",
        ExpressionAttributeValues={":pk": {"S": f"JOB#demo#{job_id}"}, ":errors": {"S": "ERRORS#"}},
    )
    return [item["sk"]["S"] for item in answer["Items"]]


def test_fail_keeps_every_offending_line_of_a_large_budget(stores):
    budgets, jobs = stores
    queued = jobs.enqueue(job("job-1"), budgets.get("demo", "P-1001"), None)
    errors = _unknown_codes(25_000)

    failed = jobs.fail(queued, "The ERP budget was not applied.", errors, NOW)

    assert failed.errors == errors[:100]  # the job carries the first 100
    assert jobs.errors(failed, 0, 100) == (errors[:100], 25_000)
    assert jobs.errors(failed, 24_990, 1000) == (errors[24_990:], 25_000)
    assert jobs.errors(failed, 0, 30_000) == (errors, 25_000)
    assert failed.message == "The ERP budget was not applied."
    # Chunks as changes have them: each well under DynamoDB's 400 KB item limit.
    assert len(_error_items(jobs, "job-1")) == 25


def test_fail_with_few_errors_keeps_them_on_the_job_item_alone(stores):
    budgets, jobs = stores
    queued = jobs.enqueue(job("job-1"), budgets.get("demo", "P-1001"), None)
    errors = _unknown_codes(100)

    failed = jobs.fail(queued, "The ERP budget was not applied.", errors, NOW)

    assert jobs.errors(failed, 0, 1000) == (errors, 100)
    assert _error_items(jobs, "job-1") == []


def test_a_failure_cut_short_before_the_status_change_is_not_seen_and_a_retry_completes_it(
    stores, monkeypatch
):
    """The error chunks are written first, keyed by the job: a failure that stops before the
    status changes leaves the job running (never failed without its errors), and the retry
    overwrites the same chunks."""
    budgets, jobs = stores
    queued = jobs.enqueue(job("job-1"), budgets.get("demo", "P-1001"), None)
    started = jobs.start("demo", "job-1", NOW)
    errors = _unknown_codes(2_500)
    client = jobs.client
    real = client.transact_write_items

    def stopped(**_: object) -> None:
        raise RuntimeError("the Lambda stopped")

    monkeypatch.setattr(client, "transact_write_items", stopped)
    with pytest.raises(RuntimeError):
        jobs.fail(started, "The ERP budget was not applied.", errors, NOW)
    assert jobs.get("demo", "job-1").status is JobStatus.IN_PROGRESS
    assert budgets.get("demo", "P-1001").active_job_id == "job-1"

    monkeypatch.setattr(client, "transact_write_items", real)
    failed = jobs.fail(started, "The ERP budget was not applied.", errors, NOW)

    assert failed.status is JobStatus.FAILED
    assert jobs.errors(failed, 0, 5_000) == (errors, 2_500)
    assert _error_items(jobs, "job-1") == ["ERRORS#00000", "ERRORS#00001", "ERRORS#00002"]
    assert queued.status is JobStatus.QUEUED


def test_failing_a_finished_job_again_leaves_its_errors_as_they_were(stores):
    budgets, jobs = stores
    queued = jobs.enqueue(job("job-1"), budgets.get("demo", "P-1001"), None)
    errors = _unknown_codes(1_500)
    failed = jobs.fail(queued, "The ERP budget was not applied.", errors, NOW)

    again = jobs.fail(failed, "Other.", _unknown_codes(3_000)[1_500:], NOW + timedelta(hours=1))

    assert again == failed
    assert jobs.errors(failed, 0, 5_000) == (errors, 1_500)
    assert len(_error_items(jobs, "job-1")) == 2


def test_a_job_failed_before_errors_were_chunked_still_reads(stores):
    """An item of the old layout: every error (at most 10,000) compressed on the job item, no
    count. It answers its first 100 and pages them all."""
    _, jobs = stores
    old = to_item(JobItem.from_job(job("job-old").model_copy(update={
        "status": JobStatus.FAILED, "finished_at": NOW, "message": "Not applied."})))  # fmt: skip
    errors = _unknown_codes(10_000)
    old["errors"] = zlib.compress(json.dumps([e.model_dump() for e in errors]).encode(), 6)
    jobs.client.put_item(TableName=jobs.jobs_table, Item=serialize(old))

    read = jobs.get("demo", "job-old")

    assert read.errors == errors[:100]
    assert jobs.errors(read, 0, 100) == (errors[:100], 10_000)
    assert jobs.errors(read, 9_950, 1000) == (errors[9_950:], 10_000)


def test_fail_of_a_job_the_budget_no_longer_names_just_finishes_the_job(stores):
    budgets, jobs = stores
    stray = job("job-stray")
    jobs.enqueue(job("job-1"), budgets.get("demo", "P-1001"), None)
    # a job record whose budget does not name it (e.g. released by an earlier fail)
    jobs.client.put_item(
        TableName=jobs.jobs_table, Item=serialize(to_item(JobItem.from_job(stray)))
    )

    failed = jobs.fail(stray, "Lost.", [], NOW)

    assert failed.status is JobStatus.FAILED
    assert budgets.get("demo", "P-1001").active_job_id == "job-1"


def test_list_is_newest_first_per_company_or_budget_with_cursors(stores):
    budgets, jobs = stores
    budgets.create_budget(budget("P-1003"), [])
    for n in range(5):
        budget_id = "P-1001" if n % 2 == 0 else "P-1003"
        queued = jobs.enqueue(job(f"job-{n}", budget_id, minutes=n), budgets.get("demo", budget_id),
                              None)  # fmt: skip
        jobs.fail(queued, "done", [], NOW)

    first = jobs.list("demo", None, 2, None)
    second = jobs.list("demo", None, 2, first.next_cursor)
    third = jobs.list("demo", None, 2, second.next_cursor)
    assert [j.job_id for j in first.items + second.items + third.items] == [
        "job-4", "job-3", "job-2", "job-1", "job-0",
    ]  # fmt: skip
    assert [j.job_id for j in jobs.list("demo", "P-1003", 10, None).items] == ["job-3", "job-1"]
    assert jobs.list("other", None, 10, None).items == []
    for garbage in ("nonsense", "eyJhIjoxfQ", second.next_cursor[:-3]):
        with pytest.raises(InvalidRequest):
            jobs.list("demo", None, 2, garbage)
    with pytest.raises(InvalidRequest):
        jobs.list("other", None, 2, first.next_cursor)


def test_jobs_stored_before_their_keys_had_microseconds_still_list_in_their_place(stores):
    """A job written when the index keys were `<second>#<job_id>` (and `requested_at` was to the
    second) stays readable and keeps its place: after a newer job of its own second."""
    budgets, jobs = stores
    before = "2026-11-26T10:45:00Z#job-old"  # NOW, as the keys were written then
    stored = JobItem.from_job(job("job-old")).model_dump(exclude_none=True)
    stored |= {"requested_at": "2026-11-26T10:45:00Z", "gsi1sk": before, "gsi2sk": before,
               "queued_pk": QUEUED_PK, "queued_sk": before}  # fmt: skip
    jobs.client.put_item(TableName=jobs.jobs_table, Item=serialize(stored))
    for budget_id in ("P-1003", "P-1005"):
        budgets.create_budget(budget(budget_id), [])
    # `job-0` sorts before `job-old`: by id alone it would list after it.
    same_second = job("job-0", "P-1003").model_copy(
        update={"requested_at": NOW + timedelta(milliseconds=1)}
    )
    jobs.enqueue(same_second, budgets.get("demo", "P-1003"), None)
    jobs.enqueue(job("job-1", "P-1005", minutes=1), budgets.get("demo", "P-1005"), None)

    listed, cursor = [], None
    for _ in range(3):
        page = jobs.list("demo", None, 1, cursor)
        listed += [j.job_id for j in page.items]
        cursor = page.next_cursor

    assert listed == ["job-1", "job-0", "job-old"]
    assert [(j.job_id, j.requested_at) for j in jobs.list("demo", "P-1001", 5, None).items] == [
        ("job-old", NOW)
    ]
    assert [j.job_id for j in jobs.abandoned(NOW + timedelta(seconds=1))] == ["job-old", "job-0"]


def test_abandoned_finds_old_queued_jobs_only(stores):
    budgets, jobs = stores
    budgets.create_budget(budget("P-1003"), [])
    jobs.enqueue(job("old", minutes=0), budgets.get("demo", "P-1001"), None)
    started = jobs.enqueue(job("new", "P-1003", minutes=30), budgets.get("demo", "P-1003"), None)
    jobs.start(started.company_id, started.job_id, NOW)

    assert [j.job_id for j in jobs.abandoned(NOW + timedelta(hours=1))] == ["old"]
    assert jobs.abandoned(NOW - timedelta(hours=1)) == []
