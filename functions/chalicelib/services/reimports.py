"""Requesting an import or re-import, and the worker's application of it, exactly once.

The request records the job (and claims the budget for it) before it sends the queue message, so
no one ever looks at a job that exists only in the queue; a message lost after the record is
re-sent by the schedule's sweep (`resend_abandoned`), and the worker is idempotent on the job id.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib import observability
from chalicelib.domain.errors import (
    AlreadyImported,
    BudgetLocked,
    ConcurrentChange,
    ErpRejected,
    ErpUnavailable,
    InvalidRequest,
    JobInProgress,
    NotFound,
    NotSynced,
    PreviewExpired,
    PreviewStale,
    ServiceUnavailable,
)
from chalicelib.domain.history import plan_restore, restore_message
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    ChangeRecord,
    ErpLine,
    Job,
    JobKind,
    JobStatus,
    LineError,
    Permission,
    Phase,
    PreviewBasis,
    Progress,
    Totals,
)
from chalicelib.domain.ports import Identity, JobMessage
from chalicelib.domain.reimport import (
    InvalidErpBudget,
    Plan,
    no_change_message,
    plan_import,
    plan_reimport,
    success_message,
)
from chalicelib.observability import logger
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports

SCHEDULE_REQUESTER = "schedule"
MAX_IDEMPOTENCY_KEY_LENGTH = 128
COMMIT_ATTEMPTS = 3  # re-plans when someone edits the budget while the worker applies it
ABANDONED_AFTER = timedelta(minutes=10)
PREVIEW_LIFETIME = timedelta(hours=1)
PREVIEW_STALE = "preview_stale"


def request_job(
    ports: Ports,
    identity: Identity,
    company_id: str,
    budget_id: str,
    kind: JobKind,
    idempotency_key: str | None = None,
    preview_job_id: str | None = None,
) -> Job:
    """A person or API client asks for an import/re-import (or for applying a preview of one);
    answers the queued job at once."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.STANDARD)
    if idempotency_key is not None and not (
        0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH and idempotency_key.isprintable()
    ):
        raise InvalidRequest(
            f"The Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters."
        )
    budget = ports.budgets.get(company_id, budget_id)
    if preview_job_id is not None:
        _check_preview(ports, budget, kind, preview_job_id)
    extra = {"preview_job_id": preview_job_id} if preview_job_id else None
    return enqueue(ports, budget, kind, identity.email, idempotency_key, extra)


def request_preview(ports: Ports, identity: Identity, company_id: str, budget_id: str) -> Job:
    """Plan what an import (ready to import) or re-import (synced) would do, changing nothing.

    A preview holds nothing: the budget stays free for edits, locks and other jobs meanwhile, and
    applying the preview later proves that nothing moved (`_check_preview` and the worker).
    """
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.STANDARD)
    budget = ports.budgets.get(company_id, budget_id)
    return enqueue(ports, budget, JobKind.PREVIEW, identity.email, None)


def _check_preview(ports: Ports, budget: Budget, kind: JobKind, preview_job_id: str) -> None:
    """Refuse at once a preview that cannot be applied as it was shown."""
    try:
        preview = ports.jobs.get(budget.company_id, preview_job_id)
    except NotFound:
        raise NotFound("There is no such preview in this company.") from None
    if preview.kind is not JobKind.PREVIEW or preview.budget_id != budget.budget_id:
        raise InvalidRequest("preview_job_id does not name a preview of this budget.")
    if preview.status is not JobStatus.SUCCEEDED or preview.basis is None:
        raise InvalidRequest(
            "That preview has not finished successfully, so there is nothing to apply."
        )
    finished = preview.finished_at or preview.requested_at
    if ports.clock() - finished > PREVIEW_LIFETIME:
        raise PreviewExpired(
            "The preview is more than an hour old. Preview again to see the ERP's current budget."
        )
    if preview.basis.planned_kind is not kind or budget.version != preview.basis.budget_version:
        raise PreviewStale(
            f"The budget for {budget.project_name} has changed since the preview. "
            "Preview again to see what the re-import would do now."
        )


def enqueue(
    ports: Ports,
    budget: Budget,
    kind: JobKind,
    requested_by: str,
    idempotency_key: str | None,
    extra: dict[str, Any] | None = None,
) -> Job:
    """Record a job (claiming the budget, but for a preview) and send its message."""
    if idempotency_key is None:
        # With a key, a replay must answer the job it created even though that job now holds the
        # budget; the store checks the key first and then the same refusals, atomically.
        _check_can_take(budget, kind)
    job = Job(
        job_id=ports.new_id(),
        company_id=budget.company_id,
        budget_id=budget.budget_id,
        kind=kind,
        requested_by=requested_by,
        requested_at=ports.clock(),
        message="Queued",
        **(extra or {}),
    )
    with observability.span(observability.JOB_RECORD, **_ids(job)):
        recorded = ports.jobs.enqueue(job, budget, idempotency_key)
    if recorded.job_id != job.job_id:
        return recorded  # the same Idempotency-Key again: the job it created before
    try:
        _send(ports, recorded)
    except ServiceUnavailable:
        ports.jobs.fail(
            recorded,
            f"The {_noun(kind)} could not be queued, so nothing was changed. "
            "Please try again in a minute.",
            [],
            ports.clock(),
        )
        raise
    logger().info("job queued", extra={"job_id": job.job_id, "kind": kind.value})
    return recorded


def _noun(kind: JobKind) -> str:
    return {JobKind.PREVIEW: "preview", JobKind.RESTORE: "restore", JobKind.IMPORT: "import"}.get(
        kind, "re-import"
    )


def _check_can_take(budget: Budget, kind: JobKind) -> None:
    """Fast answers for the common refusals; the store checks again atomically when recording."""
    name = budget.project_name
    if kind is JobKind.PREVIEW:
        return
    if kind is JobKind.RESTORE:
        if budget.locked:
            raise BudgetLocked(f"The budget for {name} is locked. Unlock the budget to restore.")
        if budget.active_job_id:
            raise JobInProgress(
                f"A job is already queued or running for the budget of {name}; wait for it to "
                "finish.",
                job_id=budget.active_job_id,
            )
        return
    if kind is JobKind.REIMPORT and budget.status is not BudgetStatus.SYNCED:
        raise NotSynced(f"The budget for {name} has not been imported yet. Import it first.")
    if kind is JobKind.IMPORT and budget.status is not BudgetStatus.READY_TO_IMPORT:
        raise AlreadyImported(f"The budget for {name} is already imported. Use Re-import instead.")
    if budget.locked:
        raise BudgetLocked(f"The budget for {name} is locked. Unlock the budget to re-import.")
    if budget.active_job_id:
        raise JobInProgress(
            f"A re-import of {name} is already queued or running.", job_id=budget.active_job_id
        )


def _message_for(job: Job) -> JobMessage:
    return JobMessage(job_id=job.job_id, company_id=job.company_id, budget_id=job.budget_id)


def _ids(job: Job) -> dict[str, str]:
    """What a trace subsegment of this job is annotated with (ids only, never secrets)."""
    return {"company_id": job.company_id, "budget_id": job.budget_id, "job_id": job.job_id}


def _send(ports: Ports, job: Job) -> None:
    with observability.span(observability.QUEUE_SEND, **_ids(job)):
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


def run_job(ports: Ports, message: JobMessage, *, final_attempt: bool) -> WorkResult:
    """Apply one queued job. Safe to run any number of times for the same message.

    Transient ERP failures raise ErpUnavailable so the queue redelivers the message, except on
    the final attempt, where the job fails with a sentence instead of staying in progress.
    """
    job = ports.jobs.get(message.company_id, message.job_id)
    if job.status.finished:
        return WorkResult(job, already_finished=True)
    try:
        job = ports.jobs.start(job, ports.clock())
    except ConcurrentChange:
        return WorkResult(ports.jobs.get(job.company_id, job.job_id), already_finished=True)
    try:
        return _preview(ports, job) if job.kind is JobKind.PREVIEW else _apply(ports, job)
    except ErpUnavailable as why:
        if not final_attempt:
            raise
        return WorkResult(
            _fail(
                ports,
                job,
                f"{why.message} The {_noun(job.kind)} was tried several times and gave up; "
                "nothing was changed.",
            )
        )
    except ErpRejected as why:
        return WorkResult(_fail(ports, job, why.message))
    except NotFound as why:
        return WorkResult(_fail(ports, job, why.message))


class _Refused(Exception):
    """A job that cannot go on: it fails with this message (and line errors, and a code)."""

    def __init__(
        self, message: str, errors: list[LineError] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.code = code


@dataclass
class _Attempt:
    """What one run of a job keeps across its commit attempts: the ERP is fetched only once."""

    erp_lines: list[ErpLine] | None = None
    erp: ErpCall | None = None


def _apply(ports: Ports, job: Job) -> WorkResult:
    """Plan and commit an import, re-import or restore, re-planning when the budget moves."""
    attempt = _Attempt()
    try:
        for _ in range(COMMIT_ATTEMPTS):
            budget = ports.budgets.get(job.company_id, job.budget_id)
            if budget.active_job_id != job.job_id:
                raise _Refused(
                    "The budget was released before this job could run; nothing was changed."
                )
            if budget.locked:
                raise _Refused(_locked_message(budget, job.kind))
            plan = _plan(ports, job, budget, attempt)
            ports.jobs.report_progress(
                job, Progress(phase=Phase.APPLYING, done=0, total=len(plan.lines))
            )
            try:
                finished, changed = _commit(ports, budget, job, plan)
            except ConcurrentChange:
                if job.preview_job_id:
                    raise _Refused(_stale_budget(budget), code=PREVIEW_STALE) from None
                logger().info(
                    "budget changed while applying; planning again", extra={"job_id": job.job_id}
                )
                continue
            except BudgetLocked:
                raise _Refused(_locked_message(budget, job.kind)) from None
            return WorkResult(finished, lines_applied=changed, erp=attempt.erp)
        raise _Refused(
            f"The budget kept changing while the {_noun(job.kind)} was applied; nothing was "
            "changed. Please try again."
        )
    except _Refused as refused:
        failed = _fail(ports, job, refused.message, refused.errors, refused.code)
        return WorkResult(failed, erp=attempt.erp)


def _commit(ports: Ports, budget: Budget, job: Job, plan: Plan) -> tuple[Job, int]:
    """Writes the planned version and switches the budget to it; answers the finished job and
    how many lines changed."""
    changes = _change_records(plan)
    with observability.span(observability.BUDGET_COMMIT, **_ids(job)):
        finished = ports.budgets.commit(
            budget, plan.lines, plan.total, job, plan.summary, changes,
            _success(job, bool(changes)), ports.clock(), _totals(job, budget, plan),
        )  # fmt: skip
    return finished, len(changes)


def _change_records(plan: Plan) -> list[ChangeRecord]:
    return [
        ChangeRecord(c.key.line_item_id, c.key, c.kind, c.old_amount, c.new_amount)
        for c in plan.changes
    ]


def _plan(ports: Ports, job: Job, budget: Budget, attempt: _Attempt) -> Plan:
    """The plan of one commit attempt; raises _Refused when the job must fail instead."""
    if job.kind is JobKind.RESTORE:
        return _plan_restore(ports, job, budget)
    if attempt.erp_lines is None:
        started = time.perf_counter()
        attempt.erp_lines, system = _fetch(ports, job, budget)
        attempt.erp = ErpCall(system, time.perf_counter() - started)
    kind = job.kind if job.kind is not JobKind.PREVIEW else _planned_kind(budget)
    plan = _plan_erp(ports, job, budget, attempt.erp_lines, kind)
    if job.preview_job_id:
        _check_still_previewed(ports, job, budget, plan)
    return plan


def _plan_erp(
    ports: Ports, job: Job, budget: Budget, erp_lines: list[ErpLine], kind: JobKind
) -> Plan:
    ports.jobs.report_progress(job, Progress(phase=Phase.VALIDATING, done=0, total=len(erp_lines)))
    catalog = ports.directory.cost_catalog(job.company_id)
    current = ports.budgets.read_lines(budget)
    planner = plan_import if kind is JobKind.IMPORT else plan_reimport
    try:
        plan = planner(current, erp_lines, catalog)
    except InvalidErpBudget as invalid:
        raise _Refused(invalid.message, invalid.errors) from None
    ports.budgets.record_erp_total(budget, plan.erp_total, ports.clock())
    return plan


def _plan_restore(ports: Ports, job: Job, budget: Budget) -> Plan:
    version = job.restore_version or 0
    try:
        target = ports.budgets.read_lines(budget.model_copy(update={"version": version}))
    except NotFound:
        raise _Refused(
            f"Version {version} of this budget is no longer kept, so nothing was restored."
        ) from None
    return plan_restore(ports.budgets.read_lines(budget), target)


def _check_still_previewed(ports: Ports, job: Job, budget: Budget, plan: Plan) -> None:
    """Apply exactly what the preview showed or nothing: the budget and the ERP must not have
    moved since it was made."""
    preview = ports.jobs.get(job.company_id, job.preview_job_id or "")
    basis = preview.basis
    if basis is None or budget.version != basis.budget_version:
        raise _Refused(_stale_budget(budget), code=PREVIEW_STALE)
    if plan.erp_digest != basis.erp_digest:
        raise _Refused(
            "The ERP's budget lines changed after the preview, so nothing was changed. "
            "Preview again to see what the re-import would do now.",
            code=PREVIEW_STALE,
        )


def _stale_budget(budget: Budget) -> str:
    return (
        f"The budget for {budget.project_name} changed after the preview, so nothing was "
        "changed. Preview again to see what the re-import would do now."
    )


def _planned_kind(budget: Budget) -> JobKind:
    ready = budget.status is BudgetStatus.READY_TO_IMPORT
    return JobKind.IMPORT if ready else JobKind.REIMPORT


def _totals(job: Job, budget: Budget, plan: Plan) -> Totals | None:
    if job.kind is JobKind.RESTORE:
        return None
    return Totals(
        current_erp_total=plan.erp_total, current_total=budget.total, new_total=plan.total
    )


def _success(job: Job, changed: bool) -> str:
    if job.kind is JobKind.RESTORE:
        return restore_message(job.restore_version or 0)
    return success_message(job.kind) if changed else no_change_message(job.kind)


def _preview(ports: Ports, job: Job) -> WorkResult:
    """Fetch, validate and plan as the apply would, record what it would do, change nothing."""
    attempt = _Attempt()
    try:
        budget = ports.budgets.get(job.company_id, job.budget_id)
        plan = _plan(ports, job, budget, attempt)
    except _Refused as refused:
        failed = _fail(ports, job, refused.message, refused.errors, refused.code)
        return WorkResult(failed, erp=attempt.erp)
    changes = _change_records(plan)
    count = len(changes)
    message = (
        f"Preview ready: {count} {'line' if count == 1 else 'lines'} would change."
        if count
        else "Preview ready: nothing would change; the budget already matches the ERP."
    )
    finished = job.model_copy(
        update={
            "status": JobStatus.SUCCEEDED,
            "message": message,
            "summary": plan.summary,
            "change_count": count,
            "totals": _totals(job, budget, plan),
            "basis": PreviewBasis(
                budget_version=budget.version,
                erp_digest=plan.erp_digest,
                planned_kind=_planned_kind(budget),
            ),
            "finished_at": ports.clock(),
            "progress": Progress(phase=Phase.APPLYING, done=len(plan.lines), total=len(plan.lines)),
        }
    )
    return WorkResult(ports.jobs.finish_preview(finished, changes), erp=attempt.erp)


def _fetch(ports: Ports, job: Job, budget: Budget) -> tuple[list[ErpLine], str]:
    """The ERP's lines for the budget, and which ERP system answered."""
    connection = ports.directory.erp_connection(job.company_id)
    credentials = ports.secrets.erp_credentials(connection.credentials_secret_id)
    source = ports.erp_sources(connection, credentials)

    def on_page(lines_so_far: int) -> None:
        ports.jobs.report_progress(
            job, Progress(phase=Phase.FETCHING, done=lines_so_far, total=lines_so_far)
        )

    with observability.span(observability.ERP_FETCH, **_ids(job)) as subsegment:
        if subsegment is not None:
            subsegment.put_annotation(key="erp_system", value=connection.erp_system)
        lines = source.fetch_budget(budget.erp_job_id, on_page=on_page)
    return lines, connection.erp_system


def _locked_message(budget: Budget, kind: JobKind = JobKind.REIMPORT) -> str:
    noun, verb = ("restore", "restore") if kind is JobKind.RESTORE else ("re-import", "re-import")
    return (
        f"The budget for {budget.project_name} was locked before the {noun} could be applied; "
        f"nothing was changed. Unlock the budget and {verb}."
    )


def _fail(
    ports: Ports,
    job: Job,
    message: str,
    errors: list[LineError] | None = None,
    code: str | None = None,
) -> Job:
    logger().info("job failed", extra={"job_id": job.job_id, "reason": message})
    return ports.jobs.fail(job, message, errors or [], ports.clock(), code)


def fail_dead_letter(ports: Ports, message: JobMessage) -> Job:
    """A message that exhausted its receives: its job must end failed, never stay in progress."""
    job = ports.jobs.get(message.company_id, message.job_id)
    if job.status.finished:
        return job
    return _fail(
        ports,
        job,
        f"The {_noun(job.kind)} could not be completed after several attempts (the ERP did not "
        "answer in time); nothing was changed. Please try again later.",
    )


def enqueue_due_reimports(ports: Ports) -> list[Job]:
    """The schedule: re-import synced, unlocked, idle budgets of companies that enabled it."""
    now = ports.clock()
    queued: list[Job] = []
    for company_id, settings in ports.directory.companies_with_auto_reimport():
        interval = timedelta(hours=settings.auto_reimport.every_hours)
        cursor: str | None = None
        while True:
            page = ports.budgets.list(company_id, BudgetStatus.SYNCED, 100, cursor)
            for budget in page.items:
                if budget.locked or budget.active_job_id:
                    continue
                if budget.last_synced_at is not None and now - budget.last_synced_at < interval:
                    continue
                try:
                    queued.append(
                        enqueue(ports, budget, JobKind.REIMPORT, SCHEDULE_REQUESTER, None)
                    )
                except (
                    BudgetLocked,
                    JobInProgress,
                    NotSynced,
                    AlreadyImported,
                    ServiceUnavailable,
                ):
                    continue  # someone else got there first, or the queue is down: next round
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    return queued


def resend_abandoned(ports: Ports) -> list[Job]:
    """Queued jobs whose message was lost (a crash between record and send) are sent again."""
    stale = ports.jobs.abandoned(ports.clock() - ABANDONED_AFTER)
    for job in stale:
        if job.status is JobStatus.QUEUED:
            _send(ports, job)
    return stale
