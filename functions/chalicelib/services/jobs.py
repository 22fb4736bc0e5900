"""Reading jobs and their per-line changes."""

from __future__ import annotations

from chalicelib.domain.model import ChangeRecord, Job, JobKind, Permission
from chalicelib.domain.ports import Identity, Page
from chalicelib.services.access import Tool, authorize, membership_in, require
from chalicelib.services.budgets import decode_offset, encode_offset
from chalicelib.services.ports import Ports

CHANGES_IN_JOB = 100  # the job answer carries the first 100 changes; the rest page


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


def get_job(
    ports: Ports, identity: Identity, company_id: str, job_id: str
) -> tuple[Job, list[ChangeRecord]]:
    job = readable_job(ports, identity, company_id, job_id)
    changes = ports.jobs.changes(job, 0, CHANGES_IN_JOB) if job.change_count else []
    return job, changes


def list_jobs(
    ports: Ports,
    identity: Identity,
    company_id: str,
    budget_id: str | None,
    limit: int,
    cursor: str | None,
) -> Page[tuple[Job, list[ChangeRecord]]]:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    if budget_id is not None:
        # A budget this company does not have answers 404 like any other id of it, not an empty
        # list (docs/domain-rules.md, Tenancy): one read of its header, only when filtered on.
        ports.budgets.get(company_id, budget_id)  # raises NotFound
    page = ports.jobs.list(company_id, budget_id, limit, cursor)
    items = [
        (job, ports.jobs.changes(job, 0, CHANGES_IN_JOB) if job.change_count else [])
        for job in page.items
    ]
    return Page(items, page.next_cursor)


def job_changes(
    ports: Ports, identity: Identity, company_id: str, job_id: str, limit: int, cursor: str | None
) -> Page[ChangeRecord]:
    job = readable_job(ports, identity, company_id, job_id)
    offset, _ = decode_offset(cursor)
    changes = ports.jobs.changes(job, offset, limit)
    end = offset + len(changes)
    return Page(changes, encode_offset(end) if end < job.change_count else None)


def all_changes(
    ports: Ports, identity: Identity, company_id: str, job_id: str
) -> list[ChangeRecord]:
    """Every change of a job, for its CSV."""
    job = readable_job(ports, identity, company_id, job_id)
    return ports.jobs.changes(job, 0, job.change_count) if job.change_count else []
