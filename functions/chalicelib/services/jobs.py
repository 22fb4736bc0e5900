"""Reading jobs and their per-line changes."""

from __future__ import annotations

from chalicelib.domain.model import ChangeRecord, Job, Permission
from chalicelib.domain.ports import Identity, Page
from chalicelib.services.access import Tool, authorize
from chalicelib.services.budgets import decode_offset, encode_offset
from chalicelib.services.ports import Ports

CHANGES_IN_JOB = 100  # the job answer carries the first 100 changes; the rest page


def get_job(
    ports: Ports, identity: Identity, company_id: str, job_id: str
) -> tuple[Job, list[ChangeRecord]]:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    job = ports.jobs.get(company_id, job_id)
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
    page = ports.jobs.list(company_id, budget_id, limit, cursor)
    items = [
        (job, ports.jobs.changes(job, 0, CHANGES_IN_JOB) if job.change_count else [])
        for job in page.items
    ]
    return Page(items, page.next_cursor)


def job_changes(
    ports: Ports, identity: Identity, company_id: str, job_id: str, limit: int, cursor: str | None
) -> Page[ChangeRecord]:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    job = ports.jobs.get(company_id, job_id)
    offset, _ = decode_offset(cursor)
    changes = ports.jobs.changes(job, offset, limit)
    end = offset + len(changes)
    return Page(changes, encode_offset(end) if end < job.change_count else None)
