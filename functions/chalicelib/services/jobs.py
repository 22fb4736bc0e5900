"""Reading jobs, their per-line changes and their line errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib.domain.model import ChangeRecord, Job, JobKind, LineError, Permission
from chalicelib.domain.ports import Identity, Page
from chalicelib.services.access import Tool, authorize, membership_in, require
from chalicelib.services.budgets import decode_offset, encode_offset
from chalicelib.services.ports import Ports

CHANGES_IN_JOB = 100  # the job answer carries the first 100 changes; the rest page
# ... and the first 100 line errors with their count; the rest page through `/errors`, so a jobs
# list of failed jobs stays far under Lambda's 6 MB answer however many lines were bad.
ERRORS_IN_JOB = 100


@dataclass(frozen=True)
class JobDetails:
    """What a job answer carries beside the job itself."""

    changes: list[ChangeRecord] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0  # every line error of the job, not only those in `errors`


def readable_job(ports: Ports, identity: Identity, company_id: str, job_id: str) -> Job:
    """A job the caller may read: ERP read-only+ reads every job; a restore is a Budget tool job,
    so Budget read-only+ (who may request or watch one) reads restores too."""
    membership = membership_in(ports.directory, identity, company_id)
    if membership.erp_permission >= Permission.READ_ONLY:
        return ports.jobs.get(company_id, job_id)
    if membership.budget_permission < Permission.READ_ONLY:
        # Neither: the refusal names what the job routes need (ERP read-only, docs/api.md).
        require(membership, Tool.ERP, Permission.READ_ONLY)  # raises
    job = ports.jobs.get(company_id, job_id)
    if job.kind is not JobKind.RESTORE:
        require(membership, Tool.ERP, Permission.READ_ONLY)  # raises
    return job


def job_details(ports: Ports, job: Job) -> JobDetails:
    """The first changes and line errors of a job the caller may read, and its error count. Only
    a job with changes costs a read: a job read back holds its first errors and their count."""
    changes = ports.jobs.changes(job, 0, CHANGES_IN_JOB) if job.change_count else []
    errors = job.errors[:ERRORS_IN_JOB]
    return JobDetails(changes, errors, max(job.error_count, len(job.errors)))


def get_job(
    ports: Ports, identity: Identity, company_id: str, job_id: str
) -> tuple[Job, JobDetails]:
    job = readable_job(ports, identity, company_id, job_id)
    return job, job_details(ports, job)


def list_jobs(
    ports: Ports,
    identity: Identity,
    company_id: str,
    budget_id: str | None,
    limit: int,
    cursor: str | None,
    fit: Callable[[list[tuple[Job, JobDetails]]], int] = len,
) -> Page[tuple[Job, JobDetails]]:
    """A page of at most `limit` jobs, newest first; `fit` says how many of them the answer can
    carry (Lambda's 6 MB, docs/api.md "Pages"). A page that cannot carry them all is read again,
    shorter, so that its cursor carries on from the first job left out."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    if budget_id is not None:
        # A budget this company does not have answers 404 like any other id of it, not an empty
        # list (docs/domain-rules.md, Tenancy): one read of its header, only when filtered on.
        ports.budgets.get(company_id, budget_id)  # raises NotFound
    read: dict[str, JobDetails] = {}

    def details(job: Job) -> JobDetails:
        if job.job_id not in read:
            read[job.job_id] = job_details(ports, job)
        return read[job.job_id]

    while True:
        page = ports.jobs.list(company_id, budget_id, limit, cursor)
        items = [(job, details(job)) for job in page.items]
        fitting = fit(items)
        if fitting >= len(items):
            return Page(items, page.next_cursor)
        limit = fitting  # fewer each time, at least one: this ends


def job_changes(
    ports: Ports, identity: Identity, company_id: str, job_id: str, limit: int, cursor: str | None
) -> Page[ChangeRecord]:
    job = readable_job(ports, identity, company_id, job_id)
    offset, _ = decode_offset(cursor)
    changes = ports.jobs.changes(job, offset, limit)
    end = offset + len(changes)
    return Page(changes, encode_offset(end) if end < job.change_count else None)


def job_errors(
    ports: Ports, identity: Identity, company_id: str, job_id: str, limit: int, cursor: str | None
) -> Page[LineError]:
    """A page of the job's line errors, in line order, as `job_changes` pages its changes."""
    job = readable_job(ports, identity, company_id, job_id)
    offset, _ = decode_offset(cursor)
    errors, count = ports.jobs.errors(job, offset, limit)
    end = offset + len(errors)
    return Page(errors, encode_offset(end) if errors and end < count else None)


def all_changes(
    ports: Ports, identity: Identity, company_id: str, job_id: str
) -> list[ChangeRecord]:
    """Every change of a job, for its CSV."""
    job = readable_job(ports, identity, company_id, job_id)
    return ports.jobs.changes(job, 0, job.change_count) if job.change_count else []
