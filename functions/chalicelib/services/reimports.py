"""Requesting an import or re-import, and the worker's application of it, exactly once.

The request records the job (and claims the budget for it) before it sends the queue message, so
no one ever looks at a job that exists only in the queue; a message lost after the record is
re-sent by the schedule's sweep (`resend_abandoned`), and the worker is idempotent on the job id.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib import observability
from chalicelib.domain import admission
from chalicelib.domain.errors import (
    AlreadyImported,
    BudgetLocked,
    ConcurrentChange,
    DomainError,
    ErpUnavailable,
    InvalidRequest,
    JobInProgress,
    NotFound,
    NotLinked,
    NotSynced,
    PreviewExpired,
    PreviewStale,
    PreviewWrongKind,
    ServiceUnavailable,
    TargetRejected,
    without_retry_promise,
)
from chalicelib.domain.history import plan_restore, restore_message
from chalicelib.domain.model import (
    QUEUED_MESSAGE,
    Budget,
    BudgetStatus,
    CatalogEntry,
    CostCatalog,
    ErpCatalog,
    ErpCredentials,
    ErpLine,
    ErpSettings,
    Job,
    JobKind,
    JobStatus,
    LineError,
    LineItem,
    LineKind,
    Permission,
    Phase,
    PreviewBasis,
    Progress,
    Totals,
    WbsKey,
    merge_catalog,
)
from chalicelib.domain.ports import MAX_ENQUEUED_TOGETHER, BudgetTarget, Identity, JobMessage
from chalicelib.domain.reimport import (
    BudgetTotalTooLarge,
    ErpBudgetEmpty,
    InvalidErpBudget,
    Plan,
    budget_total,
    check_not_empty,
    erp_total,
    plan_reimport,
    succeeded,
    success_message,
)
from chalicelib.observability import logger
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports
from chalicelib.services.targets import (
    PutBackUnfinished,
    check_unlocked,
    held_digest,
    target_for,
)

SCHEDULE_REQUESTER = "schedule"
MAX_IDEMPOTENCY_KEY_LENGTH = 128
# Re-plans when someone edits the budget while the worker applies it, waiting a growing while
# between attempts so that a person editing a few times a second cannot starve the re-import.
COMMIT_BACKOFF_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
COMMIT_ATTEMPTS = len(COMMIT_BACKOFF_SECONDS) + 1
UNEXPECTED_FAILURE = (
    "The {noun} stopped on an unexpected error, so nothing was changed. Please try again; if it "
    "keeps happening, contact support with the job id."
)
ABANDONED_AFTER = timedelta(minutes=10)
PROGRESS_EVERY_SECONDS = 3.0
PREVIEW_LIFETIME = timedelta(hours=1)
PREVIEW_STALE = "preview_stale"
# The budget's target (Procore) refused the write or the read: its `errors` are lines the target
# refused, not ERP lines, and a program or the web app can say so.
TARGET_REJECTED = "target_rejected"


def request_job(
    ports: Ports,
    identity: Identity,
    company_id: str,
    budget_id: str,
    kind: JobKind,
    idempotency_key: str | None = None,
    preview_job_id: str | None = None,
    *,
    allow_empty: bool = False,
) -> Job:
    """A person or API client asks for an import/re-import (or for applying a preview of one);
    answers the queued job at once."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.STANDARD)
    check_idempotency_key(idempotency_key)
    budget = ports.budgets.get(company_id, budget_id)
    earlier = replayed_job(ports, budget, idempotency_key)
    if earlier is not None:
        return earlier
    unlinked = admission.not_linked(budget, kind)
    if unlinked is not None:
        raise unlinked
    # The budget's own refusal (status, lock, another job) comes before anything about the
    # preview: a preview cannot be "stale" for a budget the request could not take anyway.
    admission.check_can_take(budget, kind)
    check_unlocked(ports, budget, _noun(kind))
    if preview_job_id is not None:
        _check_preview(ports, budget, kind, preview_job_id)
    extra: dict[str, Any] = {"allow_empty": allow_empty}
    if preview_job_id:
        extra["preview_job_id"] = preview_job_id
    job = enqueue(ports, budget, kind, identity.email, idempotency_key, extra)
    action = audit.IMPORT_REQUESTED if kind is JobKind.IMPORT else audit.REIMPORT_REQUESTED
    audit.record(
        ports, company_id, identity.email, action, budget.project_name,
        budget_id=budget_id, job_id=job.job_id,
    )  # fmt: skip
    return job


def request_preview(
    ports: Ports, identity: Identity, company_id: str, budget_id: str, *, allow_empty: bool = False
) -> Job:
    """Plan what an import (ready to import) or re-import (synced) would do, changing nothing.

    A preview holds nothing: the budget stays free for edits, locks and other jobs meanwhile, and
    applying the preview later proves that nothing moved (`_check_preview` and the worker).
    """
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.STANDARD)
    budget = ports.budgets.get(company_id, budget_id)
    job = enqueue(
        ports, budget, JobKind.PREVIEW, identity.email, None, {"allow_empty": allow_empty}
    )
    audit.record(
        ports, company_id, identity.email, audit.PREVIEW_REQUESTED, budget.project_name,
        budget_id=budget_id, job_id=job.job_id,
    )  # fmt: skip
    return job


def _check_preview(ports: Ports, budget: Budget, kind: JobKind, preview_job_id: str) -> None:
    """Refuse at once a preview that cannot be applied as it was shown."""
    # An id no job has (or another company's) is refused as one of another budget: a 404 here
    # would read as "no such budget", and the answer tells nothing of other companies' ids.
    not_this = InvalidRequest("preview_job_id does not name a preview of this budget.")
    try:
        preview = ports.jobs.get(budget.company_id, preview_job_id)
    except NotFound:
        raise not_this from None
    if preview.kind is not JobKind.PREVIEW or preview.budget_id != budget.budget_id:
        raise not_this
    if preview.status is not JobStatus.SUCCEEDED or preview.basis is None:
        raise InvalidRequest(
            "That preview has not finished successfully, so there is nothing to apply."
        )
    planned = preview.basis.planned_kind
    if planned is not kind:
        raise PreviewWrongKind(
            f"That preview is of {admission.with_article(planned)} of the budget for {budget.project_name}, so it "
            f"cannot be applied as {admission.with_article(kind)}. Preview again and apply the new preview."
        )
    finished = preview.finished_at or preview.requested_at
    if ports.clock() - finished > PREVIEW_LIFETIME:
        raise PreviewExpired(
            "The preview is more than an hour old. Preview again to see the ERP's current budget."
        )
    # Amounts changed directly in Procore since the preview are the worker's to find
    # (`_check_still_previewed`): Procore keeps no version to compare, and reading every page of
    # its budget here would hold the request for seconds.
    if budget.version != preview.basis.budget_version:
        raise PreviewStale(
            f"The budget for {budget.project_name} has changed since the preview. "
            f"Preview again to see what the {_noun(kind)} would do now."
        )


def check_idempotency_key(idempotency_key: str | None) -> None:
    if idempotency_key is not None and not (
        0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH and idempotency_key.isprintable()
    ):
        raise InvalidRequest(
            f"The Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters."
        )


def replayed_job(ports: Ports, budget: Budget, idempotency_key: str | None) -> Job | None:
    """The job an earlier use of this Idempotency-Key made on the budget (within 24 hours).

    A replay answers that job whatever the budget, its lock (here or in Procore) or the preview
    say now: the job may hold the budget, or have moved its version (docs/api.md, "Jobs"). Two
    first uses at once are the store's to settle (`enqueue`)."""
    if idempotency_key is None:
        return None
    return ports.jobs.idempotent_job(budget, idempotency_key)


def enqueue(
    ports: Ports,
    budget: Budget,
    kind: JobKind,
    requested_by: str,
    idempotency_key: str | None,
    extra: dict[str, Any] | None = None,
) -> Job:
    """Record a job (claiming the budget, but for a preview) and send its message."""
    job = _new_job(ports, budget, kind, requested_by, extra)
    recorded = _record(ports, job, budget, idempotency_key)
    if recorded.job_id != job.job_id:
        return recorded  # the same Idempotency-Key again: the job it created before
    try:
        _send(ports, recorded)
    except ServiceUnavailable:
        totals = _recorded_totals(ports, recorded, budget)
        ports.jobs.fail(recorded, _not_queued(kind), [], ports.clock(), totals=totals)
        if idempotency_key is not None:
            # The answer tells the person to try again: the same key must then ask anew, not
            # answer this failed job for a day (docs/api.md, "Jobs").
            ports.jobs.release_idempotency_key(budget, idempotency_key, recorded.job_id)
        raise
    logger().info("job queued", extra={"job_id": job.job_id, "kind": kind.value})
    return recorded


def _not_queued(kind: JobKind) -> str:
    return (
        f"The {_noun(kind)} could not be queued, so nothing was changed. "
        "Please try again in a minute."
    )


def _new_job(
    ports: Ports,
    budget: Budget,
    kind: JobKind,
    requested_by: str,
    extra: dict[str, Any] | None = None,
) -> Job:
    return Job(
        job_id=ports.new_id(),
        company_id=budget.company_id,
        budget_id=budget.budget_id,
        kind=kind,
        requested_by=requested_by,
        requested_at=ports.clock(),
        message=QUEUED_MESSAGE,
        **(extra or {}),
    )


def _record(ports: Ports, job: Job, budget: Budget, idempotency_key: str | None) -> Job:
    """The job and its hold on the budget, in one transaction (the store re-checks refusals)."""
    if idempotency_key is None:
        # With a key, a replay must answer the job it created even though that job now holds the
        # budget; the store checks the key first and then the same rule, atomically.
        admission.check_can_take(budget, job.kind)
    with _job_span(observability.JOB_RECORD, job):
        return ports.jobs.enqueue(job, budget, idempotency_key)


def _noun(kind: JobKind) -> str:
    return admission.noun(kind)


def _message_for(job: Job) -> JobMessage:
    return JobMessage(job_id=job.job_id, company_id=job.company_id, budget_id=job.budget_id)


def _ids(job: Job) -> dict[str, str]:
    """What a trace subsegment or log line of this job is annotated with (ids only, never
    secrets)."""
    return {"company_id": job.company_id, "budget_id": job.budget_id, "job_id": job.job_id}


def _job_span(name: str, job: Job) -> AbstractContextManager[Any]:
    return observability.span(
        name, company_id=job.company_id, budget_id=job.budget_id, job_id=job.job_id
    )


def _send(ports: Ports, job: Job) -> None:
    with _job_span(observability.QUEUE_SEND, job):
        ports.queue.send(_message_for(job))


@dataclass(frozen=True)
class ErpCall:
    """How reading the budget from the ERP went, for the per-ERP latency metric."""

    system: str
    seconds: float


@dataclass(frozen=True)
class WorkResult:
    """What the worker did with one message, for metrics and logs."""

    job: Job
    already_finished: bool = False
    lines_applied: int = 0
    erp: ErpCall | None = None  # None when the ERP was not asked


def run_job(
    ports: Ports,
    message: JobMessage,
    *,
    final_attempt: bool,
    retry_in_seconds: int | Callable[[ErpUnavailable], int] | None = None,
) -> WorkResult:
    """Apply one queued job. Safe to run any number of times for the same message.

    Transient ERP failures raise ErpUnavailable so the queue redelivers the message (the job says
    it is waiting to retry, when and why), except on the final attempt, where the job fails with a
    sentence instead of staying in progress. Any other failure fails the job at once. The one
    exception: amounts written to another system that could not be put back yet
    (PutBackUnfinished) keep the job in progress on every attempt, saying so, until the next
    delivery or the dead-letter handler puts them back (`fail_dead_letter`).
    """
    job = ports.jobs.start(message.company_id, message.job_id, ports.clock())
    if job.status.finished:
        return WorkResult(job, already_finished=True)
    try:
        # A job reads its company's connection, target, catalog and settings: in one round trip.
        with ports.directory.reading_company(job.company_id):
            return _preview(ports, job) if job.kind is JobKind.PREVIEW else _apply(ports, job)
    except PutBackUnfinished as why:
        # Failing now would say "nothing was changed" while the target shows some of the job's
        # amounts; after the final attempt the message goes to the dead-letter queue, whose
        # handler puts them back from the job's record (docs/targets/procore.md).
        ports.jobs.report_waiting(job, waiting_message(why, retry_in_seconds))
        raise
    except ErpUnavailable as why:
        if not final_attempt:
            ports.jobs.report_waiting(job, waiting_message(why, retry_in_seconds))
            raise
        return WorkResult(_fail(ports, job, gave_up_message(job, why)))
    except ServiceUnavailable:
        raise  # our own storage is busy: the queue brings the message back
    except DomainError as why:
        code = why.code if isinstance(why, ErpBudgetEmpty | BudgetTotalTooLarge) else None
        return WorkResult(_fail(ports, job, why.message, code=code))
    except Exception:
        # A failure no rule expects: fail the job now, with a sentence and the stack trace in
        # the log, rather than let the message burn its receives while the budget stays held.
        logger().exception("job failed on an unexpected error", extra={"job_id": job.job_id})
        return WorkResult(_fail(ports, job, UNEXPECTED_FAILURE.format(noun=_noun(job.kind))))


def waiting_message(
    why: ErpUnavailable, retry_in_seconds: int | Callable[[ErpUnavailable], int] | None
) -> str:
    """`retry_in_seconds` may be worked out from the failure (the worker's `retry_wait`): the
    ERP's own `Retry-After` can ask for longer than the queue's backoff, and the sentence must
    name the wait the queue will keep."""
    if callable(retry_in_seconds):
        retry_in_seconds = retry_in_seconds(why)
    when = "shortly"
    if retry_in_seconds is not None:
        minutes = max(1, round(retry_in_seconds / 60))
        when = f"in about {minutes} minute{'s' if minutes != 1 else ''}"
        if minutes >= 120:  # a Retry-After of hours (a limit reset): "720 minutes" reads badly
            hours = round(minutes / 60)
            when = f"in about {hours} hours"
    return f"Waiting to retry {when}: {without_retry_promise(why.message)}"


def gave_up_message(job: Job, why: ErpUnavailable) -> str:
    return (
        f"The {_noun(job.kind)} gave up after several attempts and nothing was changed. The last "
        f"attempt failed: {without_retry_promise(why.message)} Please try again later."
    )


class _Refused(Exception):
    """A job that cannot go on: it fails with this message (and line errors, and a code)."""

    def __init__(
        self, message: str, errors: list[LineError] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.code = code


class _ProgressReport:
    """A running job's progress, written at most every PROGRESS_EVERY_SECONDS: each write is a
    DynamoDB call, and the web app, which polls the job every second or few, shows the phase and
    count of the last one written (docs/performance.md, "A one-line change")."""

    def __init__(self, ports: Ports, job: Job) -> None:
        self._ports, self._job = ports, job
        self._last = ports.clock()  # starting the job wrote its first progress

    def __call__(self, phase: Phase, done: int, total: int) -> None:
        now = self._ports.clock()
        if (now - self._last).total_seconds() < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        self._ports.jobs.report_progress(self._job, Progress(phase=phase, done=done, total=total))


@dataclass
class _Attempt:
    """What one run of a job keeps across its commit attempts: the ERP is fetched only once."""

    target: BudgetTarget
    progress: _ProgressReport
    erp_lines: list[ErpLine] | None = None
    erp: ErpCall | None = None
    # The budget's total as its target holds it when planned (Procore's may differ from the
    # total Budget Bridge recorded, if people changed amounts there).
    current_total: Decimal | None = None
    # The lines as the target held them when planned, for the preview's basis (`held_digest`).
    held: list[LineItem] | None = None
    # The ERP's codes and types the catalog lacked (`add_unknown_cost_codes`), added only by a
    # commit: a preview, or a job refused before it writes, leaves the catalog as it was.
    catalog_additions: ErpCatalog | None = None
    _erp_total: tuple[Decimal | None] | None = None  # erp_total once summed

    @property
    def erp_total(self) -> Decimal | None:
        """The ERP's cost lines summed (None: not fetched, or not a valid total), recorded on the
        budget when the job fails. Summed when first asked: a plan that succeeds carries the same
        sum (Plan.erp_total), which the commit records, so a job that succeeds does not parse
        every ERP amount a second time for it."""
        if self.erp_lines is None:
            return None
        if self._erp_total is None:
            self._erp_total = (erp_total(self.erp_lines),)
        return self._erp_total[0]

    def failed_totals(self, budget: Budget) -> Totals:
        """The totals of a job that failed (or a preview whose apply would fail): nothing was
        changed, so the budget after is the budget before."""
        current = budget.total if self.current_total is None else self.current_total
        return Totals.unchanged(current, self.erp_total)


def _target(ports: Ports, budget: Budget) -> BudgetTarget:
    try:
        return target_for(ports, budget)
    except TargetRejected as why:
        raise _Refused(why.message, why.errors, code=TARGET_REJECTED) from None


def _apply(ports: Ports, job: Job) -> WorkResult:
    """Plan and apply an import, re-import or restore to the budget's target (Budget Bridge's own
    store or Procore, services/targets.py), re-planning when the budget moves."""
    attempt: _Attempt | None = None
    try:
        budget = ports.budgets.get(job.company_id, job.budget_id)
        target = _target(ports, budget)
        attempt = _Attempt(target, _ProgressReport(ports, job))
        if target.recover(job):
            raise _Refused(_recovered_message(target.name))
        for number in range(COMMIT_ATTEMPTS):
            if number:
                # The first attempt plans on the header read above; the commit itself refuses a
                # budget that moved, was locked or released since (one condition, atomically).
                ports.sleep(COMMIT_BACKOFF_SECONDS[number - 1])
                budget = ports.budgets.get(job.company_id, job.budget_id)
            if budget.active_job_id != job.job_id:
                raise _Refused(
                    "The budget was released before this job could run; nothing was changed."
                )
            if budget.locked:
                raise _Refused(_locked_message(budget, job.kind), code=BudgetLocked.code)
            plan = _plan(ports, job, budget, attempt)
            try:
                return _commit(ports, job, budget, plan, attempt)
            except ConcurrentChange:
                if job.preview_job_id:
                    raise _Refused(_stale_budget(budget, job.kind), code=PREVIEW_STALE) from None
                logger().info(
                    "budget changed while applying; planning again", extra={"job_id": job.job_id}
                )
        raise _Refused(
            f"The budget kept changing while the {_noun(job.kind)} was applied; nothing was "
            "changed. Please try again."
        )
    except _Refused as refused:
        return _refused(ports, job, refused, attempt)


def _refused(ports: Ports, job: Job, refused: _Refused, attempt: _Attempt | None) -> WorkResult:
    """Fail the job with what it learned: the ERP's total (also recorded on the budget, as by
    every job that fetched it) and the budget's, unchanged."""
    totals = None
    if attempt is not None:
        budget = ports.budgets.get(job.company_id, job.budget_id)
        if attempt.erp_total is not None:
            ports.budgets.record_erp_total(budget, attempt.erp_total, ports.clock())
        if admission.fetches_erp(job.kind):  # a restore carries no totals
            totals = attempt.failed_totals(budget)
    failed = _fail(ports, job, refused.message, refused.errors, refused.code, totals)
    return WorkResult(failed, erp=attempt.erp if attempt else None)


def _commit(ports: Ports, job: Job, budget: Budget, plan: Plan, attempt: _Attempt) -> WorkResult:
    """Apply one plan to the target, all or nothing; raises ConcurrentChange to plan again."""
    attempt.progress(Phase.APPLYING, 0, len(plan.lines))
    message = _success(job, attempt.target.name)
    totals = _totals(job, budget, plan, attempt)
    finished = succeeded(job, plan, message, ports.clock(), totals)
    _add_to_catalog(ports, job, attempt)
    try:
        with _job_span(observability.BUDGET_COMMIT, job):
            done = attempt.target.apply(budget, plan, finished)
    except BudgetLocked:
        raise _Refused(_locked_message(budget, job.kind), code=BudgetLocked.code) from None
    except TargetRejected as why:
        raise _Refused(why.message, _on_erp_lines(why, attempt), code=TARGET_REJECTED) from None
    return WorkResult(done, lines_applied=len(plan.changes), erp=attempt.erp)


def _plan(ports: Ports, job: Job, budget: Budget, attempt: _Attempt) -> Plan:
    """The plan of one commit attempt; raises _Refused when the job must fail instead."""
    if job.kind is JobKind.RESTORE:
        plan = _plan_restore(ports, job, budget, attempt.target)
    else:
        if attempt.erp_lines is None:
            started = time.perf_counter()
            attempt.erp_lines, system = _fetch(ports, job, budget, attempt.progress)
            attempt.erp = ErpCall(system, time.perf_counter() - started)
        plan = _plan_erp(ports, job, budget, attempt)
        if job.preview_job_id:
            _check_still_previewed(ports, job, budget, plan, attempt)
    try:
        attempt.target.check_plan(plan)
    except TargetRejected as why:
        raise _Refused(why.message, _on_erp_lines(why, attempt), code=TARGET_REJECTED) from None
    return plan


def _on_erp_lines(why: TargetRejected, attempt: _Attempt) -> list[LineError]:
    """The target's errors about keys, each put on the ERP lines of its key (every one of them,
    in line order, as rule 3 lists bad lines): the target numbers them by its own writes. Errors
    it does not tie to a key, or a job that read no ERP lines (a restore), keep their numbers."""
    if not why.keys or len(why.keys) != len(why.errors) or not attempt.erp_lines:
        return why.errors
    lines_of: dict[WbsKey, list[int]] = {}
    for line in attempt.erp_lines:
        if line.kind is LineKind.COST:
            lines_of.setdefault(line.key, []).append(line.line)
    placed = [
        error.model_copy(update={"line": number})
        for error, key in zip(why.errors, why.keys, strict=True)
        for number in lines_of.get(key) or [error.line]
    ]
    return sorted(placed, key=lambda error: error.line)


def _current(
    budget: Budget, job: Job, target: BudgetTarget, attempt: _Attempt | None = None
) -> list[LineItem]:
    """The budget's lines as its target holds them now (their total kept on `attempt`, also
    when the job is then refused); a locked budget refuses the job (a preview fails the same
    way: it reports what its apply would refuse, `_refuse_as_applied`)."""
    try:
        held = target.read(budget)
    except TargetRejected as why:
        raise _Refused(why.message, why.errors, code=TARGET_REJECTED) from None
    if attempt is not None:
        attempt.current_total = budget_total(held.lines)
        attempt.held = held.lines
    if job.kind is JobKind.PREVIEW:
        _refuse_as_applied(budget, held.locked, target.name)
    elif held.locked:
        raise _Refused(_locked_message(budget, job.kind), code=BudgetLocked.code)
    return held.lines


def _refuse_as_applied(budget: Budget, locked_in_target: bool, target: str) -> None:
    """A preview is what the apply would do or refuse at that moment (docs/history.md,
    "Preview"): when the apply it plans would be refused (locked here or in the target, another
    job holding the budget, no longer linked), the preview fails with that refusal's sentence and
    code."""
    kind = admission.previewed_kind(budget)
    why = admission.refusal(budget, kind)
    if why is None and locked_in_target:
        why = admission.locked_refusal(budget.project_name, admission.noun(kind), where=target)
    if why is not None:
        raise _Refused(why.message, code=why.code)


def _plan_erp(ports: Ports, job: Job, budget: Budget, attempt: _Attempt) -> Plan:
    erp_lines = attempt.erp_lines or []
    attempt.progress(Phase.VALIDATING, 0, len(erp_lines))
    current = _current(budget, job, attempt.target, attempt)
    catalog = _catalog_for(ports, job, erp_lines, attempt)
    try:
        check_not_empty(current, erp_lines, job.allow_empty)
        plan = plan_reimport(current, erp_lines, catalog)
    except InvalidErpBudget as invalid:
        raise _Refused(invalid.message, invalid.errors) from None
    except (ErpBudgetEmpty, BudgetTotalTooLarge) as refused:
        raise _Refused(refused.message, code=refused.code) from None
    return plan


def _plan_restore(ports: Ports, job: Job, budget: Budget, target: BudgetTarget) -> Plan:
    """Back to a version Budget Bridge recorded (what it wrote), against the lines as they are."""
    version = job.restore_version or 0
    try:
        wanted = ports.budgets.read_lines(budget.model_copy(update={"version": version}))
    except NotFound:
        raise _Refused(
            f"Version {version} of this budget is no longer kept, so nothing was restored."
        ) from None
    return plan_restore(_current(budget, job, target), wanted)


def _recovered_message(target: str) -> str:
    return (
        f"An earlier attempt of this job stopped while writing to {target}; every amount it had "
        f"written was put back, so the budget in {target} is as it was. Please re-import again."
    )


def _catalog_for(
    ports: Ports, job: Job, erp_lines: list[ErpLine], attempt: _Attempt
) -> CostCatalog:
    """The company's catalog; with `add_unknown_cost_codes`, extended by the cost lines' codes
    and types it lacks (the rules then find them known). What it lacks is kept on `attempt` for
    the commit to add (`_add_to_catalog`); planning itself changes nothing."""
    attempt.catalog_additions = None
    catalog = ports.directory.cost_catalog(job.company_id)
    if not ports.directory.erp_settings(job.company_id).add_unknown_cost_codes:
        return catalog
    cost = [line for line in erp_lines if line.kind is LineKind.COST]
    codes = {line.key.cost_code for line in cost if line.key.cost_code} - catalog.cost_codes
    types = {line.key.cost_type for line in cost if line.key.cost_type} - catalog.cost_types
    if not codes and not types:
        return catalog
    attempt.catalog_additions = ErpCatalog(
        [CatalogEntry(code, "") for code in sorted(codes)],
        [CatalogEntry(code, "") for code in sorted(types)],
    )
    return CostCatalog(catalog.cost_codes | codes, catalog.cost_types | types)


def _add_to_catalog(ports: Ports, job: Job, attempt: _Attempt) -> None:
    """The codes and types the plan found unknown (`_catalog_for`) join the company's catalog,
    with an audit entry, just before the budget is written with them."""
    if attempt.catalog_additions is None:
        return
    merged, codes, types = merge_catalog(
        ports.directory.catalog_entries(job.company_id), attempt.catalog_additions
    )
    if not codes and not types:
        return
    ports.directory.save_catalog(job.company_id, merged)
    audit.record(
        ports, job.company_id, job.requested_by, audit.CATALOG_CHANGED, "cost catalog",
        added_cost_codes=[e.code for e in attempt.catalog_additions.cost_codes],
        added_cost_types=[e.code for e in attempt.catalog_additions.cost_types],
        job_id=job.job_id,
    )  # fmt: skip
    logger().info(
        "unknown cost codes added to the catalog",
        extra={"job_id": job.job_id, "cost_codes": codes, "cost_types": types},
    )


def _check_still_previewed(
    ports: Ports, job: Job, budget: Budget, plan: Plan, attempt: _Attempt
) -> None:
    """Apply exactly what the preview showed or nothing: the budget (in Budget Bridge and, for
    another target, as that target holds it) and the ERP must not have moved since it was made.
    A preview kept before the target's lines were (no `target_digest`) is checked without them."""
    preview = ports.jobs.get(job.company_id, job.preview_job_id or "")
    basis = preview.basis
    if basis is None or budget.version != basis.budget_version:
        raise _Refused(_stale_budget(budget, job.kind), code=PREVIEW_STALE)
    if plan.erp_digest != basis.erp_digest:
        raise _Refused(
            "The ERP's budget lines changed after the preview, so nothing was changed. "
            f"Preview again to see what the {_noun(job.kind)} would do now.",
            code=PREVIEW_STALE,
        )
    if basis.target_digest is not None and basis.target_digest != _held_digest(attempt):
        name = attempt.target.name
        raise _Refused(
            f"The budget in {name} changed after the preview, so nothing was changed. Preview "
            f"again to see what the {_noun(job.kind)} would do now.",
            code=PREVIEW_STALE,
        )


def _held_digest(attempt: _Attempt) -> str | None:
    return None if attempt.held is None else held_digest(attempt.target, attempt.held)


def _stale_budget(budget: Budget, kind: JobKind) -> str:
    return (
        f"The budget for {budget.project_name} changed after the preview, so nothing was "
        f"changed. Preview again to see what the {_noun(kind)} would do now."
    )


def _totals(job: Job, budget: Budget, plan: Plan, attempt: _Attempt) -> Totals | None:
    if job.kind is JobKind.RESTORE:
        return None
    current = budget.total if attempt.current_total is None else attempt.current_total
    return Totals(current_erp_total=plan.erp_total, current_total=current, new_total=plan.total)


def _success(job: Job, target: str) -> str:
    """The one success sentence of each kind (docs/domain-rules.md, rule 9), also when nothing
    changed: that is the summary's to say (rule 7), every line counted unchanged."""
    if job.kind is JobKind.RESTORE:
        return restore_message(job.restore_version or 0)
    return success_message(job.kind, target)


def _preview(ports: Ports, job: Job) -> WorkResult:
    """Fetch, validate and plan as the apply would, record what it would do, change nothing."""
    attempt: _Attempt | None = None
    try:
        budget = ports.budgets.get(job.company_id, job.budget_id)
        unlinked = admission.not_linked(budget, admission.previewed_kind(budget))
        if unlinked is not None:  # no ERP job to read: refused as its apply would be
            raise _Refused(unlinked.message, code=unlinked.code)
        attempt = _Attempt(_target(ports, budget), _ProgressReport(ports, job))
        plan = _plan(ports, job, budget, attempt)
    except _Refused as refused:
        return _refused(ports, job, refused, attempt)
    ports.budgets.record_erp_total(budget, plan.erp_total, ports.clock())
    count = len(plan.changes)
    message = (
        f"Preview ready: {count} {'line' if count == 1 else 'lines'} would change."
        if count
        else "Preview ready: nothing would change; the budget already matches the ERP."
    )
    finished = succeeded(
        job, plan, message, ports.clock(), _totals(job, budget, plan, attempt)
    ).model_copy(
        update={
            "basis": PreviewBasis(
                budget_version=budget.version,
                erp_digest=plan.erp_digest,
                planned_kind=admission.previewed_kind(budget),
                target_digest=_held_digest(attempt),
            )
        }
    )
    return WorkResult(ports.jobs.finish_preview(finished, plan.records()), erp=attempt.erp)


def _fetch(
    ports: Ports, job: Job, budget: Budget, progress: _ProgressReport
) -> tuple[list[ErpLine], str]:
    """The ERP's lines for the budget, and which ERP system answered."""
    connection = ports.directory.erp_connection(job.company_id)
    credentials = (
        ports.secrets.erp_credentials(connection.credentials_secret_id)
        if connection.signs_in
        else ErpCredentials()
    )
    source = ports.erp_sources(connection, credentials)

    def on_page(lines_so_far: int) -> None:
        # No ERP says up front how many lines are coming: the total stays 0, "not known yet"
        # (docs/api.md, "Jobs"), so a progress bar cannot read full while the fetch goes on.
        progress(Phase.FETCHING, lines_so_far, 0)

    with _job_span(observability.ERP_FETCH, job) as subsegment:
        if subsegment is not None:
            subsegment.put_annotation(key="erp_system", value=connection.erp_system)
        lines = source.fetch_budget(budget.erp_job_id, on_page=on_page)
    return lines, connection.erp_system


def _locked_message(budget: Budget, kind: JobKind) -> str:
    return admission.locked_while_applying(budget.project_name, kind).message


def _fail(
    ports: Ports,
    job: Job,
    message: str,
    errors: list[LineError] | None = None,
    code: str | None = None,
    totals: Totals | None = None,
) -> Job:
    """Fail the job with its totals: those it learned, else the budget's as recorded. A failed
    automatic re-import holds its budget back from the schedule for an interval (`_due`)."""
    logger().info("job failed", extra={"job_id": job.job_id, "reason": message, "code": code})
    if totals is None:
        totals = _recorded_totals(ports, job)
    scheduled = job.requested_by == SCHEDULE_REQUESTER
    return ports.jobs.fail(job, message, errors or [], ports.clock(), code, totals, scheduled)


def _recorded_totals(ports: Ports, job: Job, budget: Budget | None = None) -> Totals | None:
    """A failed job that never read the ERP (or stopped without saying what it read): its
    budget's total as Budget Bridge recorded it, unchanged; the ERP's total unknown (null).
    None for a restore, and when the budget is gone."""
    if not admission.fetches_erp(job.kind):
        return None
    if budget is None:
        try:
            budget = ports.budgets.get(job.company_id, job.budget_id)
        except NotFound:
            return None
        except Exception:
            # Failing the job matters more than its totals: a budget that cannot be read (the
            # very error the job may be failing on) must not keep the job from finishing.
            logger().exception("budget unreadable for a failed job's totals", extra=_ids(job))
            return None
    return Totals.unchanged(budget.total)


def fail_dead_letter(ports: Ports, message: JobMessage) -> Job:
    """A message that exhausted its receives: its job must end failed, never stay in progress.

    An attempt that stopped while writing to another system (the worker died, or could not put
    the amounts back) left its write-ahead record: those amounts are put back first. When even
    that cannot be done now, the job stays in progress saying so and this raises, so the
    dead-letter queue brings the message back to try again (docs/targets/procore.md)."""
    job = ports.jobs.get(message.company_id, message.job_id)
    if job.status.finished:
        return job
    try:
        recovered = _recover(ports, job)
    except Exception as why:
        said = why.message if isinstance(why, DomainError) else UNEXPECTED_PUT_BACK
        logger().exception("dead letter's amounts not put back yet", extra=_ids(job))
        ports.jobs.report_waiting(job, f"Waiting to retry: {without_retry_promise(said)}")
        raise
    if recovered is not None:
        return _fail(ports, job, _recovered_message(recovered))
    return _fail(ports, job, dead_letter_message(job))


_WAITING = re.compile(r"^Waiting to retry[^:]*:\s*(?P<why>.+)$", re.DOTALL)


def dead_letter_message(job: Job) -> str:
    """Why the attempts ran out, as far as the job knows: the last wait's reason when an attempt
    said why it would try again (the ERP or the store was unavailable), else that each attempt
    stopped before it finished (a worker that timed out or crashed says nothing)."""
    waited = _WAITING.match(job.message or "")
    why = (
        f"the last attempt failed: {waited['why'].strip()}"
        if waited
        else "each attempt stopped before it finished"
    )
    return (
        f"The {_noun(job.kind)} could not be completed after several attempts ({why.rstrip('.')}); "
        "nothing was changed. Please try again later, and if it keeps happening, contact support "
        "with the job id."
    )


UNEXPECTED_PUT_BACK = (
    "The amounts an earlier attempt wrote could not be put back yet (an unexpected error); the "
    "job will put them back when it is retried."
)


def _recover(ports: Ports, job: Job) -> str | None:
    """The target's name when an attempt of the job had begun writing to it and every amount it
    wrote is now put back; None when none had (the own store never leaves a record)."""
    if not ports.jobs.recorded_writes(job):
        return None
    target = target_for(ports, ports.budgets.get(job.company_id, job.budget_id))
    return target.name if target.recover(job) else None


# Companies read side by side, and their due budgets queued side by side in steps of
# MAX_ENQUEUED_TOGETHER while the reads go on: one after the other, a thousand companies' reads and
# transactions are many seconds of DynamoDB round trips; the ports' clients are thread-safe
# (docs/performance.md, "Fleet"). Each of the two stages has this many threads.
SCHEDULE_THREADS = 16


def enqueue_due_reimports(ports: Ports, threads: int = SCHEDULE_THREADS) -> list[Job]:
    """The schedule: re-import synced, unlocked, idle budgets of companies that enabled it.

    Companies are read in order, and their due budgets are queued MAX_ENQUEUED_TOGETHER at a time,
    across companies, as soon as that many are found, so a fleet of small companies costs a
    transaction per fifty budgets, not one per company, and the writes do not wait for the last
    read: each step records its jobs in one atomic step (each budget's refusals checked as for a
    person's request; one by one only when one of them refused), sends the messages ten to a call
    and writes the audit entries 25 to a call (docs/performance.md, "Fleet"). Answers the queued
    jobs in company order."""
    now = ports.clock()
    companies = ports.directory.companies_with_auto_reimport()
    # Each step runs in a copy of this call's context: where log keys are kept per thread (the
    # local stack, chalicelib/observability.py), its lines still carry the run's correlation id.
    call = contextvars.copy_context()
    workers = max(1, threads)
    with ThreadPoolExecutor(workers) as readers, ThreadPoolExecutor(workers) as writers:
        found = readers.map(
            lambda pair: call.copy().run(_due_budgets, ports, pair[0], pair[1], now), companies
        )
        steps, waiting = [], []
        for budgets in found:
            waiting += budgets
            while len(waiting) >= MAX_ENQUEUED_TOGETHER:
                step, waiting = waiting[:MAX_ENQUEUED_TOGETHER], waiting[MAX_ENQUEUED_TOGETHER:]
                steps.append(writers.submit(call.copy().run, _queue_scheduled, ports, step))
        if waiting:
            steps.append(writers.submit(call.copy().run, _queue_scheduled, ports, waiting))
        return [job for step_done in steps for job in step_done.result()]


def _due_budgets(
    ports: Ports, company_id: str, settings: ErpSettings, now: datetime
) -> list[Budget]:
    interval = timedelta(hours=settings.auto_reimport.every_hours)
    due: list[Budget] = []
    cursor: str | None = None
    while True:
        page = ports.budgets.list(company_id, BudgetStatus.SYNCED, 100, cursor)
        due += [budget for budget in page.items if _due(budget, now, interval)]
        if page.next_cursor is None:
            return due
        cursor = page.next_cursor


def _due(budget: Budget, now: datetime, interval: timedelta) -> bool:
    """Idle, unlocked, and an interval since both the last sync and the last failed job: a failed
    job does not move `last_synced_at`, so without the second a budget whose re-import fails (a
    wrong password, bad lines) would be queued again at every run of the schedule, signing in
    with the wrong password each time (docs/domain-rules.md, "Automatic re-import")."""
    if budget.locked or budget.active_job_id:
        return False
    moments = [at for at in (budget.last_synced_at, budget.last_failed_at) if at]
    return not moments or now - max(moments) >= interval


def _queue_scheduled(ports: Ports, budgets: list[Budget]) -> list[Job]:
    """Record a job per budget (at most MAX_ENQUEUED_TOGETHER, of any companies) in one step,
    send their messages in batches; a job whose message the queue refused is failed (nothing
    changed) and its budget is free for the next round."""
    by_key = {(b.company_id, b.budget_id): b for b in budgets}
    takers = [b for b in budgets if admission.refusal(b, JobKind.REIMPORT) is None]
    jobs = [(_new_job(ports, budget, JobKind.REIMPORT, SCHEDULE_REQUESTER), budget)
            for budget in takers]  # fmt: skip
    recorded = _record_together(ports, jobs)
    if not recorded:
        return []
    refused = {m.job_id for m in ports.queue.send_batch([_message_for(j) for j in recorded])}
    queued = []
    for job in recorded:
        if job.job_id in refused:
            totals = _recorded_totals(ports, job, by_key[job.company_id, job.budget_id])
            ports.jobs.fail(job, _not_queued(JobKind.REIMPORT), [], ports.clock(), totals=totals)
        else:
            queued.append(job)
    ports.audit.record_many([
        audit.entry(
            ports, job.company_id, SCHEDULE_REQUESTER, audit.REIMPORT_REQUESTED,
            by_key[job.company_id, job.budget_id].project_name, budget_id=job.budget_id,
            job_id=job.job_id,
        )
        for job in queued
    ])  # fmt: skip
    per_company = Counter(job.company_id for job in queued)
    logger().info("jobs queued", extra={"jobs_per_company": dict(per_company)})
    return queued


def _record_together(ports: Ports, jobs: list[tuple[Job, Budget]]) -> list[Job]:
    """The jobs in one atomic step (one transaction on DynamoDB, not one per job). If any budget
    refused (a person or another run got there first), nothing was recorded, and each job is
    recorded on its own under the same conditions, so the others are still queued exactly once."""
    if not jobs:
        return []
    try:
        companies = {job.company_id for job, _ in jobs}
        single = next(iter(companies)) if len(companies) == 1 else None
        with observability.span(observability.JOB_RECORD, company_id=single, jobs=len(jobs)):
            return ports.jobs.enqueue_all(jobs)
    except ConcurrentChange:
        pass
    recorded: list[Job] = []
    for job, budget in jobs:
        try:
            recorded.append(_record(ports, job, budget, None))
        except (
            BudgetLocked, JobInProgress, NotSynced, AlreadyImported, NotLinked, NotFound,
            ConcurrentChange, ServiceUnavailable,
        ):  # fmt: skip
            continue  # someone else got there first, or the store is down: next round
    return recorded


def resend_abandoned(ports: Ports) -> list[Job]:
    """Queued jobs whose message was lost (a crash between record and send) are sent again."""
    stale = ports.jobs.abandoned(ports.clock() - ABANDONED_AFTER)
    waiting = [_message_for(job) for job in stale if job.status is JobStatus.QUEUED]
    if waiting:
        # A refused message stays abandoned, so the next round sends it again.
        ports.queue.send_batch(waiting)
    return stale
