"""The ports: what the services need from the outside world, with no word of AWS or HTTP.

Each has a real adapter under `chalicelib/adapters/` and an in-memory one in
`devstack/memory.py` for unit tests.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from chalicelib.domain.model import (
    AuditEvent,
    Budget,
    BudgetStatus,
    BudgetVersion,
    ChangeRecord,
    CostCatalog,
    ErpCatalog,
    ErpConnection,
    ErpCredentials,
    ErpLine,
    ErpProjectPage,
    ErpSettings,
    Job,
    LineError,
    LineItem,
    Membership,
    MemberStatus,
    OutboxMessage,
    Permission,
    Progress,
    ProjectLink,
    TargetConfig,
    TargetLine,
    TargetWrite,
    Totals,
    WbsKey,
)
from chalicelib.domain.reimport import Plan

T = TypeVar("T")

# JobStore.enqueue_all takes at most this many jobs (a DynamoDB transaction holds 100 items: a job
# and its budget's claim per job).
MAX_ENQUEUED_TOGETHER = 50


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # opaque; None on the last page


class JobMessage(BaseModel):
    """The SQS message body: just enough to find the job; everything else is read fresh."""

    job_id: str
    company_id: str
    budget_id: str


@dataclass(frozen=True, slots=True)
class LineEdit:
    """Fields a person may change on one line; None leaves a field as it is."""

    description: str | None = None
    uom: str | None = None
    quantity: Decimal | None = None
    unit_cost: Decimal | None = None
    original_budget_amount: Decimal | None = None
    clear: frozenset[str] = frozenset()  # fields to set to null (uom, quantity, unit_cost)


class BudgetStore(Protocol):
    """The project budgets: headers, versioned lines, locks. The default budget target."""

    def get(self, company_id: str, budget_id: str) -> Budget:
        """Raises NotFound."""
        ...

    def get_by_project(self, company_id: str, project_id: str) -> Budget:
        """Raises NotFound."""
        ...

    def list(
        self, company_id: str, status: BudgetStatus | None, limit: int, cursor: str | None
    ) -> Page[Budget]:
        """Budgets ordered by project name; raises InvalidRequest for a cursor we did not issue."""
        ...

    def list_unlinked(self, company_id: str, limit: int, cursor: str | None) -> Page[Budget]:
        """The budgets of unlinked projects (off the ERP Budgets lists, lines kept), ordered by
        project name; raises InvalidRequest for a cursor we did not issue."""
        ...

    def read_lines(self, budget: Budget) -> builtins.list[LineItem]:
        """Every line of `budget.version` (the current one or any kept in the history), sorted by
        WBS key, read consistently. Raises NotFound for a version no longer kept."""
        ...

    def read_page(self, budget: Budget, offset: int, limit: int) -> builtins.list[LineItem]:
        """Lines [offset, offset+limit) of `budget.version`, sorted by WBS key."""
        ...

    def at_version(self, budget: Budget, version: int) -> Budget:
        """The budget's header as it was at `version` (total, line count), while that version's
        lines are still kept exactly; raises VersionGone when they are not."""
        ...

    def history(self, budget: Budget, limit: int, cursor: str | None) -> Page[BudgetVersion]:
        """The budget's kept versions, newest first."""
        ...

    def version(self, budget: Budget, version: int) -> BudgetVersion:
        """One kept version's record; raises NotFound when there is none (or no longer)."""
        ...

    def record_erp_total(self, budget: Budget, total: Decimal, at: datetime) -> None:
        """Remember the ERP's cost total as a job last fetched it (for the Budgets list)."""
        ...

    def record_target_lock(self, budget: Budget, locked: bool) -> None:
        """Remember the lock the budget's target (Procore) reported when last read (for the lists)."""
        ...

    def commit(self, budget: Budget, plan: Plan, finished: Job) -> Job:
        """Make `plan.lines` the budget's next version and record `finished` (the job as it
        succeeds, `domain/reimport.succeeded`) with the plan's change records, atomically.

        The new version is recorded in the budget's history with the job's requester, kind (as
        its source) and id; an import or re-import also records the ERP total it planned on.

        Succeeds only if the budget is still at `budget.version`, unlocked, and the job still
        holds it and is running; raises BudgetLocked or ConcurrentChange otherwise, leaving the
        budget and the job as they were. Readers see the previous version until the switch and
        the new one after it.
        """
        ...

    def edit_line(
        self, budget: Budget, line_item_id: str, edit: LineEdit, by: str = ""
    ) -> LineItem:
        """Edit one line as a new version made by `by`. Raises NotFound, BudgetLocked,
        ConcurrentChange."""
        ...

    def set_locked(self, budget: Budget, locked: bool) -> Budget: ...

    def create_budget(self, budget: Budget, lines: Sequence[LineItem]) -> Budget:
        """Write a new budget (header, project pointer, lines)."""
        ...

    def unlink(self, budget: Budget) -> Budget:
        """Take the budget off the ERP Budgets lists (its lines stay); raises JobInProgress."""
        ...


class JobStore(Protocol):
    def enqueue(self, job: Job, budget: Budget, idempotency_key: str | None) -> Job:
        """Record `job` and make it the budget's one active job, atomically (a preview is only
        recorded: it holds nothing).

        Returns the job recorded earlier when the same idempotency key was used on this budget in
        the last 24 hours. Raises BudgetLocked, JobInProgress (with the running job's id),
        NotSynced or AlreadyImported when the budget cannot take the job.
        """
        ...

    def idempotent_job(self, budget: Budget, idempotency_key: str) -> Job | None:
        """The job this key made on this budget in the last 24 hours, or None."""
        ...

    def release_idempotency_key(self, budget: Budget, idempotency_key: str, job_id: str) -> None:
        """The key no longer answers with `job_id` (a job whose message was never queued: the
        person was told to try again), so the same key may ask again. A key that names another
        job by now is left alone."""
        ...

    def enqueue_all(self, jobs: Sequence[tuple[Job, Budget]]) -> builtins.list[Job]:
        """Record up to MAX_ENQUEUED_TOGETHER jobs that hold their budget (no idempotency key), each
        with its hold, all in one atomic step, under the conditions `enqueue` checks.

        All or nothing: when any budget cannot take its job, nothing is recorded and
        ConcurrentChange is raised (the caller then records the jobs one by one)."""
        ...

    def get(self, company_id: str, job_id: str) -> Job:
        """Raises NotFound."""
        ...

    def list(
        self, company_id: str, budget_id: str | None, limit: int, cursor: str | None
    ) -> Page[Job]:
        """Newest first."""
        ...

    def start(self, company_id: str, job_id: str, now: datetime) -> Job:
        """queued|in_progress → in_progress (a redelivery may start a job again); counts attempts.

        Answers the job as it now is: started, or, when it has already finished, as it finished
        (nothing is written). Raises NotFound."""
        ...

    def report_progress(self, job: Job, progress: Progress) -> None: ...

    def report_waiting(self, job: Job, message: str) -> None:
        """A running job waits for its next attempt; `message` says so and why."""
        ...

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
        """Finish the job as failed (with an error `code` a program can act on, if any, and the
        `totals` it knew) and release its budget; a finished job is left as it was. A `scheduled`
        re-import that ran and failed also stamps its budget's `last_failed_at`, from which the
        schedule counts its interval (a person's job, and one the queue refused, stamp nothing).

        Every one of `errors` is kept (read them with `errors`); the job as read back (`get`,
        `list`) carries only the first of them, at most 100, so a job stays small however many
        lines were bad. The job is never seen failed without all of its errors."""
        ...

    def finish_preview(self, finished: Job, changes: Sequence[ChangeRecord]) -> Job:
        """Record a preview's outcome (summary, totals, basis, message) and the changes it would
        make, and mark it succeeded; a finished job is left as it was."""
        ...

    def changes(self, job: Job, offset: int, limit: int) -> builtins.list[ChangeRecord]: ...

    def errors(self, job: Job, offset: int, limit: int) -> tuple[builtins.list[LineError], int]:
        """Up to `limit` of the job's line errors from the `offset`-th, in the order `fail` was
        given them (line order), and how many the job has in all. Raises NotFound."""
        ...

    def unfinished(self, company_id: str, limit: int) -> builtins.list[Job]:
        """Up to `limit` of the company's queued or running jobs (previews included), newest
        first."""
        ...

    def abandoned(self, older_than: datetime) -> builtins.list[Job]:
        """Queued jobs requested before `older_than`: a lost message leaves these behind."""
        ...

    def record_writes(self, job: Job, writes: Sequence[TargetWrite]) -> None:
        """Keep, on the job, what it is about to write to another system (its write-ahead record).

        Written before the first write, replacing any earlier record of the job."""
        ...

    def recorded_writes(self, job: Job) -> builtins.list[TargetWrite]:
        """The job's write-ahead record; empty when it never began writing elsewhere."""
        ...


class JobQueue(Protocol):
    def send(self, message: JobMessage) -> None:
        """Raises ServiceUnavailable when the queue cannot take the message."""
        ...

    def send_batch(self, messages: builtins.list[JobMessage]) -> builtins.list[JobMessage]:
        """Send many (ten to a call where the queue allows it); answers the ones not taken."""
        ...

    def postpone(self, receipt: str, seconds: int) -> None:
        """Deliver a received message again no sooner than `seconds` from now: a retry's
        backoff. `receipt` is the queue's handle of that one delivery."""
        ...


class Directory(Protocol):
    """Companies, memberships, cost catalogs, ERP connections and settings, links to ERP jobs."""

    def memberships(self, email: str) -> list[Membership]: ...

    def membership(self, company_id: str, email: str) -> Membership | None: ...

    def members(self, company_id: str) -> builtins.list[Membership]:
        """Every member of the company, by email."""
        ...

    def put_company(self, company_id: str, name: str) -> None: ...

    def company_name(self, company_id: str) -> str | None: ...

    def put_member(
        self,
        company_id: str,
        email: str,
        erp_permission: Permission,
        budget_permission: Permission,
        status: MemberStatus = MemberStatus.ACTIVE,
    ) -> None: ...

    def add_member(
        self,
        company_id: str,
        email: str,
        erp_permission: Permission,
        budget_permission: Permission,
        status: MemberStatus,
    ) -> None:
        """A new member; AlreadyMember when the company has one by that address (written
        meanwhile by a concurrent invitation: it is not overwritten). Atomic: an invitation claims
        the membership with it before sending anything."""
        ...

    def activate_member(self, company_id: str, email: str) -> None:
        """invited -> active (the member's first request in the company)."""
        ...

    def change_member(
        self,
        before: Membership,
        erp_permission: Permission,
        budget_permission: Permission,
        keeping: Sequence[Membership] = (),
    ) -> None:
        """Set the member's permissions, atomically and only if the member still holds `before`'s
        and each member of `keeping` still holds the permissions it has there (the admins the
        change leaves a tool with); raises ConcurrentChange otherwise, changing nothing."""
        ...

    def remove_member(self, before: Membership, keeping: Sequence[Membership] = ()) -> None:
        """Remove the member under the conditions of `change_member`; raises ConcurrentChange."""
        ...

    def cost_catalog(self, company_id: str) -> CostCatalog: ...

    def catalog_entries(self, company_id: str) -> ErpCatalog:
        """The catalog with descriptions, sorted by code."""
        ...

    def save_catalog(self, company_id: str, catalog: ErpCatalog) -> None: ...

    def erp_connection(self, company_id: str) -> ErpConnection:
        """Raises NotFound when the company has no ERP connection."""
        ...

    def put_erp_connection(self, company_id: str, connection: ErpConnection) -> None: ...

    def delete_erp_connection(self, company_id: str) -> None: ...

    def links(self, company_id: str) -> dict[str, str]:
        """ERP job id -> project id, for every linked ERP job."""
        ...

    def project_links(self, company_id: str) -> dict[str, ProjectLink]:
        """ERP job id -> its project and the name the link gave it, for every linked ERP job."""
        ...

    def put_link(
        self, company_id: str, erp_job_id: str, project_id: str, project_name: str = ""
    ) -> None:
        """Raises AlreadyLinked when the ERP job is linked already (checked atomically)."""
        ...

    def delete_link(self, company_id: str, erp_job_id: str) -> None: ...

    def erp_settings(self, company_id: str) -> ErpSettings: ...

    def save_erp_settings(self, company_id: str, settings: ErpSettings) -> ErpSettings: ...

    def companies_with_auto_reimport(self) -> list[tuple[str, ErpSettings]]: ...

    def target(self, company_id: str) -> TargetConfig:
        """The company's budget target; Budget Bridge's own store when it never chose one."""
        ...

    def save_target(self, company_id: str, config: TargetConfig) -> TargetConfig: ...

    def reading_company(self, company_id: str) -> AbstractContextManager[None]:
        """Inside, the company's connection, target, catalog and settings are read together once
        (a job reads all four; one round trip instead of four), and a write to one of them is
        read back afresh."""
        ...


class SecretStore(Protocol):
    def erp_credentials(self, secret_id: str) -> ErpCredentials: ...

    def put_erp_credentials(self, secret_id: str, credentials: ErpCredentials) -> None:
        """Create or replace the secret (also a budget target's client credentials)."""
        ...

    def delete_erp_credentials(self, secret_id: str) -> None:
        """Delete the secret (a missing one is fine)."""
        ...


class AuditLog(Protocol):
    def record(self, event: AuditEvent) -> None: ...

    def record_many(self, events: builtins.list[AuditEvent]) -> None:
        """Many entries at once (the schedule's), in as few calls as the store allows."""
        ...

    def list(self, company_id: str, limit: int, cursor: str | None) -> Page[AuditEvent]:
        """Newest first; raises InvalidRequest for a cursor we did not issue."""
        ...


class Accounts(Protocol):
    """Sign-in accounts: invitations with a temporary password."""

    def invite(self, email: str, company_name: str) -> bool:
        """Create the account and send the invitation; False when someone has signed in to an
        account of that address already (it just joins). An account never signed in to gets a new
        temporary password and the invitation again: True."""
        ...

    def outbox(self) -> builtins.list[OutboxMessage]:
        """The local stack's kept invitations, newest first (empty where mail is really sent)."""
        ...


class ErpSource(Protocol):
    """One ERP connection, able to read one job's budget lines."""

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        """All budget lines of the ERP job, cost and revenue, in the ERP's order.

        Calls `on_page(lines_so_far)` after each page. Raises ErpUnavailable for a transient
        failure (timeout, 429, 5xx) and ErpRejected for a permanent one (401, malformed data).
        """
        ...

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        """The ERP's jobs/projects from `offset`, at most `limit`, in the ERP's order.

        `has_more` says whether the ERP has projects after these (read from the ERP's own paging,
        not guessed from a short page). Errors as for `fetch_budget`.
        """
        ...

    def cost_catalog(self) -> ErpCatalog:
        """Every cost code and cost type the ERP knows (read to the last page)."""
        ...


@dataclass(frozen=True, slots=True)
class TargetSnapshot:
    """A budget as its target holds it right now: every line and whether it is locked."""

    lines: builtins.list[LineItem]
    locked: bool


class BudgetTarget(Protocol):
    """Where a company's budgets live; what applying a job needs from it.

    Budget Bridge's own store is one (services/targets.py), Procore the other.
    """

    name: str  # as people read it in messages and column titles: "Budget Bridge", "Procore"

    def read(self, budget: Budget) -> TargetSnapshot:
        """The budget's current lines (sorted by WBS key) and lock, read fresh."""
        ...

    def apply(self, budget: Budget, plan: Plan, finished: Job) -> Job:
        """Make `plan.lines` the budget, all or nothing, and record `finished` (the job as it
        succeeds).

        Raises BudgetLocked or ConcurrentChange leaving the budget as it was, and TargetRejected
        (naming the target's errors) after putting back everything it had written.
        """
        ...

    def recover(self, job: Job) -> bool:
        """Put back what an earlier, crashed attempt of `job` began writing; True if it had begun."""
        ...

    def read_lock(self) -> bool:
        """The target's own lock (another system's); False where the lock is Budget Bridge's."""
        ...

    def check_plan(self, plan: Plan) -> None:
        """Raise TargetRejected, naming each line, for a plan (read against this target's lines
        by `read`) the target could not take; write nothing. A preview fails as its apply would."""
        ...


class RemoteBudget(Protocol):
    """One project's budget in another system without transactions (Procore)."""

    name: str
    batch_size: int  # the most lines one `write` may carry

    def read_lines(self) -> builtins.list[TargetLine]:
        """Every line, read to the last page. Errors: TargetUnavailable, TargetRejected."""
        ...

    def find_line(self, key: WbsKey) -> TargetLine | None:
        """The line of `key` as the system holds it now (None: it has none), read no further
        than needed. Errors: TargetUnavailable, TargetRejected."""
        ...

    def locked(self) -> bool: ...

    def check_wbs_codes(self, wanted: Sequence[tuple[WbsKey, str]]) -> None:
        """Raise TargetRejected, a LineError per key, when the system could not make a code for
        some of these keys; create nothing."""
        ...

    def ensure_wbs_codes(self, wanted: Sequence[tuple[WbsKey, str]]) -> dict[WbsKey, str]:
        """The system's id for each (key, description), creating the codes it lacks."""
        ...

    def write(self, writes: Sequence[TargetWrite]) -> None:
        """Write one batch of amounts (and nothing else: units stay as they are); a write that
        carries a person's line `edit` writes exactly that edit's fields instead.

        Raises TargetRejected with a LineError per refused line; the lines it did not name may
        have been written.
        """
        ...

    def remove_lines(self, refs: Sequence[str]) -> None:
        """Delete the lines of these refs (WBS codes): how a failed job takes back the lines it
        created, once their amounts are back at 0. A ref with no line is skipped, so a put-back
        tried again removes only what is left. Errors: TargetUnavailable, TargetRejected."""
        ...


class RemoteBudgetFactory(Protocol):
    def __call__(
        self, config: TargetConfig, credentials: ErpCredentials, project_id: str
    ) -> RemoteBudget: ...


class ErpSourceFactory(Protocol):
    def __call__(self, connection: ErpConnection, credentials: ErpCredentials) -> ErpSource: ...


@dataclass(frozen=True, slots=True)
class Identity:
    email: str
    subject: str


@dataclass(frozen=True, slots=True)
class SessionToken:
    token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class NewPasswordChallenge:
    """The account signed in with a temporary password and must choose its own."""

    session: str


class IdentityProvider(Protocol):
    def sign_in(self, email: str, password: str) -> SessionToken | NewPasswordChallenge:
        """Raises InvalidCredentials (for unknown emails and wrong passwords alike)."""
        ...

    def set_new_password(self, email: str, session: str, new_password: str) -> SessionToken:
        """Answer the new-password challenge; raises WeakPassword or InvalidCredentials."""
        ...

    def verify(self, token: str) -> Identity:
        """Checks signature, expiry, issuer and client; raises Unauthenticated."""
        ...
