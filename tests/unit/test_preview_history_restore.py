"""Preview, history and restore (services/reimports.py, services/history.py) on in-memory ports.

The same behaviours run through the real DynamoDB adapters and SQS in
tests/integration/test_worker_preview_restore.py.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import resources
from chalicelib.adapters.dynamodb.budgets import KEEP_AT_LEAST
from chalicelib.domain.errors import (
    AlreadyImported,
    BudgetLocked,
    ErpUnavailable,
    JobInProgress,
    NotFound,
    NotSynced,
    PermissionDenied,
    PreviewExpired,
    PreviewStale,
    PreviewWrongKind,
    ServiceUnavailable,
)
from chalicelib.domain.model import (
    ErpLine,
    JobKind,
    JobStatus,
    LineKind,
    Permission,
    Totals,
    VersionSource,
    WbsKey,
)
from chalicelib.domain.ports import JobMessage, LineEdit
from chalicelib.services import budgets, history, jobs
from chalicelib.services.reimports import (
    fail_dead_letter,
    request_job,
    request_preview,
    run_job,
)
from tests.fixtures.services import (
    COMPANY,
    K1,
    K2,
    K3,
    K4,
    READY,
    SYNCED,
    World,
    erp_changed,
    erp_line,
    me,
    synced_lines,
    world,
)

D = Decimal
ADMIN = "admin@acme.test"


def run(w: World, job):  # type: ignore[no-untyped-def]
    message = JobMessage(job_id=job.job_id, company_id=job.company_id, budget_id=job.budget_id)
    return run_job(w.ports, message, final_attempt=False).job


def preview(w: World, budget_id: str = SYNCED, allow_empty: bool = False):  # type: ignore[no-untyped-def]
    return run(w, request_preview(w.ports, me(), COMPANY, budget_id, allow_empty=allow_empty))


def apply(w: World, preview_job, kind: JobKind = JobKind.REIMPORT, allow_empty: bool = False):  # type: ignore[no-untyped-def]
    return request_job(
        w.ports, me(), COMPANY, preview_job.budget_id, kind, preview_job_id=preview_job.job_id,
        allow_empty=allow_empty,
    )  # fmt: skip


def changes_of(w: World, job) -> list:  # type: ignore[no-untyped-def,type-arg]
    fresh = w.ports.jobs.get(COMPANY, job.job_id)
    return [
        (c.key, c.kind, c.old_amount, c.new_amount)
        for c in w.ports.jobs.changes(fresh, 0, fresh.change_count)
    ]


def project_id(w: World) -> str:
    return w.budget().project_id


# --- preview ---------------------------------------------------------------------------------


def test_a_preview_plans_the_reimport_with_its_totals_and_changes_nothing() -> None:
    w = world(erp_changed())
    before = (w.budget(), w.lines())

    done = preview(w)

    assert done.kind is JobKind.PREVIEW and done.status is JobStatus.SUCCEEDED
    assert done.totals is not None
    assert (done.totals.current_erp_total, done.totals.current_total, done.totals.new_total) == (
        D("1775.75"),
        D("1750.00"),
        D("1775.75"),
    )
    assert done.summary is not None
    assert (done.summary.lines_updated, done.summary.lines_added, done.summary.lines_zeroed) == (
        1,
        1,
        1,
    )
    assert {c[0] for c in changes_of(w, done)} == {K1, K3, K4}
    assert (w.budget().version, w.lines()) == (before[0].version, before[1])
    assert w.budget().active_job_id is None  # the preview holds nothing
    assert w.budget().current_erp_total == D("1775.75")
    assert w.budget().erp_total_as_of == w.clock.now


def test_a_preview_of_bad_erp_lines_fails_listing_them_and_changes_nothing() -> None:
    w = world([erp_line(1, K1, "12.345"), erp_line(2, WbsKey("T1", "77-777", "L"), D("1"))])

    done = preview(w)

    assert done.status is JobStatus.FAILED
    assert {e.line for e in done.errors} == {1, 2}
    assert w.lines() == synced_lines()


def test_a_preview_of_a_locked_budget_fails_with_the_refusal_its_apply_gets_and_changes_nothing() -> (
    None
):
    w = world(erp_changed())
    w.set_locked(True)
    before = (w.budget().version, w.lines())

    done = preview(w)

    with pytest.raises(BudgetLocked) as refused:
        request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT)
    assert (done.status, done.error_code) == (JobStatus.FAILED, "budget_locked")
    sentence = "The budget for Riverside Medical is locked. Unlock the budget to re-import."
    assert done.message == refused.value.message == sentence
    assert (done.basis, done.change_count) == (None, 0)  # nothing that could be applied
    assert (w.budget().version, w.lines()) == before


def test_a_preview_of_a_locked_ready_to_import_budget_names_the_import() -> None:
    w = world(erp_changed())
    w.set_locked(True, READY)

    done = preview(w, READY)

    assert (done.status, done.error_code) == (JobStatus.FAILED, "budget_locked")
    assert done.message.endswith("Unlock the budget to import.")


def test_a_preview_while_another_job_holds_the_budget_fails_as_its_apply_would() -> None:
    w = world(erp_changed())
    running = request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT)

    done = preview(w)

    assert (done.status, done.error_code) == (JobStatus.FAILED, "job_in_progress")
    assert "wait for it to finish" in done.message
    assert w.budget().active_job_id == running.job_id  # the other job still holds it


def test_a_preview_of_a_ready_to_import_budget_plans_the_import_and_applies_as_one() -> None:
    w = world(erp_changed())
    done = preview(w, READY)
    assert done.basis is not None and done.basis.planned_kind is JobKind.IMPORT

    job = run(w, apply(w, done, JobKind.IMPORT))

    assert job.status is JobStatus.SUCCEEDED, job.message
    assert job.message == "Successfully Imported to Budget Bridge"
    assert changes_of(w, job) == changes_of(w, done)


def test_applying_a_preview_makes_exactly_its_changes_and_carries_totals() -> None:
    w = world(erp_changed())
    done = preview(w)

    job = run(w, apply(w, done))

    assert job.status is JobStatus.SUCCEEDED, job.message
    assert job.preview_job_id == done.job_id
    assert changes_of(w, job) == changes_of(w, done)
    assert job.totals == done.totals
    assert w.budget().total == D("1775.75")


def test_a_line_edit_after_the_preview_makes_applying_it_a_409_preview_stale() -> None:
    w = world(erp_changed())
    done = preview(w)
    budgets.edit_line(
        w.ports, me(), COMPANY, project_id(w), K2.line_item_id, LineEdit(description="Rebar #5")
    )

    with pytest.raises(PreviewStale):
        apply(w, done)
    assert w.budget().active_job_id is None


@pytest.mark.parametrize("key", [None, "click-1"])
def test_the_budget_s_own_refusal_comes_before_anything_about_the_preview(key: str | None) -> None:
    w = world(erp_changed())
    of_ready, of_synced = preview(w, READY), preview(w)

    def ask(budget_id: str, kind: JobKind, preview_job_id: str) -> None:
        request_job(w.ports, me(), COMPANY, budget_id, kind, key, preview_job_id)

    with pytest.raises(NotSynced):  # not "has changed since the preview"
        ask(READY, JobKind.REIMPORT, of_ready.job_id)
    with pytest.raises(AlreadyImported):
        ask(SYNCED, JobKind.IMPORT, of_synced.job_id)
    w.set_locked(True)
    with pytest.raises(BudgetLocked):
        ask(SYNCED, JobKind.REIMPORT, of_ready.job_id)
    w.set_locked(False)
    running = request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT)
    with pytest.raises(JobInProgress) as busy:
        ask(SYNCED, JobKind.REIMPORT, of_synced.job_id)
    assert busy.value.job_id == running.job_id


def test_a_preview_of_the_import_applied_as_a_reimport_is_refused_as_the_wrong_kind() -> None:
    w = world(erp_changed())
    of_import = preview(w, READY)
    assert run(w, request_job(w.ports, me(), COMPANY, READY, JobKind.IMPORT)).status is (
        JobStatus.SUCCEEDED
    )

    with pytest.raises(PreviewWrongKind) as refused:
        apply(w, of_import, JobKind.REIMPORT)
    assert refused.value.message == (
        "That preview is of an import of the budget for Harbor Offices, so it cannot be applied "
        "as a re-import. Preview again and apply the new preview."
    )
    assert w.budget(READY).active_job_id is None


def test_a_preview_older_than_an_hour_is_expired() -> None:
    w = world(erp_changed())
    done = preview(w)
    w.clock.advance(minutes=61)

    with pytest.raises(PreviewExpired):
        apply(w, done)


def test_an_erp_change_after_the_preview_fails_the_apply_with_preview_stale_and_changes_nothing() -> (
    None
):
    w = world(erp_changed())
    done = preview(w)
    before = (w.budget().version, w.lines())
    w.erp.lines = [*w.erp.lines, erp_line(9, K3, D("0.01"))]

    job = run(w, apply(w, done))

    assert job.status is JobStatus.FAILED
    assert job.error_code == "preview_stale"
    assert "changed after the preview" in job.message
    assert (w.budget().version, w.lines()) == before
    assert w.budget().active_job_id is None


def test_a_stale_import_preview_says_import_not_re_import() -> None:
    # The failure names what the person asked for (docs/domain-rules.md, rule 9).
    w = world(erp_changed())
    done = preview(w, READY)
    w.erp.lines = [*w.erp.lines, erp_line(9, K3, D("0.01"))]

    job = run(w, apply(w, done, JobKind.IMPORT))

    assert job.error_code == "preview_stale"
    assert job.message.endswith("Preview again to see what the import would do now.")


def test_an_edit_between_the_apply_request_and_its_run_fails_it_as_stale() -> None:
    w = world(erp_changed())
    done = preview(w)
    queued = apply(w, done)
    budgets.edit_line(w.ports, me(), COMPANY, project_id(w), K2.line_item_id, LineEdit(uom="LB"))
    version = w.budget().version

    job = run(w, queued)

    assert (job.status, job.error_code) == (JobStatus.FAILED, "preview_stale")
    assert w.budget().version == version


def test_a_plain_reimport_has_no_error_code_and_carries_totals() -> None:
    w = world(erp_changed())
    job = run(w, request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT))
    assert job.error_code is None
    assert job.totals is not None and job.totals.new_total == D("1775.75")


keys = st.sampled_from([K1, K2, K3, K4])
cents = st.integers(min_value=-(10**9), max_value=10**9).map(lambda n: D(n) / 100)


@st.composite
def erp_edits(draw: st.DrawFn) -> list[ErpLine]:
    size = draw(st.integers(min_value=0, max_value=8))
    return [
        ErpLine(n, f"r{n}", draw(keys), LineKind.COST, draw(cents), f"line {n}")
        for n in range(1, size + 1)
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.lists(st.tuples(keys, cents), max_size=4),
    erp=erp_edits(),
)
def test_property_a_preview_changes_nothing_and_its_apply_makes_exactly_its_changes(
    start: list[tuple[WbsKey, Decimal]], erp: list[ErpLine]
) -> None:
    w = world(erp)
    for key, amount in dict(start).items():
        if key in {K1, K2, K3}:
            budgets.edit_line(
                w.ports, me(), COMPANY, project_id(w), key.line_item_id,
                LineEdit(original_budget_amount=amount),
            )  # fmt: skip
    before = (w.budget().version, w.lines())

    # An ERP answer with no cost lines is applied only when asked for, by preview and apply alike.
    done = preview(w, allow_empty=True)

    assert (w.budget().version, w.lines()) == before
    job = run(w, apply(w, done, allow_empty=True))
    assert job.status is JobStatus.SUCCEEDED, job.message
    planned = changes_of(w, done)
    assert changes_of(w, job) == planned
    after = {line.key: line for line in w.lines()}
    old = {line.key: line for line in before[1]}
    for key, _, was, now in planned:
        assert after[key].original_budget_amount == now
        assert (old[key].original_budget_amount if key in old else None) == was
    changed = {c[0] for c in planned}
    for key, line in old.items():
        if key not in changed:
            assert after[key] == replace(line, erp_refs=after[key].erp_refs)
    assert w.budget().total == done.totals.new_total  # type: ignore[union-attr]


# --- the totals of a failed job (docs/history.md, "Totals": every preview, import and re-import) ---------

UNKNOWN_CODE = WbsKey("T1", "77-777", "L")
BEFORE = D("1750.00")  # P-1's total as seeded


def unchanged(erp_total: Decimal | None) -> Totals:
    return Totals(current_erp_total=erp_total, current_total=BEFORE, new_total=BEFORE)


def test_a_preview_failing_on_bad_erp_lines_carries_the_erp_total_and_the_budget_unchanged() -> (
    None
):
    w = world([erp_line(1, K1, D("1200.50")), erp_line(2, UNKNOWN_CODE, D("1"))])

    done = preview(w)

    assert done.status is JobStatus.FAILED and {e.line for e in done.errors} == {2}
    assert done.totals == unchanged(D("1201.50"))  # the apply would change nothing
    assert w.budget().current_erp_total == D("1201.50")  # as fetched, on the Budgets list too


def test_an_erp_amount_that_is_not_an_amount_leaves_the_erp_total_unknown() -> None:
    w = world([erp_line(1, K1, "12.345"), erp_line(2, UNKNOWN_CODE, D("1"))])

    done = preview(w)

    assert done.status is JobStatus.FAILED and {e.line for e in done.errors} == {1, 2}
    assert done.totals == unchanged(None)
    assert w.budget().current_erp_total is None


def test_a_reimport_failing_on_bad_erp_lines_carries_its_totals() -> None:
    w = world([erp_line(1, K1, D("1200.50")), erp_line(2, UNKNOWN_CODE, D("1"))])

    job = run(w, request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT))

    assert job.status is JobStatus.FAILED
    assert job.totals == unchanged(D("1201.50"))


def test_a_preview_refused_as_its_apply_would_be_carries_the_totals_it_read() -> None:
    w = world(erp_changed())
    w.set_locked(True)

    done = preview(w)

    assert done.error_code == "budget_locked"
    assert done.totals == unchanged(D("1775.75"))


def test_an_empty_erp_answer_fails_with_an_erp_total_of_zero() -> None:
    done = preview(world([]))

    assert done.error_code == "erp_budget_empty"
    assert done.totals == unchanged(D("0.00"))


def test_a_job_that_never_read_the_erp_carries_the_budget_s_total_and_no_erp_total() -> None:
    w = world(erp_changed())
    reimport = request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT)
    w.erp.failures.append(ErpUnavailable("The ERP did not answer in time."))
    gave_up = run_job(w.ports, message_of(reimport), final_attempt=True).job

    imported = request_job(w.ports, me(), COMPANY, READY, JobKind.IMPORT)
    dead = fail_dead_letter(w.ports, message_of(imported))

    w.ports.queue.available = False  # type: ignore[attr-defined]
    with pytest.raises(ServiceUnavailable):
        request_preview(w.ports, me(), COMPANY, SYNCED)
    (not_queued,) = [j for j in w.ports.jobs.list(COMPANY, SYNCED, 10, None).items
                     if j.kind is JobKind.PREVIEW]  # fmt: skip

    assert gave_up.status is dead.status is not_queued.status is JobStatus.FAILED
    assert gave_up.totals == not_queued.totals == unchanged(None)
    assert dead.totals == Totals(
        current_erp_total=None, current_total=D("0.00"), new_total=D("0.00")
    )


def test_a_failed_restore_has_no_totals() -> None:
    w = world(erp_changed())
    queued = history.request_restore(w.ports, me(ADMIN), COMPANY, project_id(w), 0)
    w.set_locked(True)

    job = run(w, queued)

    assert job.status is JobStatus.FAILED and job.totals is None


def message_of(job) -> JobMessage:  # type: ignore[no-untyped-def]
    return JobMessage(job_id=job.job_id, company_id=job.company_id, budget_id=job.budget_id)


# --- history and restore ---------------------------------------------------------------------


def test_history_lists_import_reimport_edit_and_restore_with_person_and_source() -> None:
    w = world(erp_changed())
    pid = project_id(w)
    run(w, request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT))
    budgets.edit_line(
        w.ports, me(ADMIN), COMPANY, pid, K2.line_item_id, LineEdit(original_budget_amount=D("7"))
    )
    restore = run(w, history.request_restore(w.ports, me(ADMIN), COMPANY, pid, 0))

    page = history.list_history(w.ports, me("readonly@acme.test"), COMPANY, pid, 10, None)

    assert [(v.version, v.source, v.by) for v in page.items] == [
        (3, VersionSource.RESTORE, ADMIN),
        (2, VersionSource.EDIT, ADMIN),
        (1, VersionSource.REIMPORT, "standard@acme.test"),
        (0, VersionSource.IMPORT, "seed"),
    ]
    assert page.items[0].job_id == restore.job_id and page.items[1].job_id is None
    assert restore.message == "Successfully Restored version 0"
    assert page.items[1].summary.lines_updated == 1


def test_history_pages_newest_first() -> None:
    w = world()
    pid = project_id(w)
    for n in range(5):
        budgets.edit_line(
            w.ports, me(), COMPANY, pid, K1.line_item_id, LineEdit(original_budget_amount=D(n))
        )
    first = history.list_history(w.ports, me(), COMPANY, pid, 2, None)
    second = history.list_history(w.ports, me(), COMPANY, pid, 2, first.next_cursor)
    third = history.list_history(w.ports, me(), COMPANY, pid, 2, second.next_cursor)
    versions = [v.version for v in first.items + second.items + third.items]
    assert versions == [5, 4, 3, 2, 1, 0] and third.next_cursor is None


def test_the_budget_as_of_a_version_is_what_it_was_then_with_its_changes() -> None:
    w = world(erp_changed())
    pid = project_id(w)
    then = budgets.read_budget(w.ports, me(), COMPANY, pid, 100, None)
    run(w, request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT))

    view0 = history.read_version(w.ports, me(), COMPANY, pid, 0, (100, None))
    view1 = history.read_version(w.ports, me(), COMPANY, pid, 1, (100, None))

    assert view0.lines == then.lines and view0.budget.total == then.budget.total
    assert view0.budget.version == 0
    assert {(c.key, c.old_amount, c.new_amount) for c in view1.changes} == {
        (K1, D("1000.00"), D("1200.50")),
        (K3, D("250.00"), D("0.00")),
        (K4, None, D("75.25")),
    }
    with pytest.raises(NotFound):
        history.read_version(w.ports, me(), COMPANY, pid, 9, (100, None))


def test_restoring_the_version_before_a_reimport_gives_every_amount_back_and_keeps_units() -> None:
    w = world(erp_changed())
    pid = project_id(w)
    before = w.lines()
    run(w, request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT))
    budgets.edit_line(w.ports, me(), COMPANY, pid, K1.line_item_id, LineEdit(uom="DAY"))
    after_edit = {line.key: line for line in w.lines()}

    job = run(w, history.request_restore(w.ports, me(ADMIN), COMPANY, pid, 0))

    assert job.status is JobStatus.SUCCEEDED and job.kind is JobKind.RESTORE
    restored = {line.key: line for line in w.lines()}
    for line in before:
        assert restored[line.key].original_budget_amount == line.original_budget_amount
    assert restored[K4].original_budget_amount == D("0.00")  # added since: zeroed, kept
    for key, line in restored.items():
        assert (line.uom, line.quantity, line.unit_cost, line.description) == (
            after_edit[key].uom,
            after_edit[key].quantity,
            after_edit[key].unit_cost,
            after_edit[key].description,
        )
    assert w.budget().total == D("1750.00")

    undo = run(w, history.request_restore(w.ports, me(ADMIN), COMPANY, pid, 2))
    assert undo.status is JobStatus.SUCCEEDED
    assert {line.key: line.original_budget_amount for line in w.lines()} == {
        key: line.original_budget_amount for key, line in after_edit.items()
    }


def test_restore_is_for_budget_admins_and_refused_when_locked_or_busy() -> None:
    w = world()
    pid = project_id(w)
    with pytest.raises(PermissionDenied):
        history.request_restore(w.ports, me(), COMPANY, pid, 0)
    w.set_locked(True)
    with pytest.raises(BudgetLocked):
        history.request_restore(w.ports, me(ADMIN), COMPANY, pid, 0)
    w.set_locked(False)
    running = request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT)
    with pytest.raises(JobInProgress) as busy:
        history.request_restore(w.ports, me(ADMIN), COMPANY, pid, 0)
    assert busy.value.job_id == running.job_id


def test_a_lock_set_between_the_restore_request_and_its_run_fails_it_and_changes_nothing() -> None:
    w = world(erp_changed())
    pid = project_id(w)
    run(w, request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT))
    queued = history.request_restore(w.ports, me(ADMIN), COMPANY, pid, 0)
    w.set_locked(True)
    lines, version = w.lines(), w.budget().version

    job = run(w, queued)

    assert job.status is JobStatus.FAILED and "locked" in job.message
    assert (w.lines(), w.budget().version) == (lines, version)


def test_a_restore_job_is_readable_by_budget_readers_without_erp_rights() -> None:
    w = world()
    pid = project_id(w)
    w.ports.directory.put_member(  # type: ignore[attr-defined]
        COMPANY, "pm@acme.test", Permission.NONE, Permission.READ_ONLY
    )
    job = history.request_restore(w.ports, me(ADMIN), COMPANY, pid, 0)

    seen, _ = jobs.get_job(w.ports, me("pm@acme.test"), COMPANY, job.job_id)
    assert seen.kind is JobKind.RESTORE


# --- with the empty-ERP guard and job retention ------------------------------------------------


def test_a_preview_of_an_empty_erp_answer_fails_like_its_apply_unless_allowed() -> None:
    w = world([])

    refused = preview(w)
    allowed = preview(w, allow_empty=True)

    assert refused.status is JobStatus.FAILED
    assert refused.error_code == "erp_budget_empty"
    assert allowed.status is JobStatus.SUCCEEDED, allowed.message
    assert allowed.totals is not None and allowed.totals.new_total == Decimal("0.00")
    job = run(w, apply(w, allowed, allow_empty=True))
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert w.budget().total == Decimal("0.00")


def test_a_finished_job_outlives_every_history_version_that_names_it() -> None:
    assert KEEP_AT_LEAST.days <= resources.FINISHED_JOB_RETENTION_DAYS


def test_an_import_is_the_first_version_of_an_empty_budget_with_every_line_added() -> None:
    w = world(erp_changed())
    pid = w.budget(READY).project_id
    assert history.list_history(w.ports, me(), COMPANY, pid, 10, None).items == []

    job = run(w, request_job(w.ports, me(), COMPANY, READY, JobKind.IMPORT))

    (only,) = history.list_history(w.ports, me(), COMPANY, pid, 10, None).items
    assert (only.source, only.by, only.job_id) == (
        VersionSource.IMPORT,
        "standard@acme.test",
        job.job_id,
    )
    view = history.read_version(w.ports, me(), COMPANY, pid, only.version, (100, None))
    assert {c.key for c in view.changes} == {line.key for line in w.lines(READY)}
    assert all(c.old_amount is None for c in view.changes)
