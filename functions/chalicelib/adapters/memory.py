"""In-memory twins of the storage, queue, secret and identity ports, for unit tests.

The stores share one `MemoryDatabase`, guarded by one lock, so cross-store atomic operations
(enqueue: job + budget; commit: budget + job) behave as the DynamoDB transactions do.
"""

from __future__ import annotations

import bisect
import builtins
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
    MAX_STORED_ERRORS,
    SEED_AUTHOR,
    budget_sort_key,
    to_iso,
)
from chalicelib.adapters.dynamodb.jobs import IDEMPOTENCY_SECONDS, failure_message, refusal
from chalicelib.adapters.lines import apply_edit, key_of
from chalicelib.domain.errors import (
    BudgetLocked,
    ConcurrentChange,
    ErpRejected,
    InvalidCredentials,
    NotFound,
    ServiceUnavailable,
    Unauthenticated,
)
from chalicelib.domain.history import edit_summary
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    BudgetVersion,
    ChangeRecord,
    CostCatalog,
    ErpConnection,
    ErpCredentials,
    ErpSettings,
    Job,
    JobKind,
    JobStatus,
    LineError,
    LineItem,
    Membership,
    Permission,
    Phase,
    Progress,
    Summary,
    Totals,
    VersionSource,
)
from chalicelib.domain.money import ZERO
from chalicelib.domain.ports import Identity, JobMessage, LineEdit, Page, SessionToken


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
    idempotency: dict[tuple[str, str, str], tuple[str, float]] = field(default_factory=dict)
    companies: dict[str, str] = field(default_factory=dict)
    connections: dict[str, ErpConnection] = field(default_factory=dict)
    members: dict[tuple[str, str], tuple[Permission, Permission]] = field(default_factory=dict)
    catalogs: dict[str, CostCatalog] = field(default_factory=dict)
    settings: dict[str, ErpSettings] = field(default_factory=dict)
    messages: builtins.list[JobMessage] = field(default_factory=list)
    secrets: dict[str, ErpCredentials] = field(default_factory=dict)


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
        after = decode_cursor(cursor, ["after"])["after"] if cursor else None
        with self.db.lock:
            found = sorted(
                (budget_sort_key(s.header.project_name, s.header.budget_id), _copy(s.header))
                for (cid, _), s in self.db.budgets.items()
                if cid == company_id and (status is None or s.header.status is status)
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

    def read_lines(self, budget: Budget) -> builtins.list[LineItem]:
        with self.db.lock:
            return [_line_copy(line) for line in self._lines_of(budget)]

    def read_page(self, budget: Budget, offset: int, limit: int) -> builtins.list[LineItem]:
        if offset < 0 or limit <= 0:
            return []
        with self.db.lock:
            return [_line_copy(line) for line in self._lines_of(budget)[offset : offset + limit]]

    def commit(
        self,
        budget: Budget,
        lines: Sequence[LineItem],
        total: Decimal,
        job: Job,
        summary: Summary,
        changes: Sequence[ChangeRecord],
        message: str,
        finished_at: datetime,
        totals: Totals | None = None,
    ) -> Job:
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            head = stored.header
            if head.locked:
                raise BudgetLocked(
                    f"The budget for {head.project_name} was locked, so the ERP budget was not "
                    "applied and nothing changed. Unlock the budget to re-import."
                )
            if head.version != budget.version or head.active_job_id != job.job_id:
                raise _moved()
            current_job = self.db.jobs.get((job.company_id, job.job_id))
            if current_job is None or current_job.status is not JobStatus.IN_PROGRESS:
                raise ConcurrentChange("The job is no longer running; nothing was applied.")
            new_lines = sorted((_line_copy(line) for line in lines), key=lambda line: line.key)
            stored.lines = new_lines
            stored.header = head.model_copy(
                update={
                    "version": head.version + 1,
                    "total": sum((line.original_budget_amount for line in new_lines), ZERO),
                    "line_count": len(new_lines),
                    "status": BudgetStatus.SYNCED,
                    "last_synced_at": finished_at,
                    "active_job_id": None,
                }
            )
            stored.record(
                current_job.requested_by,
                VersionSource(job.kind.value),
                job.job_id,
                summary,
                finished_at,
            )
            self.db.changes[(job.company_id, job.job_id)] = sorted(changes, key=lambda c: c.key)
            done = current_job.model_copy(
                update={
                    "status": JobStatus.SUCCEEDED,
                    "message": message,
                    "summary": summary,
                    "change_count": len(changes),
                    "finished_at": finished_at,
                    "progress": Progress(
                        phase=Phase.APPLYING, done=len(new_lines), total=len(new_lines)
                    ),
                    "totals": totals,
                }
            )
            self.db.jobs[(job.company_id, job.job_id)] = done
            return done.model_copy(deep=True)

    def edit_line(
        self, budget: Budget, line_item_id: str, edit: LineEdit, by: str = ""
    ) -> LineItem:
        wbs = key_of(line_item_id)
        with self.db.lock:
            stored = self._stored(budget.company_id, budget.budget_id)
            head = stored.header
            if head.locked:
                raise BudgetLocked(
                    f"The budget for {head.project_name} is locked. "
                    "Unlock the budget to edit its lines."
                )
            if head.version != budget.version:
                raise _moved()
            keys = [line.key for line in stored.lines]
            position = bisect.bisect_left(keys, wbs)
            if position == len(keys) or keys[position] != wbs:
                raise NotFound("There is no such line item in this budget.")
            old = stored.lines[position]
            edited = apply_edit(old, edit)
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


class MemoryJobStore(_MemoryStore):
    def enqueue(self, job: Job, budget: Budget, idempotency_key: str | None) -> Job:
        with self.db.lock:
            marker_key = (budget.company_id, budget.budget_id, idempotency_key or "")
            if idempotency_key is not None:
                marker = self.db.idempotency.get(marker_key)
                if marker is not None and marker[1] > self.db.clock():
                    earlier = self.db.jobs.get((budget.company_id, marker[0]))
                    if earlier is not None:
                        return earlier.model_copy(deep=True)
            stored = self.db.budgets.get((budget.company_id, budget.budget_id))
            if stored is None:
                raise NotFound("There is no such budget in this company.")
            why = refusal(stored.header, job.kind)
            if why is not None:
                raise why
            if (job.company_id, job.job_id) in self.db.jobs:
                raise ConcurrentChange("The budget changed while the job was being queued.")
            self.db.jobs[(job.company_id, job.job_id)] = job.model_copy(deep=True)
            if job.kind is not JobKind.PREVIEW:
                stored.header = stored.header.model_copy(update={"active_job_id": job.job_id})
            if idempotency_key is not None:
                expires = self.db.clock() + IDEMPOTENCY_SECONDS
                self.db.idempotency[marker_key] = (job.job_id, expires)
            return job

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
                    (f"{to_iso(job.requested_at)}#{job.job_id}", job.model_copy(deep=True))
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

    def start(self, job: Job, now: datetime) -> Job:
        with self.db.lock:
            current = self.get(job.company_id, job.job_id)
            if current.status.finished:
                raise ConcurrentChange("The job has already finished.")
            started = current.model_copy(
                update={
                    "status": JobStatus.IN_PROGRESS,
                    "started_at": current.started_at or now,
                    "attempts": current.attempts + 1,
                    "progress": Progress(phase=Phase.FETCHING),
                }
            )
            self.db.jobs[(job.company_id, job.job_id)] = started
            return started.model_copy(deep=True)

    def report_progress(self, job: Job, progress: Progress) -> None:
        with self.db.lock:
            current = self.db.jobs.get((job.company_id, job.job_id))
            if current is not None and current.status is JobStatus.IN_PROGRESS:
                self.db.jobs[(job.company_id, job.job_id)] = current.model_copy(
                    update={"progress": progress}
                )

    def fail(
        self,
        job: Job,
        message: str,
        errors: Sequence[LineError],
        finished_at: datetime,
        error_code: str | None = None,
    ) -> Job:
        with self.db.lock:
            current = self.get(job.company_id, job.job_id)
            if current.status.finished:
                return current
            kept = list(errors[:MAX_STORED_ERRORS])
            failed = current.model_copy(
                update={
                    "status": JobStatus.FAILED,
                    "message": failure_message(message, errors, len(kept)),
                    "errors": kept,
                    "finished_at": finished_at,
                    "error_code": error_code,
                }
            )
            self.db.jobs[(job.company_id, job.job_id)] = failed
            stored = self.db.budgets.get((job.company_id, job.budget_id))
            if stored is not None and stored.header.active_job_id == job.job_id:
                stored.header = stored.header.model_copy(update={"active_job_id": None})
            return failed.model_copy(deep=True)

    def finish_preview(self, finished: Job, changes: Sequence[ChangeRecord]) -> Job:
        with self.db.lock:
            current = self.get(finished.company_id, finished.job_id)
            if current.status is not JobStatus.IN_PROGRESS:
                return current
            done = finished.model_copy(
                update={"attempts": current.attempts, "started_at": current.started_at}
            )
            self.db.jobs[(finished.company_id, finished.job_id)] = done
            self.db.changes[(finished.company_id, finished.job_id)] = sorted(
                changes, key=lambda c: c.key
            )
            return done.model_copy(deep=True)

    def changes(self, job: Job, offset: int, limit: int) -> builtins.list[ChangeRecord]:
        if offset < 0 or limit <= 0:
            return []
        with self.db.lock:
            return list(
                self.db.changes.get((job.company_id, job.job_id), [])[offset : offset + limit]
            )

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
            )

    def cost_catalog(self, company_id: str) -> CostCatalog:
        return self.db.catalogs.get(company_id, CostCatalog(frozenset(), frozenset()))

    def erp_connection(self, company_id: str) -> ErpConnection:
        connection = self.db.connections.get(company_id)
        if connection is None:
            raise NotFound("This company has no ERP connection yet; an ERP admin can set one up.")
        return connection

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

    def put_company(self, company_id: str, name: str) -> None:
        with self.db.lock:
            self.db.companies[company_id] = name

    def put_erp_connection(self, company_id: str, connection: ErpConnection) -> None:
        with self.db.lock:
            self.db.connections[company_id] = connection

    def put_member(
        self, company_id: str, email: str, erp_permission: Permission, budget_permission: Permission
    ) -> None:
        with self.db.lock:
            self.db.members[(company_id, email.lower())] = (erp_permission, budget_permission)

    def put_cost_catalog(self, company_id: str, catalog: CostCatalog) -> None:
        with self.db.lock:
            self.db.catalogs[company_id] = catalog


class MemoryJobQueue(_MemoryStore):
    """Collects sent messages in `sent` (`db.messages`); set `available = False` to refuse them."""

    def __init__(self, db: MemoryDatabase | _MemoryStore | None = None) -> None:
        super().__init__(db)
        self.available = True

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


class MemoryIdentityProvider:
    """Sign-in against a dict of users; tokens are opaque strings mapped back to identities."""

    def __init__(self, users: dict[str, str] | None = None, expires_in: int = 3600) -> None:
        self.users = {email.lower(): password for email, password in (users or {}).items()}
        self.expires_in = expires_in
        self.tokens: dict[str, Identity] = {}

    def add_user(self, email: str, password: str) -> None:
        self.users[email.lower()] = password

    def issue(self, email: str) -> str:
        """A valid token for `email` without a password (tests of signed-in routes)."""
        token = f"token-{secrets.token_urlsafe(16)}"
        self.tokens[token] = Identity(email=email.lower(), subject=f"sub-{email.lower()}")
        return token

    def sign_in(self, email: str, password: str) -> SessionToken:
        expected = self.users.get(email.lower())
        if expected is None or not hmac.compare_digest(expected, password):
            raise InvalidCredentials("The email or password is not correct.")
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
        self.budgets = MemoryBudgetStore(self.db)
        self.jobs = MemoryJobStore(self.db)
        self.directory = MemoryDirectory(self.db)
        self.queue = MemoryJobQueue(self.db)
        self.secrets = MemorySecretStore(self.db)
