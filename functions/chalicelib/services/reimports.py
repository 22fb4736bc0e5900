"""Requesting an import or re-import, and the worker's application of it, exactly once.

The request records the job (and claims the budget for it) before it sends the queue message, so
no one ever looks at a job that exists only in the queue; a message lost after the record is
re-sent by the schedule's sweep (`resend_abandoned`), and the worker is idempotent on the job id.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.domain.errors import (
    AlreadyImported,
    BudgetLocked,
    ConcurrentChange,
    ErpRejected,
    ErpUnavailable,
    InvalidRequest,
    JobInProgress,
    NotFound,
    NotLinked,
    NotSynced,
    ServiceUnavailable,
    TargetRejected,
)
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    CatalogEntry,
    ChangeRecord,
    CostCatalog,
    ErpCatalog,
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
from chalicelib.domain.ports import BudgetTarget, Identity, JobMessage, Outcome
from chalicelib.domain.reimport import (
    InvalidErpBudget,
    no_change_message,
    plan_import,
    plan_reimport,
    success_message,
)
from chalicelib.observability import logger
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports
from chalicelib.services.targets import target_for

SCHEDULE_REQUESTER = "schedule"
MAX_IDEMPOTENCY_KEY_LENGTH = 128
COMMIT_ATTEMPTS = 3  # re-plans when someone edits the budget while the worker applies it
ABANDONED_AFTER = timedelta(minutes=10)


def request_job(
    ports: Ports,
    identity: Identity,
    company_id: str,
    budget_id: str,
    kind: JobKind,
    idempotency_key: str | None = None,
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
    job = enqueue(ports, budget, kind, identity.email, idempotency_key)
    action = audit.IMPORT_REQUESTED if kind is JobKind.IMPORT else audit.REIMPORT_REQUESTED
    audit.record(
        ports, company_id, identity.email, action, budget.project_name,
        budget_id=budget_id, job_id=job.job_id,
    )  # fmt: skip
    return job


def enqueue(
    ports: Ports, budget: Budget, kind: JobKind, requested_by: str, idempotency_key: str | None
) -> Job:
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
    )
    recorded = ports.jobs.enqueue(job, budget, idempotency_key)
    if recorded.job_id != job.job_id:
        return recorded  # the same Idempotency-Key again: the job it created before
    try:
        ports.queue.send(_message_for(recorded))
    except ServiceUnavailable:
        ports.jobs.fail(
            recorded,
            "The re-import could not be queued, so nothing was changed. Please try again in a minute.",
            [],
            ports.clock(),
        )
        raise
    logger().info("job queued", extra={"job_id": job.job_id, "kind": kind.value})
    return recorded


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


@dataclass(frozen=True)
class WorkResult:
    """What the worker did with one message, for metrics and logs."""

    job: Job
    already_finished: bool = False
    lines_applied: int = 0
    erp_seconds: float | None = None


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
        return _apply(ports, job)
    except ErpUnavailable as why:
        if not final_attempt:
            raise
        return WorkResult(
            _fail(
                ports,
                job,
                f"{why.message} The re-import was tried several times and gave up; nothing was changed.",
            )
        )
    except ErpRejected as why:
        return WorkResult(_fail(ports, job, why.message))
    except NotFound as why:
        return WorkResult(_fail(ports, job, why.message))


def _apply(ports: Ports, job: Job) -> WorkResult:
    erp_lines: list[ErpLine] | None = None
    erp_seconds: float | None = None
    budget = ports.budgets.get(job.company_id, job.budget_id)
    try:
        target = target_for(ports, budget)
        if target.recover(job):
            return WorkResult(_fail(ports, job, _recovered_message(target.name)))
    except TargetRejected as why:
        return WorkResult(_fail(ports, job, why.message, why.errors))
    for _ in range(COMMIT_ATTEMPTS):
        budget = ports.budgets.get(job.company_id, job.budget_id)
        if budget.active_job_id != job.job_id:
            return WorkResult(
                _fail(
                    ports,
                    job,
                    "The budget was released before this job could run; nothing was changed.",
                )
            )
        if erp_lines is None:
            if budget.locked:
                return WorkResult(_fail(ports, job, _locked_message(budget)))
            started = time.perf_counter()
            erp_lines = _fetch(ports, job, budget)
            erp_seconds = time.perf_counter() - started
        try:
            return _plan_and_apply(ports, job, budget, target, erp_lines, erp_seconds)
        except ConcurrentChange:
            logger().info(
                "budget changed while applying; planning again", extra={"job_id": job.job_id}
            )
            continue
    return WorkResult(
        _fail(
            ports,
            job,
            "The budget kept changing while the re-import was applied; nothing was changed. Please re-import again.",
        ),
        erp_seconds=erp_seconds,
    )


def _plan_and_apply(
    ports: Ports,
    job: Job,
    budget: Budget,
    target: BudgetTarget,
    erp_lines: list[ErpLine],
    erp_seconds: float | None,
) -> WorkResult:
    """One planning and application; raises ConcurrentChange when the budget moved meanwhile."""
    ports.jobs.report_progress(job, Progress(phase=Phase.VALIDATING, done=0, total=len(erp_lines)))
    catalog = _catalog_for(ports, job, erp_lines)
    try:
        current = target.read(budget)
    except TargetRejected as why:
        return WorkResult(_fail(ports, job, why.message, why.errors), erp_seconds=erp_seconds)
    if current.locked:
        return WorkResult(_fail(ports, job, _locked_message(budget)), erp_seconds=erp_seconds)
    planner = plan_import if job.kind is JobKind.IMPORT else plan_reimport
    try:
        plan = planner(current.lines, erp_lines, catalog)
    except InvalidErpBudget as invalid:
        return WorkResult(
            _fail(ports, job, invalid.message, invalid.errors), erp_seconds=erp_seconds
        )
    ports.jobs.report_progress(job, Progress(phase=Phase.APPLYING, done=0, total=len(plan.lines)))
    changes = [
        ChangeRecord(c.key.line_item_id, c.key, c.kind, c.old_amount, c.new_amount)
        for c in plan.changes
    ]
    message = (
        success_message(job.kind, target.name)
        if changes
        else no_change_message(job.kind, target.name)
    )
    outcome = Outcome(plan.summary, changes, message, ports.clock())
    try:
        finished = target.apply(budget, job, plan.lines, plan.total, outcome)
    except BudgetLocked:
        return WorkResult(_fail(ports, job, _locked_message(budget)), erp_seconds=erp_seconds)
    except TargetRejected as why:
        return WorkResult(_fail(ports, job, why.message, why.errors), erp_seconds=erp_seconds)
    return WorkResult(finished, lines_applied=len(changes), erp_seconds=erp_seconds)


def _recovered_message(target: str) -> str:
    return (
        f"An earlier attempt of this job stopped while writing to {target}; every amount it had "
        f"written was put back, so the budget in {target} is as it was. Please re-import again."
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


def _fetch(ports: Ports, job: Job, budget: Budget) -> list[ErpLine]:
    connection = ports.directory.erp_connection(job.company_id)
    credentials = ports.secrets.erp_credentials(connection.credentials_secret_id)
    source = ports.erp_sources(connection, credentials)

    def on_page(lines_so_far: int) -> None:
        ports.jobs.report_progress(
            job, Progress(phase=Phase.FETCHING, done=lines_so_far, total=lines_so_far)
        )

    return source.fetch_budget(budget.erp_job_id, on_page=on_page)


def _locked_message(budget: Budget) -> str:
    return (
        f"The budget for {budget.project_name} was locked before the re-import could be applied; "
        "nothing was changed. Unlock the budget and re-import."
    )


def _fail(ports: Ports, job: Job, message: str, errors: list[LineError] | None = None) -> Job:
    logger().info("job failed", extra={"job_id": job.job_id, "reason": message})
    return ports.jobs.fail(job, message, errors or [], ports.clock())


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
                    job = enqueue(ports, budget, JobKind.REIMPORT, SCHEDULE_REQUESTER, None)
                    queued.append(job)
                    audit.record(
                        ports, company_id, SCHEDULE_REQUESTER, audit.REIMPORT_REQUESTED,
                        budget.project_name, budget_id=budget.budget_id, job_id=job.job_id,
                    )  # fmt: skip
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
            ports.queue.send(_message_for(job))
    return stale
