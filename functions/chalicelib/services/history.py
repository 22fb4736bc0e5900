"""A budget's history: its versions, the budget as of one of them, and restoring one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.domain.errors import NotFound
from chalicelib.domain.history import diff_lines
from chalicelib.domain.model import (
    Budget,
    BudgetVersion,
    ChangeRecord,
    Job,
    JobKind,
    LineItem,
    Permission,
    VersionSource,
)
from chalicelib.domain.ports import Identity, Page
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.budgets import decode_offset, encode_offset
from chalicelib.services.ports import Ports
from chalicelib.services.reimports import check_idempotency_key, enqueue, replayed_job
from chalicelib.services.targets import check_unlocked

# A version's answer carries at most this many of its changes (a Lambda answer stays under 6 MB);
# `change_count` says how many there were, and the job's own changes page through all of them.
MAX_VERSION_CHANGES = 1000


def list_history(
    ports: Ports,
    identity: Identity,
    company_id: str,
    project_id: str,
    limit: int,
    cursor: str | None,
) -> Page[BudgetVersion]:
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.READ_ONLY)
    budget = ports.budgets.get_by_project(company_id, project_id)
    return ports.budgets.history(budget, limit, cursor)


@dataclass(frozen=True)
class VersionView:
    """The budget as it was at one version: header, one page of lines, and what that version
    changed against the one before it."""

    budget: Budget
    record: BudgetVersion
    lines: list[LineItem]
    next_cursor: str | None
    changes: list[ChangeRecord]
    change_count: int


def read_version(
    ports: Ports,
    identity: Identity,
    company_id: str,
    project_id: str,
    version: int,
    page: tuple[int, str | None],
    fit: Callable[[Sequence[LineItem]], int] = len,
) -> VersionView:
    """`page` is (limit, cursor) of the version's lines; `fit` says how many of them the answer
    can carry (the HTTP answer's size limit), and the cursor then starts at the first left out."""
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.READ_ONLY)
    current = ports.budgets.get_by_project(company_id, project_id)
    record = ports.budgets.version(current, version)
    as_of = current.model_copy(
        update={
            "version": record.version,
            "total": record.total,
            "line_count": record.line_count,
            "status": record.status,
            "locked": record.locked,
        }
    )
    limit, cursor = page
    offset, _ = decode_offset(cursor)
    lines = ports.budgets.read_page(as_of, offset, limit)
    lines = lines[: fit(lines)]
    end = offset + len(lines)
    changes = _changes(ports, as_of, record)
    return VersionView(
        budget=as_of,
        record=record,
        lines=lines,
        next_cursor=encode_offset(end) if end < record.line_count else None,
        changes=changes[:MAX_VERSION_CHANGES],
        change_count=len(changes),
    )


def _changes(ports: Ports, as_of: Budget, record: BudgetVersion) -> list[ChangeRecord]:
    after = ports.budgets.read_lines(as_of)
    try:
        before = ports.budgets.read_lines(as_of.model_copy(update={"version": record.version - 1}))
    except NotFound:
        # The first version (an import, or the budget as it was created) is all additions; a
        # version whose predecessor has expired has no known changes.
        if record.source is not VersionSource.IMPORT:
            return []
        before = []
    return [
        ChangeRecord(c.key.line_item_id, c.key, c.kind, c.old_amount, c.new_amount)
        for c in diff_lines(before, after)
    ]


def request_restore(
    ports: Ports,
    identity: Identity,
    company_id: str,
    project_id: str,
    version: int,
    idempotency_key: str | None = None,
) -> Job:
    """Queue a restore of `version`'s amounts; 409 when the budget is locked or busy. The same
    Idempotency-Key again answers the restore it queued, as for a re-import."""
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.ADMIN)
    check_idempotency_key(idempotency_key)
    budget = ports.budgets.get_by_project(company_id, project_id)
    earlier = replayed_job(ports, budget, idempotency_key)
    if earlier is not None:
        return earlier
    ports.budgets.version(budget, version)  # NotFound when there is no such version (any more)
    check_unlocked(ports, budget, "restore")
    job = enqueue(
        ports, budget, JobKind.RESTORE, identity.email, idempotency_key,
        {"restore_version": version},
    )  # fmt: skip
    audit.record(
        ports, company_id, identity.email, audit.RESTORE_REQUESTED, budget.project_name,
        budget_id=budget.budget_id, job_id=job.job_id, version=version,
    )  # fmt: skip
    return job
