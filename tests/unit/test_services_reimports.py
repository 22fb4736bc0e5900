"""Requesting and running re-imports (services/reimports.py) on the in-memory ports."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest

from chalicelib.domain.errors import (
    AlreadyImported,
    BudgetLocked,
    ErpRejected,
    ErpUnavailable,
    InvalidRequest,
    JobInProgress,
    NotFound,
    NotSynced,
    PermissionDenied,
    ServiceUnavailable,
)
from chalicelib.domain.model import (
    AutoReimport,
    BudgetStatus,
    ErpSettings,
    JobKind,
    JobStatus,
    Phase,
    Progress,
    Summary,
    WbsKey,
)
from chalicelib.domain.ports import JobMessage
from chalicelib.services import reimports
from chalicelib.services.jobs import list_jobs
from chalicelib.services.ports import Ports
from chalicelib.services.reimports import (
    enqueue_due_reimports,
    fail_dead_letter,
    request_job,
    request_preview,
    resend_abandoned,
    run_job,
)
from devstack import memory
from tests.fixtures.services import (
    COMPANY,
    K1,
    K2,
    K3,
    K4,
    OTHER_COMPANY,
    OUTSIDER,
    READY,
    START,
    SYNCED,
    World,
    erp_changed,
    erp_line,
    me,
    synced_lines,
    world,
)

D = Decimal


def request(w: World, email: str = "standard@acme.test", budget_id: str = SYNCED, **kw):  # type: ignore[no-untyped-def]
    kind = kw.pop("kind", JobKind.REIMPORT)
    return request_job(w.ports, me(email), COMPANY, budget_id, kind, **kw)


def message_for(job) -> JobMessage:  # type: ignore[no-untyped-def]
    return JobMessage(job_id=job.job_id, company_id=job.company_id, budget_id=job.budget_id)


def run(w: World, job, *, final_attempt: bool = False):  # type: ignore[no-untyped-def]
    return run_job(w.ports, message_for(job), final_attempt=final_attempt)


def assert_untouched(w: World) -> None:
    assert w.lines() == synced_lines()
    assert w.budget().total == D("1750.00")


# --- requesting ------------------------------------------------------------------------------


def test_a_request_records_a_queued_job_and_sends_its_message() -> None:
    w = world()
    job = request(w)
    assert job.status is JobStatus.QUEUED
    assert (job.company_id, job.budget_id, job.kind) == (COMPANY, SYNCED, JobKind.REIMPORT)
    assert job.requested_by == "standard@acme.test"
    assert w.ports.jobs.get(COMPANY, job.job_id).status is JobStatus.QUEUED
    assert w.sent == [message_for(job)]
    assert w.budget().active_job_id == job.job_id


def test_two_requests_within_one_second_list_newest_first() -> None:
    w = world()
    w.clock.now = START + timedelta(milliseconds=200)
    ids = count(9, -1)  # a later request's id sorts first
    w.ports.new_id = lambda: f"job-{next(ids)}"
    first = request(w)
    w.clock.advance(milliseconds=500)  # the same second
    second = request(w, budget_id=READY, kind=JobKind.IMPORT)

    listed = list_jobs(w.ports, me("readonly@acme.test"), COMPANY, None, 10, None)

    assert second.job_id < first.job_id
    assert [job.job_id for job, _ in listed.items] == [second.job_id, first.job_id]


def test_the_clock_a_request_reads_keeps_the_time_below_the_second() -> None:
    # What orders two requests of one second (the chance of three readings each landing on a
    # whole second is one in 10^18).
    assert any(Ports.clock() != Ports.clock().replace(microsecond=0) for _ in range(3))


def test_a_second_request_answers_job_in_progress_with_the_first_jobs_id() -> None:
    w = world()
    first = request(w)
    with pytest.raises(JobInProgress) as refused:
        request(w, "admin@acme.test")
    assert refused.value.job_id == first.job_id
    assert len(w.sent) == 1


def test_a_locked_budget_cannot_be_requested() -> None:
    w = world()
    w.set_locked(True)
    with pytest.raises(BudgetLocked, match="Unlock the budget"):
        request(w)
    assert w.sent == []
    assert w.budget().active_job_id is None


def test_a_budget_not_yet_imported_cannot_be_reimported() -> None:
    w = world()
    with pytest.raises(NotSynced):
        request(w, budget_id=READY)
    assert w.sent == []


def test_a_synced_budget_cannot_be_imported_again() -> None:
    w = world()
    with pytest.raises(AlreadyImported):
        request(w, kind=JobKind.IMPORT)


@pytest.mark.parametrize("email", ["readonly@acme.test", "none@acme.test"])
def test_below_standard_cannot_request_a_reimport(email: str) -> None:
    w = world()
    with pytest.raises(PermissionDenied):
        request(w, email)
    assert w.sent == []
    assert w.budget().active_job_id is None


def test_another_companys_member_is_told_the_company_does_not_exist() -> None:
    w = world()
    with pytest.raises(NotFound):
        request(w, OUTSIDER)
    with pytest.raises(NotFound):
        request_job(w.ports, me("standard@acme.test"), OTHER_COMPANY, SYNCED, JobKind.REIMPORT)


def test_an_unknown_budget_is_not_found() -> None:
    w = world()
    with pytest.raises(NotFound):
        request(w, budget_id="P-404")


def test_the_same_idempotency_key_answers_the_same_job() -> None:
    w = world()
    first = request(w, idempotency_key="click-1")
    again = request(w, idempotency_key="click-1")
    assert again.job_id == first.job_id
    assert len(w.sent) == 1


def test_a_key_replayed_after_its_job_ran_answers_that_job_whatever_the_budget_says_now() -> None:
    w = world(erp_changed())
    preview = request_preview(w.ports, me(), COMPANY, SYNCED)
    run(w, preview)
    applied = request(w, idempotency_key="click-1", preview_job_id=preview.job_id)
    run(w, applied)  # the budget's version moved past the preview's
    plain = request(w, idempotency_key="click-2")
    run(w, plain)
    w.ports.budgets.unlink(w.budget())  # and the project was unlinked since

    # The answers were lost on the way; the client sends the very same requests again.
    assert request(w, idempotency_key="click-1", preview_job_id=preview.job_id).job_id == (
        applied.job_id
    )
    w.clock.advance(minutes=61)  # the preview has expired by now too
    assert request(w, idempotency_key="click-1", preview_job_id=preview.job_id).job_id == (
        applied.job_id
    )
    assert request(w, idempotency_key="click-2").job_id == plain.job_id
    assert len(w.sent) == 3  # the preview and the two jobs: no replay queued anything


def test_a_key_whose_job_could_not_be_queued_asks_anew_when_the_person_tries_again() -> None:
    w = world()
    queue = w.ports.queue
    assert isinstance(queue, memory.MemoryJobQueue)
    queue.available = False
    with pytest.raises(ServiceUnavailable):
        request(w, idempotency_key="click-1")
    (failed,) = w.ports.jobs.list(COMPANY, SYNCED, 10, None).items
    assert failed.status is JobStatus.FAILED and "try again" in failed.message
    queue.available = True

    again = request(w, idempotency_key="click-1")  # as the answer told them

    assert again.job_id != failed.job_id and again.status is JobStatus.QUEUED
    assert [m.job_id for m in w.sent] == [again.job_id]
    assert request(w, idempotency_key="click-1").job_id == again.job_id  # the key holds it now


@pytest.mark.parametrize("key", ["", "x" * 129, "tab\there"])
def test_a_malformed_idempotency_key_is_refused(key: str) -> None:
    w = world()
    with pytest.raises(InvalidRequest):
        request(w, idempotency_key=key)
    assert w.sent == []


# --- running ---------------------------------------------------------------------------------


def test_running_a_job_applies_the_erp_amounts_and_keeps_units() -> None:
    w = world(erp_changed())
    job = request(w)
    result = run(w, job)
    finished = w.ports.jobs.get(COMPANY, job.job_id)
    assert finished.status is JobStatus.SUCCEEDED
    assert finished.message == "Successfully Re-imported to Budget Bridge"
    assert finished.summary == Summary(
        lines_updated=1, lines_added=1, lines_zeroed=1, lines_unchanged=1
    )
    assert result.lines_applied == 3
    lines = {line.key: line for line in w.lines()}
    assert {k: v.original_budget_amount for k, v in lines.items()} == {
        K1: D("1200.50"),
        K2: D("500.00"),
        K3: D("0.00"),
        K4: D("75.25"),
    }
    assert (lines[K1].description, lines[K1].uom, lines[K1].quantity, lines[K1].unit_cost) == (
        "Concrete labor",
        "HR",
        D("40"),
        D("25.00"),
    )
    assert lines[K4].description == "Formwork material"
    budget = w.budget()
    assert budget.total == D("1775.75")
    assert budget.line_count == 4
    assert budget.active_job_id is None
    assert budget.last_synced_at == w.clock.now
    changes = w.ports.jobs.changes(finished, 0, 100)
    assert [(c.key, c.old_amount, c.new_amount) for c in changes] == [
        (K1, D("1000.00"), D("1200.50")),
        (K4, None, D("75.25")),
        (K3, D("250.00"), D("0.00")),
    ]


def test_a_reimport_that_changes_nothing_succeeds_and_says_so() -> None:
    w = world()
    job = request(w)
    run(w, job)
    finished = w.ports.jobs.get(COMPANY, job.job_id)
    assert finished.status is JobStatus.SUCCEEDED
    # The success sentence is the one of every re-import (rule 9); the summary says nothing changed.
    assert finished.message == "Successfully Re-imported to Budget Bridge"
    assert finished.summary == Summary(lines_unchanged=3)
    assert finished.change_count == 0
    assert w.lines() == synced_lines()


def test_an_import_creates_the_lines_and_marks_the_budget_synced() -> None:
    w = world(erp_changed())
    job = request(w, budget_id=READY, kind=JobKind.IMPORT)
    run(w, job)
    finished = w.ports.jobs.get(COMPANY, job.job_id)
    assert finished.status is JobStatus.SUCCEEDED
    assert finished.message == "Successfully Imported to Budget Bridge"
    assert w.amounts(READY) == {K1: D("1200.50"), K2: D("500.00"), K4: D("75.25")}
    assert w.budget(READY).status is BudgetStatus.SYNCED
    assert w.erp.fetches == [READY]


def test_running_the_same_message_twice_applies_the_budget_once() -> None:
    w = world(erp_changed())
    job = request(w)
    first = run(w, job)
    after_first = (w.lines(), w.budget().version, w.budget().total)
    second = run(w, job)
    assert not first.already_finished
    assert second.already_finished
    assert second.job.status is JobStatus.SUCCEEDED
    assert (w.lines(), w.budget().version, w.budget().total) == after_first
    assert w.erp.fetches == [SYNCED]


def test_a_lock_set_after_the_request_fails_the_job_and_changes_nothing() -> None:
    w = world(erp_changed())
    job = request(w)
    w.set_locked(True)
    run(w, job)
    failed = w.ports.jobs.get(COMPANY, job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "locked" in failed.message and "nothing was changed" in failed.message
    assert_untouched(w)
    assert w.budget().active_job_id is None


def test_a_lock_set_while_the_erp_answers_fails_the_job_and_changes_nothing() -> None:
    w = world(erp_changed())
    job = request(w)
    w.erp.before_answer = lambda: w.set_locked(True)
    run(w, job)
    failed = w.ports.jobs.get(COMPANY, job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "locked" in failed.message
    assert_untouched(w)


def test_a_transient_erp_failure_is_raised_for_a_retry_and_the_job_stays_open() -> None:
    w = world(erp_changed())
    job = request(w)
    w.erp.failures.append(ErpUnavailable("The ERP did not answer in time."))
    with pytest.raises(ErpUnavailable):
        run(w, job, final_attempt=False)
    assert w.ports.jobs.get(COMPANY, job.job_id).status is JobStatus.IN_PROGRESS
    assert_untouched(w)
    run(w, job, final_attempt=False)  # the redelivery
    assert w.ports.jobs.get(COMPANY, job.job_id).status is JobStatus.SUCCEEDED
    assert w.amounts()[K1] == D("1200.50")


def test_a_transient_erp_failure_on_the_final_attempt_fails_the_job() -> None:
    w = world(erp_changed())
    job = request(w)
    w.erp.failures.append(ErpUnavailable("The ERP did not answer in time."))
    result = run(w, job, final_attempt=True)
    failed = w.ports.jobs.get(COMPANY, job.job_id)
    assert result.job.status is failed.status is JobStatus.FAILED
    assert "The ERP did not answer in time." in failed.message
    assert "nothing was changed" in failed.message
    assert_untouched(w)
    assert w.budget().active_job_id is None


def test_an_erp_rejection_fails_the_job_with_its_sentence() -> None:
    w = world(erp_changed())
    job = request(w)
    w.erp.failures.append(ErpRejected("The ERP refused the stored credentials."))
    run(w, job)
    failed = w.ports.jobs.get(COMPANY, job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "The ERP refused the stored credentials." in failed.message
    assert_untouched(w)
    assert w.budget().active_job_id is None


def test_invalid_erp_data_fails_the_job_listing_every_offending_line() -> None:
    w = world(
        [
            erp_line(1, K1, D("1.00")),
            erp_line(2, K2, D("NaN")),
            erp_line(3, K3, "1.005"),
            erp_line(4, K1.__class__("T1", "77-777", "L"), D("5.00")),
            erp_line(5, K1.__class__("T1", "01-100", "Q"), 2.5),
        ]
    )
    job = request(w)
    run(w, job)
    failed = w.ports.jobs.get(COMPANY, job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "4 lines failed validation" in failed.message
    assert [(e.line, e.field) for e in failed.errors] == [
        (2, "amount"),
        (3, "amount"),
        (4, "cost_code"),
        (5, "amount"),
        (5, "cost_type"),
    ]
    assert_untouched(w)
    assert w.budget().active_job_id is None


def test_a_failed_job_releases_the_budget_for_a_new_request() -> None:
    w = world(erp_changed())
    job = request(w)
    w.erp.failures.append(ErpRejected("No such project in the ERP."))
    run(w, job)
    retry = request(w)
    assert retry.job_id != job.job_id
    run(w, retry)
    assert w.ports.jobs.get(COMPANY, retry.job_id).status is JobStatus.SUCCEEDED


# --- the dead-letter queue ---------------------------------------------------------------------


def test_a_dead_lettered_job_fails_and_releases_its_budget() -> None:
    w = world(erp_changed())
    job = request(w)
    w.erp.failures.append(ErpUnavailable("timeout"))
    with pytest.raises(ErpUnavailable):
        run(w, job)
    failed = fail_dead_letter(w.ports, message_for(job))
    assert failed.status is JobStatus.FAILED
    assert w.ports.jobs.get(COMPANY, job.job_id).status is JobStatus.FAILED
    assert "nothing was changed" in failed.message
    assert_untouched(w)
    retry = request(w)
    assert retry.status is JobStatus.QUEUED


def test_a_dead_lettered_job_says_why_its_attempts_ran_out_as_far_as_it_knows() -> None:
    w = world(erp_changed())
    waited = request(w)
    w.erp.failures.append(ErpUnavailable("The ERP answered 503 Service Unavailable."))
    with pytest.raises(ErpUnavailable):
        run(w, waited)
    stopped = request(w, budget_id=READY, kind=JobKind.IMPORT)
    w.ports.jobs.start(COMPANY, stopped.job_id, w.clock())  # then the worker timed out, silently

    after_waiting = fail_dead_letter(w.ports, message_for(waited)).message
    after_stopping = fail_dead_letter(w.ports, message_for(stopped)).message

    assert "the last attempt failed: The ERP answered 503 Service Unavailable" in after_waiting
    assert "each attempt stopped before it finished" in after_stopping
    assert "ERP" not in after_stopping  # a worker that stopped says nothing about the ERP


def test_a_dead_letter_for_a_finished_job_leaves_it_as_it_was() -> None:
    w = world(erp_changed())
    job = request(w)
    run(w, job)
    assert fail_dead_letter(w.ports, message_for(job)).status is JobStatus.SUCCEEDED
    assert w.ports.jobs.get(COMPANY, job.job_id).status is JobStatus.SUCCEEDED


# --- the schedule ------------------------------------------------------------------------------


def enable_schedule(w: World, every_hours: int = 24, company_id: str = COMPANY) -> None:
    w.ports.directory.save_erp_settings(
        company_id, ErpSettings(auto_reimport=AutoReimport(enabled=True, every_hours=every_hours))
    )


def test_the_schedule_does_nothing_for_a_company_that_did_not_enable_it() -> None:
    w = world()
    assert enqueue_due_reimports(w.ports) == []
    assert w.sent == []


def test_the_schedule_reimports_synced_budgets_whose_interval_elapsed() -> None:
    w = world()
    enable_schedule(w, every_hours=24)  # last synced two days ago
    queued = enqueue_due_reimports(w.ports)
    assert [(j.budget_id, j.kind, j.requested_by) for j in queued] == [
        (SYNCED, JobKind.REIMPORT, "schedule")
    ]
    assert w.sent == [message_for(queued[0])]


def test_the_schedule_waits_for_the_interval() -> None:
    w = world()
    enable_schedule(w, every_hours=24 * 3)  # last synced two days ago
    assert enqueue_due_reimports(w.ports) == []
    w.clock.advance(days=1, minutes=1)
    assert [j.budget_id for j in enqueue_due_reimports(w.ports)] == [SYNCED]


def test_a_scheduled_reimport_that_failed_waits_an_interval_before_the_next_try() -> None:
    # A failed job leaves last_synced_at as it was: without counting from the request, the
    # budget would be queued again at every run (every 15 minutes in AWS), a sign-in each time.
    w = world([erp_line(1, WbsKey("T1", "77-777", "L"), D("10.00"))])  # a code the company lacks
    enable_schedule(w, every_hours=24)
    (job,) = enqueue_due_reimports(w.ports)
    assert run(w, job).job.status is JobStatus.FAILED

    w.clock.advance(minutes=15)
    assert enqueue_due_reimports(w.ports) == []
    w.clock.advance(hours=23, minutes=46)
    assert [j.budget_id for j in enqueue_due_reimports(w.ports)] == [SYNCED]


def test_a_person_s_failed_reimport_does_not_hold_the_budget_back_from_the_schedule() -> None:
    # Only the schedule's own failures count: it does not wait a day because of a person's job.
    w = world([erp_line(1, WbsKey("T1", "77-777", "L"), D("10.00"))])
    enable_schedule(w, every_hours=24)  # last synced two days ago
    assert run(w, request(w)).job.status is JobStatus.FAILED
    assert w.budget().last_failed_at is None

    assert [j.budget_id for j in enqueue_due_reimports(w.ports)] == [SYNCED]


def test_the_schedule_skips_locked_budgets_and_budgets_with_a_running_job() -> None:
    w = world()
    enable_schedule(w)
    w.set_locked(True)
    assert enqueue_due_reimports(w.ports) == []
    w.set_locked(False)
    running = request(w)
    assert enqueue_due_reimports(w.ports) == []
    assert w.sent == [message_for(running)]


def test_a_scheduled_reimport_runs_like_a_requested_one() -> None:
    w = world(erp_changed())
    enable_schedule(w)
    (job,) = enqueue_due_reimports(w.ports)
    run(w, job)
    assert w.ports.jobs.get(COMPANY, job.job_id).status is JobStatus.SUCCEEDED
    assert w.amounts()[K1] == D("1200.50")
    assert enqueue_due_reimports(w.ports) == []  # just synced: not due again yet


def test_the_schedule_sends_its_messages_in_batches_not_one_call_each() -> None:
    w = world()
    enable_schedule(w)
    (job,) = enqueue_due_reimports(w.ports)
    queue = w.ports.queue
    assert isinstance(queue, memory.MemoryJobQueue)
    assert queue.batches == [1]
    assert w.sent == [message_for(job)]
    log = w.ports.audit
    assert isinstance(log, memory.MemoryAuditLog)
    assert [(e.actor, e.action, e.details["job_id"]) for e in log.events] == [
        ("schedule", "reimport.requested", job.job_id)
    ]


def test_the_schedule_records_a_company_s_due_budgets_fifty_at_a_time() -> None:
    w = world()
    enable_schedule(w)
    synced = w.budget()
    for n in range(119):  # with SYNCED: 120 due budgets, more than a listing page of 100
        w.ports.budgets.create_budget(
            synced.model_copy(update={"budget_id": f"S-{n:03}", "project_id": f"S-{n:03}"}), []
        )
    steps: list[int] = []
    recorded = w.ports.jobs.enqueue_all

    def counted(jobs):  # type: ignore[no-untyped-def]
        steps.append(len(jobs))
        return recorded(jobs)

    w.ports.jobs.enqueue_all = counted  # type: ignore[method-assign]
    queued = enqueue_due_reimports(w.ports)
    # As many jobs as one transaction holds; the steps run side by side, so in any order.
    assert sorted(steps) == [20, 50, 50]
    assert len({j.budget_id for j in queued}) == 120
    assert sorted(m.job_id for m in w.sent) == sorted(j.job_id for j in queued)
    assert enqueue_due_reimports(w.ports) == []


def test_a_scheduled_job_the_queue_refused_ends_failed_and_frees_its_budget() -> None:
    w = world()
    enable_schedule(w)
    queue = w.ports.queue
    assert isinstance(queue, memory.MemoryJobQueue)
    queue.available = False
    assert enqueue_due_reimports(w.ports) == []
    (failed,) = w.ports.jobs.list(COMPANY, SYNCED, 10, None).items
    assert failed.status is JobStatus.FAILED
    assert "could not be queued" in failed.message
    assert w.budget().active_job_id is None  # the next round may try again
    queue.available = True
    assert [j.budget_id for j in enqueue_due_reimports(w.ports)] == [SYNCED]


# --- lost messages -----------------------------------------------------------------------------


def test_a_queued_job_whose_message_was_lost_is_sent_again_later() -> None:
    w = world()
    job = request(w)
    w.sent.clear()  # the message never arrived
    assert resend_abandoned(w.ports) == []  # too recent to call abandoned
    w.clock.advance(minutes=reimports.ABANDONED_AFTER.total_seconds() / 60 + 1)
    assert [j.job_id for j in resend_abandoned(w.ports)] == [job.job_id]
    assert w.sent == [message_for(job)]


def test_a_started_job_is_not_sent_again() -> None:
    w = world()
    job = request(w)
    run(w, job)
    w.sent.clear()
    w.clock.advance(hours=1)
    resend_abandoned(w.ports)
    assert w.sent == []


# --- progress --------------------------------------------------------------------------------


def _progress_written(w: World) -> list[Phase]:
    written: list[Phase] = []
    report = w.ports.jobs.report_progress

    def record(job, progress):  # type: ignore[no-untyped-def]
        written.append(progress.phase)
        report(job, progress)

    w.ports.jobs.report_progress = record  # type: ignore[method-assign]
    return written


def test_a_quick_job_writes_no_progress_between_its_start_and_its_end() -> None:
    w = world(erp_changed())
    written = _progress_written(w)

    done = run(w, request(w)).job

    assert done.status is JobStatus.SUCCEEDED
    assert written == []  # the start and the success carry the phase the web app shows


def test_a_slow_job_writes_its_progress_at_most_once_per_interval() -> None:
    w = world(erp_changed())
    written = _progress_written(w)
    # The ERP takes longer than the interval to answer: its page is reported, then the next
    # phases follow within the interval and are not written.
    w.erp.before_answer = lambda: w.clock.advance(seconds=reimports.PROGRESS_EVERY_SECONDS + 1)

    done = run(w, request(w)).job

    assert done.status is JobStatus.SUCCEEDED
    assert written == [Phase.FETCHING]


def test_progress_while_fetching_counts_the_lines_so_far_against_no_known_total() -> None:
    """No ERP says how many lines are coming: a total equal to the lines fetched so far would
    draw a full progress bar for the whole fetch."""
    w = world(erp_changed())
    reported: list[Progress] = []
    report = w.ports.jobs.report_progress

    def record(job, progress):  # type: ignore[no-untyped-def]
        reported.append(progress)
        report(job, progress)

    w.ports.jobs.report_progress = record  # type: ignore[method-assign]
    w.erp.before_answer = lambda: w.clock.advance(seconds=reimports.PROGRESS_EVERY_SECONDS + 1)

    done = run(w, request(w)).job

    assert done.status is JobStatus.SUCCEEDED
    (fetching,) = [p for p in reported if p.phase is Phase.FETCHING]
    assert fetching.done > 0 and fetching.total == 0
