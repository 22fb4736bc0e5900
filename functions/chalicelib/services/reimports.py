"""Requesting an import or re-import, and the worker's application of it, exactly once.

The request records the job (and claims the budget for it) before it sends the queue message, so
no one ever looks at a job that exists only in the queue; a message lost after the record is
re-sent by the schedule's sweep (`resend_abandoned`), and the worker is idempotent on the job id.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import observability
from chalicelib.domain.errors import (
    AlreadyImported,
    BudgetLocked,
    ConcurrentChange,
    DomainError,
    ErpUnavailable,
    InvalidRequest,
    JobInProgress,
    NotLinked,
    NotSynced,
    ServiceUnavailable,
)
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    CatalogEntry,
    ChangeRecord,
    CostCatalog,
    ErpCatalog,
    ErpCredentials,
    ErpLine,
    Job,
    JobKind,
    JobStatus,
    LineError,
    LineKind,
    Permission,
    Phase,
    Progress,
    catalog_codes,
    merge_catalog,
)
from chalicelib.domain.ports import Identity, JobMessage
from chalicelib.domain.reimport import (
    BudgetTotalTooLarge,
    ErpBudgetEmpty,
    InvalidErpBudget,
    Plan,
    check_not_empty,
    no_change_message,
    plan_import,
    plan_reimport,
    success_message,
)
from chalicelib.observability import logger
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports

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


def request_job(
    ports: Ports,
    identity: Identity,
    company_id: str,
    budget_id: str,
    kind: JobKind,
    idempotency_key: str | None = None,
    *,
    allow_empty: bool = False,
) -> Job:
    """A person or API client asks for an import/re-import; answers the queued job at once."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.STANDARD)
    if idempotency_key is not None and not (
        0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH and idempotency_key.isprintable()
    ):
        raise InvalidRequest(
            f"The Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters."
        )
    budget = ports.budgets.get(company_id, budget_id)
    if not budget.erp_job_id:
        raise NotLinked(
            f"The project {budget.project_name} is no longer linked to an ERP job; link it again "
            "under ERP Integrations, Projects."
        )
    job = enqueue(ports, budget, kind, identity.email, idempotency_key, allow_empty=allow_empty)
    action = audit.IMPORT_REQUESTED if kind is JobKind.IMPORT else audit.REIMPORT_REQUESTED
    audit.record(
        ports, company_id, identity.email, action, budget.project_name,
        budget_id=budget_id, job_id=job.job_id,
    )  # fmt: skip
    return job


def enqueue(
    ports: Ports,
    budget: Budget,
    kind: JobKind,
    requested_by: str,
    idempotency_key: str | None,
    *,
    allow_empty: bool = False,
) -> Job:
    job = _new_job(ports, budget, kind, requested_by, allow_empty=allow_empty)
    recorded = _record(ports, job, budget, idempotency_key)
    if recorded.job_id != job.job_id:
        return recorded  # the same Idempotency-Key again: the job it created before
    try:
        _send(ports, recorded)
    except ServiceUnavailable:
        ports.jobs.fail(recorded, _NOT_QUEUED, [], ports.clock())
        raise
    logger().info("job queued", extra={"job_id": job.job_id, "kind": kind.value})
    return recorded


_NOT_QUEUED = (
    "The re-import could not be queued, so nothing was changed. Please try again in a minute."
)


def _new_job(
    ports: Ports, budget: Budget, kind: JobKind, requested_by: str, *, allow_empty: bool = False
) -> Job:
    return Job(
        job_id=ports.new_id(),
        company_id=budget.company_id,
        budget_id=budget.budget_id,
        kind=kind,
        requested_by=requested_by,
        requested_at=ports.clock(),
        message="Queued",
        allow_empty=allow_empty,
    )


def _record(ports: Ports, job: Job, budget: Budget, idempotency_key: str | None) -> Job:
    """The job and its hold on the budget, in one transaction (the store re-checks refusals)."""
    if idempotency_key is None:
        # With a key, a replay must answer the job it created even though that job now holds the
        # budget; the store checks the key first and then the same refusals, atomically.
        _check_can_take(budget, job.kind)
    with observability.span(observability.JOB_RECORD, **_ids(job)):
        return ports.jobs.enqueue(job, budget, idempotency_key)


def _check_can_take(budget: Budget, kind: JobKind) -> None:
    """Fast answers for the common refusals; the store checks again atomically when recording."""
    name = budget.project_name
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


def run_job(
    ports: Ports,
    message: JobMessage,
    *,
    final_attempt: bool,
    retry_in_seconds: int | None = None,
) -> WorkResult:
    """Apply one queued job. Safe to run any number of times for the same message.

    Transient ERP failures raise ErpUnavailable so the queue redelivers the message (the job says
    it is waiting to retry, and why), except on the final attempt, where the job fails with a
    sentence instead of staying in progress. Any other failure fails the job at once.
    """
    job = ports.jobs.get(message.company_id, message.job_id)
    if job.status.finished:
        return WorkResult(job, already_finished=True)
    try:
        job = ports.jobs.start(job, ports.clock())
    except ConcurrentChange:
        return WorkResult(ports.jobs.get(job.company_id, job.job_id), already_finished=True)
    try:
        return _apply(ports, job)
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
        return WorkResult(_fail(ports, job, UNEXPECTED_FAILURE.format(noun=_noun(job))))


def _noun(job: Job) -> str:
    return "import" if job.kind is JobKind.IMPORT else "re-import"


def _without_retry_promise(text: str) -> str:
    """The ERP adapter's sentence without its "the job will try again" ending."""
    return re.sub(r"[;,]?\s*the job will try again\.?", ".", text).replace("..", ".").strip()


def waiting_message(why: ErpUnavailable, retry_in_seconds: int | None) -> str:
    when = "shortly"
    if retry_in_seconds is not None:
        minutes = max(1, round(retry_in_seconds / 60))
        when = f"in about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"Waiting to retry {when}: {_without_retry_promise(why.message)}"


def gave_up_message(job: Job, why: ErpUnavailable) -> str:
    return (
        f"The {_noun(job)} gave up after several attempts and nothing was changed. The last "
        f"attempt failed: {_without_retry_promise(why.message)} Please try again later."
    )


def _apply(ports: Ports, job: Job) -> WorkResult:
    erp_lines: list[ErpLine] | None = None
    erp: ErpCall | None = None
    for attempt in range(COMMIT_ATTEMPTS):
        if attempt:
            ports.sleep(COMMIT_BACKOFF_SECONDS[attempt - 1])
        budget = ports.budgets.get(job.company_id, job.budget_id)
        if budget.active_job_id != job.job_id:
            return WorkResult(
                _fail(
                    ports,
                    job,
                    "The budget was released before this job could run; nothing was changed.",
                )
            )
        if budget.locked:
            return WorkResult(_fail(ports, job, _locked_message(budget)))
        if erp_lines is None:
            started = time.perf_counter()
            erp_lines, system = _fetch(ports, job, budget)
            erp = ErpCall(system, time.perf_counter() - started)

        ports.jobs.report_progress(
            job, Progress(phase=Phase.VALIDATING, done=0, total=len(erp_lines))
        )
        catalog = _catalog_for(ports, job, erp_lines)
        try:
            current = ports.budgets.read_lines(budget)
        except ConcurrentChange:
            continue  # the version moved on twice while it was read: read the budget again
        check_not_empty(current, erp_lines, job.allow_empty)
        planner = plan_import if job.kind is JobKind.IMPORT else plan_reimport
        try:
            plan = planner(current, erp_lines, catalog)
        except InvalidErpBudget as invalid:
            return WorkResult(_fail(ports, job, invalid.message, invalid.errors), erp=erp)

        ports.jobs.report_progress(
            job, Progress(phase=Phase.APPLYING, done=0, total=len(plan.lines))
        )
        try:
            finished, changed = _commit(ports, budget, job, plan)
        except ConcurrentChange:
            logger().info(
                "budget changed while applying; planning again", extra={"job_id": job.job_id}
            )
            continue
        except BudgetLocked:
            return WorkResult(_fail(ports, job, _locked_message(budget)), erp=erp)
        return WorkResult(finished, lines_applied=changed, erp=erp)
    return WorkResult(
        _fail(
            ports,
            job,
            "The budget kept changing while the re-import was applied; nothing was changed. Please re-import again.",
        ),
        erp=erp,
    )


def _catalog_for(ports: Ports, job: Job, erp_lines: list[ErpLine]) -> CostCatalog:
    """The company's catalog; with `add_unknown_cost_codes`, first extended by the cost lines'
    codes and types it lacks (the rules then find them known)."""
    catalog = ports.directory.cost_catalog(job.company_id)
    if not ports.directory.erp_settings(job.company_id).add_unknown_cost_codes:
        return catalog
    cost = [line for line in erp_lines if line.kind is LineKind.COST]
    codes = {line.key.cost_code for line in cost if line.key.cost_code} - catalog.cost_codes
    types = {line.key.cost_type for line in cost if line.key.cost_type} - catalog.cost_types
    if not codes and not types:
        return catalog
    added = ErpCatalog(
        [CatalogEntry(code, "") for code in sorted(codes)],
        [CatalogEntry(code, "") for code in sorted(types)],
    )
    merged, _, _ = merge_catalog(ports.directory.catalog_entries(job.company_id), added)
    ports.directory.save_catalog(job.company_id, merged)
    logger().info(
        "unknown cost codes added to the catalog",
        extra={"job_id": job.job_id, "cost_codes": len(codes), "cost_types": len(types)},
    )
    return catalog_codes(merged)


def _commit(ports: Ports, budget: Budget, job: Job, plan: Plan) -> tuple[Job, int]:
    """Writes the planned version and switches the budget to it; answers the finished job and
    how many lines changed."""
    changes = [
        ChangeRecord(c.key.line_item_id, c.key, c.kind, c.old_amount, c.new_amount)
        for c in plan.changes
    ]
    message = success_message(job.kind) if changes else no_change_message(job.kind)
    with observability.span(observability.BUDGET_COMMIT, **_ids(job)):
        finished = ports.budgets.commit(
            budget, plan.lines, plan.total, job, plan.summary, changes, message, ports.clock()
        )
    return finished, len(changes)


def _fetch(ports: Ports, job: Job, budget: Budget) -> tuple[list[ErpLine], str]:
    """The ERP's lines for the budget, and which ERP system answered."""
    connection = ports.directory.erp_connection(job.company_id)
    credentials = (
        ports.secrets.erp_credentials(connection.credentials_secret_id)
        if connection.signs_in
        else ErpCredentials()
    )
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


def _locked_message(budget: Budget) -> str:
    return (
        f"The budget for {budget.project_name} was locked before the re-import could be applied; "
        "nothing was changed. Unlock the budget and re-import."
    )


def _fail(
    ports: Ports,
    job: Job,
    message: str,
    errors: list[LineError] | None = None,
    *,
    code: str | None = None,
) -> Job:
    logger().info("job failed", extra={"job_id": job.job_id, "reason": message, "code": code})
    return ports.jobs.fail(job, message, errors or [], ports.clock(), code=code)


def fail_dead_letter(ports: Ports, message: JobMessage) -> Job:
    """A message that exhausted its receives: its job must end failed, never stay in progress."""
    job = ports.jobs.get(message.company_id, message.job_id)
    if job.status.finished:
        return job
    return _fail(
        ports,
        job,
        "The re-import could not be completed after several attempts (the ERP did not answer in "
        "time); nothing was changed. Please try again later.",
    )


def enqueue_due_reimports(ports: Ports) -> list[Job]:
    """The schedule: re-import synced, unlocked, idle budgets of companies that enabled it.

    Each job is recorded on its own (its budget's refusals are checked atomically, as for a
    person's request), then a page's messages go out ten to a call: a fleet run queues thousands
    (docs/performance.md, "Fleet")."""
    now = ports.clock()
    queued: list[Job] = []
    for company_id, settings in ports.directory.companies_with_auto_reimport():
        interval = timedelta(hours=settings.auto_reimport.every_hours)
        cursor: str | None = None
        while True:
            page = ports.budgets.list(company_id, BudgetStatus.SYNCED, 100, cursor)
            due = [budget for budget in page.items if _due(budget, now, interval)]
            queued += _queue_scheduled(ports, company_id, due)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    return queued


def _due(budget: Budget, now: datetime, interval: timedelta) -> bool:
    if budget.locked or budget.active_job_id:
        return False
    return budget.last_synced_at is None or now - budget.last_synced_at >= interval


def _queue_scheduled(ports: Ports, company_id: str, budgets: list[Budget]) -> list[Job]:
    """Record a job per budget, send their messages in batches; a job whose message the queue
    refused is failed (nothing changed) and its budget is free for the next round."""
    recorded: list[Job] = []
    for budget in budgets:
        try:
            job = _new_job(ports, budget, JobKind.REIMPORT, SCHEDULE_REQUESTER)
            recorded.append(_record(ports, job, budget, None))
        except (BudgetLocked, JobInProgress, NotSynced, AlreadyImported, ServiceUnavailable):
            continue  # someone else got there first, or the store is down: next round
    if not recorded:
        return []
    refused = {m.job_id for m in ports.queue.send_batch([_message_for(j) for j in recorded])}
    queued = []
    for job in recorded:
        if job.job_id in refused:
            ports.jobs.fail(job, _NOT_QUEUED, [], ports.clock())
        else:
            queued.append(job)
    ports.audit.record_many([
        audit.entry(
            ports, company_id, SCHEDULE_REQUESTER, audit.REIMPORT_REQUESTED,
            _project_name(budgets, job), budget_id=job.budget_id, job_id=job.job_id,
        )
        for job in queued
    ])  # fmt: skip
    logger().info("jobs queued", extra={"company_id": company_id, "jobs": len(queued)})
    return queued


def _project_name(budgets: list[Budget], job: Job) -> str:
    return next(b.project_name for b in budgets if b.budget_id == job.budget_id)


def resend_abandoned(ports: Ports) -> list[Job]:
    """Queued jobs whose message was lost (a crash between record and send) are sent again."""
    stale = ports.jobs.abandoned(ports.clock() - ABANDONED_AFTER)
    waiting = [_message_for(job) for job in stale if job.status is JobStatus.QUEUED]
    if waiting:
        # A refused message stays abandoned, so the next round sends it again.
        ports.queue.send_batch(waiting)
    return stale
