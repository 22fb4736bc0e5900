"""In-memory twins of the storage, queue, secret and identity ports, for unit tests.

The stores share one `MemoryDatabase`, guarded by one lock, so cross-store atomic operations
(enqueue: job + budget; commit: budget + job) behave as the DynamoDB transactions do.
"""

from __future__ import annotations

import bisect
import builtins
import contextlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from chalicelib.adapters.dynamodb.base import decode_cursor, encode_cursor
from chalicelib.adapters.dynamodb.items import (
    ERRORS_IN_ITEM,
    SEED_AUTHOR,
    budget_sort_key,
)
from chalicelib.adapters.dynamodb.jobs import IDEMPOTENCY_SECONDS
from chalicelib.adapters.invitations import invitation, password_problem, temporary_password
from chalicelib.adapters.lines import apply_edit, check_total, key_of, version_gone
from chalicelib.domain import admission
from chalicelib.domain.errors import (
    AlreadyLinked,
    AlreadyMember,
    ConcurrentChange,
    ErpRejected,
    InvalidCredentials,
    InvalidRequest,
    JobInProgress,
    NotFound,
    ServiceUnavailable,
    Unauthenticated,
    WeakPassword,
)
from chalicelib.domain.history import edit_summary
from chalicelib.domain.model import (
    RUNNING_MESSAGE,
    AuditEvent,
    Budget,
    BudgetStatus,
    BudgetVersion,
    CatalogEntry,
    ChangeRecord,
    CostCatalog,
    ErpCatalog,
    ErpConnection,
    ErpCredentials,
    ErpSettings,
    Job,
    JobStatus,
    LineError,
    LineItem,
    Membership,
    MemberStatus,
    OutboxMessage,
    Permission,
    Phase,
    Progress,
    ProjectLink,
    Summary,
    TargetConfig,
    TargetWrite,
    Totals,
    VersionSource,
    catalog_codes,
    iso,
    job_order_key,
    utc_now,
)
from chalicelib.domain.money import ZERO
from chalicelib.domain.ports import (
    MAX_ENQUEUED_TOGETHER,
    Identity,
    JobMessage,
    LineEdit,
    NewPasswordChallenge,
    Page,
    SessionToken,
)
from chalicelib.domain.reimport import Plan


@dataclass
class _StoredBudget:
    header: Budget
    lines: builtins.list[LineItem]
    # Every version, with its lines (lists are never changed in place, only replaced).
    versions: dict[int, tuple[BudgetVersion, builtins.list[LineItem]]] = field(default_factory=dict)

    def record(
        self, by: str, source: VersionSource, job_id: str | None, summary: Summary, at: datetime
    ) -> None:
        """The current header and lines become a version of the history."""
        head = self.header
        self.versions[head.version] = (
            BudgetVersion(
                version=head.version,
                at=at,
                by=by,
                source=source,
                job_id=job_id,
                total=head.total,
                line_count=head.line_count,
                summary=summary,
                status=head.status,
                locked=head.locked,
            ),
            self.lines,
        )


@dataclass
class MemoryDatabase:
    """Everything the in-memory stores hold. `clock` gives epoch seconds (idempotency expiry)."""

    clock: Callable[[], float] = time.time
    lock: threading.RLock = field(default_factory=threading.RLock)
    budgets: dict[tuple[str, str], _StoredBudget] = field(default_factory=dict)
    projects: dict[tuple[str, str], str] = field(default_factory=dict)
    jobs: dict[tuple[str, str], Job] = field(default_factory=dict)
    changes: dict[tuple[str, str], list[ChangeRecord]] = field(default_factory=dict)
    # Every line error of a failed job; the job itself carries the first ERRORS_IN_ITEM, as the
    # DynamoDB job item does.
    errors: dict[tuple[str, str], list[LineError]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str, str], tuple[str, float]] = field(default_factory=dict)
    companies: dict[str, str] = field(default_factory=dict)
    connections: dict[str, ErpConnection] = field(default_factory=dict)
    members: dict[tuple[str, str], tuple[Permission, Permission]] = field(default_factory=dict)
    member_status: dict[tuple[str, str], MemberStatus] = field(default_factory=dict)
    catalogs: dict[str, ErpCatalog] = field(default_factory=dict)
    links: dict[tuple[str, str], ProjectLink] = field(default_factory=dict)
    unlinked: set[tuple[str, str]] = field(default_factory=set)  # (company, budget) off the lists
    settings: dict[str, ErpSettings] = field(default_factory=dict)
    messages: builtins.list[JobMessage] = field(default_factory=list)
    secrets: dict[str, ErpCredentials] = field(default_factory=dict)
    targets: dict[str, TargetConfig] = field(default_factory=dict)
    writes: dict[tuple[str, str], list[TargetWrite]] = field(default_factory=dict)


def _database(source: MemoryDatabase | _MemoryStore | None) -> MemoryDatabase:
    """Stores built on nothing get a fresh database; on another store, they share its database."""
    if source is None:
        return MemoryDatabase()
    if isinstance(source, MemoryDatabase):
        return source
    return source.db


class _MemoryStore:
    def __init__(self, db: MemoryDatabase | _MemoryStore | None = None) -> None:
        self.db = _database(db)


def _copy(budget: Budget) -> Budget:
    return budget.model_copy(deep=True)


def _moved(what: str = "budget") -> ConcurrentChange:
    return ConcurrentChange(f"The {what} changed meanwhile; reload it and try again.")


def _version_gone() -> NotFound:
    return NotFound("This budget has no such version, or it is no longer kept.")


class MemoryBudgetStore(_MemoryStore):
    def _now(self) -> datetime:
        return datetime.fromtimestamp(int(self.db.clock()), UTC)

    def _stored(self, company_id: str, budget_id: str) -> _StoredBudget:
        stored = self.db.budgets.get((company_id, budget_id))
        if stored is None:
            raise NotFound("There is no such budget in this company.")
        return stored

    def get(self, company_id: str, budget_id: str) -> Budget:
        with self.db.lock:
            return _copy(self._stored(company_id, budget_id).header)

    def get_by_project(self, company_id: str, project_id: str) -> Budget:
        with self.db.lock:
            budget_id = self.db.projects.get((company_id, project_id))
            if budget_id is None:
                raise NotFound("There is no such project in this company.")
            return self.get(company_id, budget_id)

    def list(
        self, company_id: str, status: BudgetStatus | None, limit: int, cursor: str | None
    ) -> Page[Budget]:
        return self._listed(
            company_id,
            lambda s: (
                (status is None or s.header.status is status)
                and (company_id, s.header.budget_id) not in self.db.unlinked
            ),
            limit,
            cursor,
        )

    def list_unlinked(self, company_id: str, limit: int, cursor: str | None) -> Page[Budget]:
        return self._listed(
            company_id,
            lambda s: (company_id, s.header.budget_id) in self.db.unlinked,
            limit,
            cursor,
        )

    def _listed(
        self,
        company_id: str,
        wanted: Callable[[_StoredBudget], bool],
        limit: int,
        cursor: str | None,
    ) -> Page[Budget]:
        after = decode_cursor(cursor, ["after"])["after"] if cursor else None
        with self.db.lock:
            found = sorted(
                (budget_sort_key(s.header.project_name, s.header.budget_id), _copy(s.header))
                for (cid, _), s in self.db.budgets.items()
                if cid == company_id and wanted(s)
            )
        found = [pair for pair in found if after is None or pair[0] > after]
        page = found[:limit]
        more = len(found) > limit
        return Page(
            [b for _, b in page], encode_cursor({"after": page[-1][0]}) if more and page else None
        )

    def _lines_of(self, budget: Budget) -> builtins.list[LineItem]:
        stored = self._stored(budget.company_id, budget.budget_id)
        if budget.version == stored.header.version:
            return stored.lines
        if budget.version > stored.header.version:
            raise _moved()
        kept = stored.versions.get(budget.version)
        if kept is None:
            raise _version_gone()
        return kept[1]

    def history(self, budget: Budget, limit: int, cursor: str | None) -> Page[BudgetVersion]:
        before = int(decode_cursor(cursor, ["before"])["before"]) if cursor else None
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            found = sorted(
                (record for record, _ in stored.versions.values()),
                key=lambda record: record.version,
                reverse=True,
            )
        found = [r for r in found if before is None or r.version < before]
        page = found[:limit]
        more = len(found) > limit
        return Page(
            [r.model_copy(deep=True) for r in page],
            encode_cursor({"before": str(page[-1].version)}) if more and page else None,
        )

    def version(self, budget: Budget, version: int) -> BudgetVersion:
        with self.db.lock:
            kept = self._stored(budget.company_id, budget.budget_id).versions.get(version)
            if kept is None:
                raise _version_gone()
            return kept[0].model_copy(deep=True)

    def record_erp_total(self, budget: Budget, total: Decimal, at: datetime) -> None:
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            stored.header = stored.header.model_copy(
                update={"current_erp_total": total, "erp_total_as_of": at}
            )

    def record_target_lock(self, budget: Budget, locked: bool) -> None:
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            stored.header = stored.header.model_copy(update={"target_locked": locked})

    def at_version(self, budget: Budget, version: int) -> Budget:
        """Any kept version of the history reads exactly; one out of it is gone (410)."""
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            if version == stored.header.version:
                return _copy(stored.header)
            kept = stored.versions.get(version) if version < stored.header.version else None
            if kept is not None:
                _, lines = kept
                return stored.header.model_copy(
                    update={
                        "version": version,
                        "total": sum((line.original_budget_amount for line in lines), ZERO),
                        "line_count": len(lines),
                    }
                )
        raise version_gone()

    def read_lines(self, budget: Budget) -> builtins.list[LineItem]:
        with self.db.lock:
            return [_line_copy(line) for line in self._lines_of(budget)]

    def read_page(self, budget: Budget, offset: int, limit: int) -> builtins.list[LineItem]:
        if offset < 0 or limit <= 0:
            return []
        with self.db.lock:
            return [_line_copy(line) for line in self._lines_of(budget)[offset : offset + limit]]

    def commit(self, budget: Budget, plan: Plan, finished: Job) -> Job:
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            head = stored.header
            if head.locked:
                raise admission.locked_while_applying(head.project_name, finished.kind)
            if head.version != budget.version or head.active_job_id != finished.job_id:
                raise _moved()
            current_job = self.db.jobs.get((finished.company_id, finished.job_id))
            if current_job is None or current_job.status is not JobStatus.IN_PROGRESS:
                raise ConcurrentChange("The job is no longer running; nothing was applied.")
            new_lines = sorted((_line_copy(line) for line in plan.lines), key=lambda x: x.key)
            stored.lines = new_lines
            stored.header = head.model_copy(
                update={
                    "version": head.version + 1,
                    "total": sum((line.original_budget_amount for line in new_lines), ZERO),
                    "line_count": len(new_lines),
                    "status": BudgetStatus.SYNCED,
                    "last_synced_at": finished.finished_at,
                    "active_job_id": None,
                    **_erp_total(plan, finished),
                }
            )
            stored.record(
                finished.requested_by,
                VersionSource(finished.kind.value),
                finished.job_id,
                finished.summary or plan.summary,
                finished.finished_at or self._now(),
            )
            return _succeed(self.db, finished, plan.records())

    def edit_line(
        self, budget: Budget, line_item_id: str, edit: LineEdit, by: str = ""
    ) -> LineItem:
        wbs = key_of(line_item_id)
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            head = stored.header
            if head.locked:
                raise admission.locked_refusal(head.project_name, "edit its lines")
            if head.version != budget.version:
                raise _moved()
            keys = [line.key for line in stored.lines]
            position = bisect.bisect_left(keys, wbs)
            if position == len(keys) or keys[position] != wbs:
                raise NotFound("There is no such line item in this budget.")
            old = stored.lines[position]
            edited = apply_edit(old, edit)
            check_total(head.total - old.original_budget_amount + edited.original_budget_amount)
            # A new list, so a reader holding the old one is not changed under its feet.
            stored.lines = [*stored.lines[:position], edited, *stored.lines[position + 1 :]]
            stored.header = head.model_copy(
                update={
                    "version": head.version + 1,
                    "total": head.total
                    - old.original_budget_amount
                    + edited.original_budget_amount,
                }
            )
            summary = edit_summary(old, edited, len(stored.lines))
            stored.record(by, VersionSource.EDIT, None, summary, self._now())
            return _line_copy(edited)

    def set_locked(self, budget: Budget, locked: bool) -> Budget:
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            stored.header = stored.header.model_copy(update={"locked": locked})
            return _copy(stored.header)

    def unlink(self, budget: Budget) -> Budget:
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            if stored.header.active_job_id:
                raise JobInProgress(
                    f"A job on the budget for {stored.header.project_name} is queued or running; "
                    "unlink the project when it has finished.",
                    job_id=stored.header.active_job_id,
                )
            stored.header = stored.header.model_copy(update={"erp_job_id": ""})
            self.db.unlinked.add((budget.company_id, budget.budget_id))
            return _copy(stored.header)

    def create_budget(self, budget: Budget, lines: Sequence[LineItem]) -> Budget:
        ordered = sorted((_line_copy(line) for line in lines), key=lambda line: line.key)
        header = budget.model_copy(
            update={
                "total": sum((line.original_budget_amount for line in ordered), ZERO),
                "line_count": len(ordered),
            }
        )
        stored = _StoredBudget(header, ordered)
        if ordered:  # an empty budget has no version yet: nothing was written to its lines
            seeded = Summary(lines_added=len(ordered))
            stored.record(
                SEED_AUTHOR,
                VersionSource.IMPORT,
                None,
                seeded,
                budget.last_synced_at or self._now(),
            )
        with self.db.lock:
            self.db.budgets[(budget.company_id, budget.budget_id)] = stored
            self.db.projects[(budget.company_id, budget.project_id)] = budget.budget_id
        return _copy(header)


def _line_copy(line: LineItem) -> LineItem:
    return LineItem(line.key, line.description, line.original_budget_amount, line.uom,
                    line.quantity, line.unit_cost, tuple(line.erp_refs))  # fmt: skip


def _erp_total(plan: Plan, job: Job) -> dict[str, object]:
    """The ERP total a commit records with its version (an import or re-import planned on it)."""
    if not admission.fetches_erp(job.kind):
        return {}
    return {"current_erp_total": plan.erp_total, "erp_total_as_of": job.finished_at}


def _succeed(db: MemoryDatabase, finished: Job, changes: Sequence[ChangeRecord]) -> Job:
    """A running job's move to succeeded, as `finished` holds it, with its change records (the
    one place both the commit and a preview's finish write it); a finished job stays as it was."""
    with db.lock:
        current = db.jobs.get((finished.company_id, finished.job_id))
        if current is None:
            raise NotFound("There is no such job in this company.")
        if current.status is not JobStatus.IN_PROGRESS:
            return current.model_copy(deep=True)
        done = finished.model_copy(
            update={"attempts": current.attempts, "started_at": current.started_at}
        )
        db.jobs[(finished.company_id, finished.job_id)] = done
        db.changes[(finished.company_id, finished.job_id)] = sorted(changes, key=lambda c: c.key)
        return done.model_copy(deep=True)


class MemoryJobStore(_MemoryStore):
    def idempotent_job(self, budget: Budget, idempotency_key: str) -> Job | None:
        with self.db.lock:
            marker = self.db.idempotency.get((budget.company_id, budget.budget_id, idempotency_key))
            if marker is None or marker[1] <= self.db.clock():
                return None
            earlier = self.db.jobs.get((budget.company_id, marker[0]))
            return None if earlier is None else earlier.model_copy(deep=True)

    def enqueue(self, job: Job, budget: Budget, idempotency_key: str | None) -> Job:
        with self.db.lock:
            marker_key = (budget.company_id, budget.budget_id, idempotency_key or "")
            if idempotency_key is not None:
                earlier = self.idempotent_job(budget, idempotency_key)
                if earlier is not None:
                    return earlier
            stored = self.db.budgets.get((budget.company_id, budget.budget_id))
            if stored is None:
                raise NotFound("There is no such budget in this company.")
            admission.check_can_take(stored.header, job.kind)
            if (job.company_id, job.job_id) in self.db.jobs:
                raise ConcurrentChange("The budget changed while the job was being queued.")
            self.db.jobs[(job.company_id, job.job_id)] = job.model_copy(deep=True)
            if admission.holds_budget(job.kind):
                stored.header = stored.header.model_copy(update={"active_job_id": job.job_id})
            if idempotency_key is not None:
                expires = self.db.clock() + IDEMPOTENCY_SECONDS
                self.db.idempotency[marker_key] = (job.job_id, expires)
            return job

    def release_idempotency_key(self, budget: Budget, idempotency_key: str, job_id: str) -> None:
        with self.db.lock:
            marker_key = (budget.company_id, budget.budget_id, idempotency_key)
            marker = self.db.idempotency.get(marker_key)
            if marker is not None and marker[0] == job_id:
                del self.db.idempotency[marker_key]

    def enqueue_all(self, jobs: Sequence[tuple[Job, Budget]]) -> list[Job]:
        """All or nothing, as DynamoDB's one transaction: any refusal records none of them."""
        if len(jobs) > MAX_ENQUEUED_TOGETHER:
            raise InvalidRequest(f"At most {MAX_ENQUEUED_TOGETHER} jobs go in one step.")
        with self.db.lock:
            for job, budget in jobs:
                stored = self.db.budgets.get((budget.company_id, budget.budget_id))
                if (
                    stored is None
                    or not admission.holds_budget(job.kind)
                    or admission.refusal(stored.header, job.kind) is not None
                    or (job.company_id, job.job_id) in self.db.jobs
                ):
                    raise ConcurrentChange("A budget changed while the jobs were being queued.")
            for job, budget in jobs:
                self.enqueue(job, budget, None)
            return [job for job, _ in jobs]

    def get(self, company_id: str, job_id: str) -> Job:
        with self.db.lock:
            job = self.db.jobs.get((company_id, job_id))
            if job is None:
                raise NotFound("There is no such job in this company.")
            return job.model_copy(deep=True)

    def list(
        self, company_id: str, budget_id: str | None, limit: int, cursor: str | None
    ) -> Page[Job]:
        before = decode_cursor(cursor, ["before"])["before"] if cursor else None
        with self.db.lock:
            found = sorted(
                (
                    (job_order_key(job.requested_at, job.job_id), job.model_copy(deep=True))
                    for (cid, _), job in self.db.jobs.items()
                    if cid == company_id and (budget_id is None or job.budget_id == budget_id)
                ),
                key=lambda pair: pair[0],
                reverse=True,
            )
        found = [pair for pair in found if before is None or pair[0] < before]
        page = found[: max(1, limit)]
        more = len(found) > len(page)
        return Page(
            [job for _, job in page],
            encode_cursor({"before": page[-1][0]}) if more and page else None,
        )

    def start(self, company_id: str, job_id: str, now: datetime) -> Job:
        with self.db.lock:
            current = self.get(company_id, job_id)
            if current.status.finished:
                return current.model_copy(deep=True)
            started = current.model_copy(
                update={
                    "status": JobStatus.IN_PROGRESS,
                    "started_at": current.started_at or now,
                    "attempts": current.attempts + 1,
                    "progress": Progress(phase=Phase.FETCHING),
                    "message": RUNNING_MESSAGE,
                }
            )
            self.db.jobs[(company_id, job_id)] = started
            return started.model_copy(deep=True)

    def report_progress(self, job: Job, progress: Progress) -> None:
        with self.db.lock:
            current = self.db.jobs.get((job.company_id, job.job_id))
            if current is not None and current.status is JobStatus.IN_PROGRESS:
                self.db.jobs[(job.company_id, job.job_id)] = current.model_copy(
                    update={"progress": progress}
                )

    def report_waiting(self, job: Job, message: str) -> None:
        with self.db.lock:
            current = self.db.jobs.get((job.company_id, job.job_id))
            if current is not None and current.status is JobStatus.IN_PROGRESS:
                self.db.jobs[(job.company_id, job.job_id)] = current.model_copy(
                    update={"message": message}
                )

    def fail(
        self,
        job: Job,
        message: str,
        errors: Sequence[LineError],
        finished_at: datetime,
        error_code: str | None = None,
        totals: Totals | None = None,
        scheduled: bool = False,
    ) -> Job:
        with self.db.lock:
            current = self.get(job.company_id, job.job_id)
            if current.status.finished:
                return current
            failed = current.model_copy(
                update={
                    "status": JobStatus.FAILED,
                    "message": message,
                    "errors": list(errors[:ERRORS_IN_ITEM]),
                    "error_count": len(errors),
                    "finished_at": finished_at,
                    "error_code": error_code,
                    "totals": totals,
                }
            )
            self.db.jobs[(job.company_id, job.job_id)] = failed
            self.db.errors[(job.company_id, job.job_id)] = list(errors)
            stored = self.db.budgets.get((job.company_id, job.budget_id))
            if stored is not None and stored.header.active_job_id == job.job_id:
                released: dict[str, object] = {"active_job_id": None}
                if scheduled:
                    released["last_failed_at"] = finished_at
                stored.header = stored.header.model_copy(update=released)
            return failed.model_copy(deep=True)

    def finish_preview(self, finished: Job, changes: Sequence[ChangeRecord]) -> Job:
        with self.db.lock:
            return _succeed(self.db, finished, changes)

    def changes(self, job: Job, offset: int, limit: int) -> builtins.list[ChangeRecord]:
        if offset < 0 or limit <= 0:
            return []
        with self.db.lock:
            return list(
                self.db.changes.get((job.company_id, job.job_id), [])[offset : offset + limit]
            )

    def errors(self, job: Job, offset: int, limit: int) -> tuple[builtins.list[LineError], int]:
        with self.db.lock:
            current = self.get(job.company_id, job.job_id)  # raises NotFound
            every = self.db.errors.get((job.company_id, job.job_id), current.errors)
            if offset < 0 or limit <= 0:
                return [], len(every)
            return [e.model_copy() for e in every[offset : offset + limit]], len(every)

    def unfinished(self, company_id: str, limit: int) -> builtins.list[Job]:
        with self.db.lock:
            found = sorted(
                (
                    job.model_copy(deep=True)
                    for (cid, _), job in self.db.jobs.items()
                    if cid == company_id and not job.status.finished
                ),
                key=lambda job: job_order_key(job.requested_at, job.job_id),
                reverse=True,
            )
        return found[:limit]

    def abandoned(self, older_than: datetime) -> builtins.list[Job]:
        with self.db.lock:
            return sorted(
                (
                    job.model_copy(deep=True)
                    for job in self.db.jobs.values()
                    if job.status is JobStatus.QUEUED and job.requested_at < older_than
                ),
                key=lambda job: job.requested_at,
            )

    def record_writes(self, job: Job, writes: Sequence[TargetWrite]) -> None:
        with self.db.lock:
            self.db.writes[(job.company_id, job.job_id)] = list(writes)

    def recorded_writes(self, job: Job) -> builtins.list[TargetWrite]:
        with self.db.lock:
            return list(self.db.writes.get((job.company_id, job.job_id), []))


class MemoryDirectory(_MemoryStore):
    def memberships(self, email: str) -> builtins.list[Membership]:
        with self.db.lock:
            found = [
                self.membership(cid, member)
                for (cid, member) in self.db.members
                if member == email.lower()
            ]
        return sorted(
            (m for m in found if m is not None),
            key=lambda m: (m.company_name.lower(), m.company_id),
        )

    def membership(self, company_id: str, email: str) -> Membership | None:
        with self.db.lock:
            permissions = self.db.members.get((company_id, email.lower()))
            if permissions is None:
                return None
            return Membership(
                company_id=company_id,
                company_name=self.db.companies.get(company_id, company_id),
                email=email.lower(),
                erp_permission=permissions[0],
                budget_permission=permissions[1],
                status=self.db.member_status.get((company_id, email.lower()), MemberStatus.ACTIVE),
            )

    def members(self, company_id: str) -> builtins.list[Membership]:
        with self.db.lock:
            emails = sorted(email for (cid, email) in self.db.members if cid == company_id)
            return [m for m in (self.membership(company_id, e) for e in emails) if m is not None]

    def company_name(self, company_id: str) -> str | None:
        return self.db.companies.get(company_id)

    def cost_catalog(self, company_id: str) -> CostCatalog:
        return catalog_codes(self.catalog_entries(company_id))

    def catalog_entries(self, company_id: str) -> ErpCatalog:
        return self.db.catalogs.get(company_id, ErpCatalog([], []))

    def save_catalog(self, company_id: str, catalog: ErpCatalog) -> None:
        with self.db.lock:
            self.db.catalogs[company_id] = ErpCatalog(
                sorted(catalog.cost_codes, key=lambda e: e.code),
                sorted(catalog.cost_types, key=lambda e: e.code),
            )

    def erp_connection(self, company_id: str) -> ErpConnection:
        connection = self.db.connections.get(company_id)
        if connection is None:
            raise NotFound("This company has no ERP connection yet; an ERP admin can set one up.")
        return connection

    def delete_erp_connection(self, company_id: str) -> None:
        with self.db.lock:
            self.db.connections.pop(company_id, None)

    def erp_settings(self, company_id: str) -> ErpSettings:
        return self.db.settings.get(company_id, ErpSettings()).model_copy(deep=True)

    def save_erp_settings(self, company_id: str, settings: ErpSettings) -> ErpSettings:
        with self.db.lock:
            self.db.settings[company_id] = settings.model_copy(deep=True)
        return settings

    def companies_with_auto_reimport(self) -> builtins.list[tuple[str, ErpSettings]]:
        with self.db.lock:
            return sorted(
                (cid, s.model_copy(deep=True))
                for cid, s in self.db.settings.items()
                if s.auto_reimport.enabled
            )

    def reading_company(self, company_id: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # every read here is already in memory

    def target(self, company_id: str) -> TargetConfig:
        with self.db.lock:
            return self.db.targets.get(company_id, TargetConfig()).model_copy()

    def save_target(self, company_id: str, config: TargetConfig) -> TargetConfig:
        with self.db.lock:
            self.db.targets[company_id] = config.model_copy()
        return config

    def links(self, company_id: str) -> dict[str, str]:
        return {job: link.project_id for job, link in self.project_links(company_id).items()}

    def project_links(self, company_id: str) -> dict[str, ProjectLink]:
        with self.db.lock:
            return {job: link for (cid, job), link in self.db.links.items() if cid == company_id}

    def put_link(
        self, company_id: str, erp_job_id: str, project_id: str, project_name: str = ""
    ) -> None:
        with self.db.lock:
            if (company_id, erp_job_id) in self.db.links:
                raise AlreadyLinked(f"The ERP job {erp_job_id} is already linked to a project.")
            self.db.links[(company_id, erp_job_id)] = ProjectLink(project_id, project_name)

    def delete_link(self, company_id: str, erp_job_id: str) -> None:
        with self.db.lock:
            self.db.links.pop((company_id, erp_job_id), None)

    def put_company(self, company_id: str, name: str) -> None:
        with self.db.lock:
            self.db.companies[company_id] = name

    def put_erp_connection(self, company_id: str, connection: ErpConnection) -> None:
        with self.db.lock:
            self.db.connections[company_id] = connection

    def put_member(
        self,
        company_id: str,
        email: str,
        erp_permission: Permission,
        budget_permission: Permission,
        status: MemberStatus = MemberStatus.ACTIVE,
    ) -> None:
        with self.db.lock:
            self.db.members[(company_id, email.lower())] = (erp_permission, budget_permission)
            self.db.member_status[(company_id, email.lower())] = status

    def add_member(
        self,
        company_id: str,
        email: str,
        erp_permission: Permission,
        budget_permission: Permission,
        status: MemberStatus,
    ) -> None:
        with self.db.lock:
            if (company_id, email.lower()) in self.db.members:
                raise AlreadyMember(f"{email.lower()} is already a member of this company.")
            self.put_member(company_id, email, erp_permission, budget_permission, status)

    def activate_member(self, company_id: str, email: str) -> None:
        with self.db.lock:
            if (company_id, email.lower()) in self.db.members:
                self.db.member_status[(company_id, email.lower())] = MemberStatus.ACTIVE

    def change_member(
        self,
        before: Membership,
        erp_permission: Permission,
        budget_permission: Permission,
        keeping: Sequence[Membership] = (),
    ) -> None:
        with self.db.lock:
            self._check_still_held([before, *keeping])
            self.db.members[(before.company_id, before.email.lower())] = (
                erp_permission,
                budget_permission,
            )

    def remove_member(self, before: Membership, keeping: Sequence[Membership] = ()) -> None:
        with self.db.lock:
            self._check_still_held([before, *keeping])
            self.db.members.pop((before.company_id, before.email.lower()), None)
            self.db.member_status.pop((before.company_id, before.email.lower()), None)

    def _check_still_held(self, members: Sequence[Membership]) -> None:
        """As DynamoDB's conditions: each member still there with the permissions it had."""
        for member in members:
            held = self.db.members.get((member.company_id, member.email.lower()))
            if held != (member.erp_permission, member.budget_permission):
                raise ConcurrentChange("The members changed meanwhile; reload them and try again.")

    def put_cost_catalog(self, company_id: str, catalog: CostCatalog) -> None:
        """Seeding: codes without descriptions."""
        self.save_catalog(
            company_id,
            ErpCatalog(
                [CatalogEntry(code, "") for code in catalog.cost_codes],
                [CatalogEntry(code, "") for code in catalog.cost_types],
            ),
        )


class MemoryJobQueue(_MemoryStore):
    """Collects sent messages in `sent` (`db.messages`); set `available = False` to refuse them."""

    def __init__(self, db: MemoryDatabase | _MemoryStore | None = None) -> None:
        super().__init__(db)
        self.available = True
        self.batches: builtins.list[int] = []  # the size of each send_batch call
        self.postponed: builtins.list[tuple[str, int]] = []  # (receipt, seconds) of each postpone

    @property
    def sent(self) -> builtins.list[JobMessage]:
        return self.db.messages

    def send(self, message: JobMessage) -> None:
        if not self.available:
            raise ServiceUnavailable(
                "The job queue is not available right now; please try again in a moment."
            )
        with self.db.lock:
            self.db.messages.append(message)

    def send_batch(self, messages: builtins.list[JobMessage]) -> builtins.list[JobMessage]:
        if not self.available:
            return list(messages)
        with self.db.lock:
            self.db.messages.extend(messages)
            self.batches.append(len(messages))
        return []

    def postpone(self, receipt: str, seconds: int) -> None:
        """No deliveries to hide here: the in-memory queue only records the backoff asked for."""
        with self.db.lock:
            self.postponed.append((receipt, seconds))

    def drain(self) -> builtins.list[JobMessage]:
        """The messages sent so far, removed from the queue."""
        with self.db.lock:
            sent, self.db.messages[:] = list(self.db.messages), []
        return sent


class MemorySecretStore(_MemoryStore):
    def erp_credentials(self, secret_id: str) -> ErpCredentials:
        credentials = self.db.secrets.get(secret_id)
        if credentials is None:
            raise ErpRejected(
                "The ERP credentials are missing; an ERP admin must set up the connection."
            )
        return credentials

    def put_erp_credentials(self, secret_id: str, credentials: ErpCredentials) -> None:
        self.db.secrets[secret_id] = credentials

    put = put_erp_credentials

    def delete_erp_credentials(self, secret_id: str) -> None:
        self.db.secrets.pop(secret_id, None)


class MemoryAuditLog:
    """The audit log as a list, newest first when read."""

    def __init__(self) -> None:
        self.events: builtins.list[AuditEvent] = []
        self._lock = threading.Lock()

    def record(self, event: AuditEvent) -> None:
        with self._lock:
            self.events.append(event.model_copy(deep=True))

    def record_many(self, events: builtins.list[AuditEvent]) -> None:
        for event in events:
            self.record(event)

    def list(self, company_id: str, limit: int, cursor: str | None) -> Page[AuditEvent]:
        before = decode_cursor(cursor, ["before"])["before"] if cursor else None
        with self._lock:
            found = sorted(
                ((f"{iso(e.at)}#{n:012d}", e) for n, e in enumerate(self.events)
                 if e.company_id == company_id),
                key=lambda pair: pair[0],
                reverse=True,
            )  # fmt: skip
        found = [pair for pair in found if before is None or pair[0] < before]
        page = found[: max(1, limit)]
        more = len(found) > len(page)
        return Page(
            [e for _, e in page], encode_cursor({"before": page[-1][0]}) if more and page else None
        )


class MemoryAccounts:
    """Invitations kept in a list, like the local stack's outbox; `identity` learns the account.

    As with Cognito, an account nobody has signed in to yet (its temporary password unchanged) is
    invited again with a new temporary password; `existing` holds accounts someone has signed in
    to, for worlds without an `identity` (with one, its users with a permanent password count)."""

    def __init__(self, identity: MemoryIdentityProvider | None = None) -> None:
        self.identity = identity
        self.sent: builtins.list[OutboxMessage] = []
        self.existing: set[str] = set()

    def invite(self, email: str, company_name: str) -> bool:
        email = email.lower()
        signed_in = email in self.existing or (
            self.identity is not None
            and email in self.identity.users
            and email not in self.identity.temporary
        )
        if signed_in:
            return False
        password = temporary_password()
        if self.identity is not None:
            self.identity.add_user(email, password, temporary=True)
        self.sent.append(invitation(email, company_name, password, utc_now()))
        return True

    def outbox(self) -> builtins.list[OutboxMessage]:
        return sorted(self.sent, key=lambda m: m.sent_at, reverse=True)


class MemoryIdentityProvider:
    """Sign-in against a dict of users; tokens are opaque strings mapped back to identities."""

    def __init__(self, users: dict[str, str] | None = None, expires_in: int = 3600) -> None:
        self.users = {email.lower(): password for email, password in (users or {}).items()}
        self.expires_in = expires_in
        self.tokens: dict[str, Identity] = {}
        self.temporary: set[str] = set()
        self.sessions: dict[str, str] = {}  # challenge session -> email

    def add_user(self, email: str, password: str, *, temporary: bool = False) -> None:
        self.users[email.lower()] = password
        if temporary:
            self.temporary.add(email.lower())

    def issue(self, email: str) -> str:
        """A valid token for `email` without a password (tests of signed-in routes)."""
        token = f"token-{secrets.token_urlsafe(16)}"
        self.tokens[token] = Identity(email=email.lower(), subject=f"sub-{email.lower()}")
        return token

    def sign_in(self, email: str, password: str) -> SessionToken | NewPasswordChallenge:
        expected = self.users.get(email.lower())
        if expected is None or not hmac.compare_digest(expected, password):
            raise InvalidCredentials("The email or password is not correct.")
        if email.lower() in self.temporary:
            session = secrets.token_urlsafe(24)
            self.sessions[session] = email.lower()
            return NewPasswordChallenge(session)
        return SessionToken(token=self.issue(email), expires_in=self.expires_in)

    def set_new_password(self, email: str, session: str, new_password: str) -> SessionToken:
        if self.sessions.get(session) != email.lower():
            raise InvalidCredentials("The sign-in session has expired. Please sign in again.")
        problem = password_problem(new_password)
        if problem:
            raise WeakPassword(problem)
        del self.sessions[session]
        self.users[email.lower()] = new_password
        self.temporary.discard(email.lower())
        return SessionToken(token=self.issue(email), expires_in=self.expires_in)

    def verify(self, token: str) -> Identity:
        identity = self.tokens.get(token)
        if identity is None:
            raise Unauthenticated("Sign in again: the session is missing, invalid or expired.")
        return identity


@dataclass
class MemoryStores:
    """One database and every store on it: `MemoryStores()` is a complete in-memory backend."""

    db: MemoryDatabase = field(default_factory=MemoryDatabase)

    def __post_init__(self) -> None:
        self.identity = MemoryIdentityProvider()
        self.accounts = MemoryAccounts(self.identity)
        self.audit = MemoryAuditLog()
        self.budgets = MemoryBudgetStore(self.db)
        self.jobs = MemoryJobStore(self.db)
        self.directory = MemoryDirectory(self.db)
        self.queue = MemoryJobQueue(self.db)
        self.secrets = MemorySecretStore(self.db)
