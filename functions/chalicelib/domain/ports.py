"""The ports: what the services need from the outside world, with no word of AWS or HTTP.

Each has a real adapter under `chalicelib/adapters/` and an in-memory one in
`chalicelib/adapters/memory.py` for unit tests.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from chalicelib.domain.model import (
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
    Progress,
    Summary,
    Totals,
)

T = TypeVar("T")


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

    def read_lines(self, budget: Budget) -> builtins.list[LineItem]:
        """Every line of `budget.version` (the current one or any kept in the history), sorted by
        WBS key, read consistently. Raises NotFound for a version no longer kept."""
        ...

    def read_page(self, budget: Budget, offset: int, limit: int) -> builtins.list[LineItem]:
        """Lines [offset, offset+limit) of `budget.version`, sorted by WBS key."""
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
        """Make `lines` the budget's next version and finish `job` as succeeded, atomically.

        The new version is recorded in the budget's history with the job's requester, kind (as
        its source) and id.

        Succeeds only if the budget is still at `budget.version`, unlocked, and `job` still holds
        it; raises BudgetLocked or ConcurrentChange otherwise, leaving the budget as it was.
        Readers see the previous version until the switch and the new one after it.
        """
        ...

    def edit_line(
        self, budget: Budget, line_item_id: str, edit: LineEdit, by: str = ""
    ) -> LineItem:
        """Edit one line as a new version made by `by`. Raises NotFound, BudgetLocked,
        ConcurrentChange."""
        ...

    def set_locked(self, budget: Budget, locked: bool) -> Budget: ...


class JobStore(Protocol):
    def enqueue(self, job: Job, budget: Budget, idempotency_key: str | None) -> Job:
        """Record `job` and make it the budget's one active job, atomically (a preview is only
        recorded: it holds nothing).

        Returns the job recorded earlier when the same idempotency key was used on this budget in
        the last 24 hours. Raises BudgetLocked, JobInProgress (with the running job's id),
        NotSynced or AlreadyImported when the budget cannot take the job.
        """
        ...

    def get(self, company_id: str, job_id: str) -> Job:
        """Raises NotFound."""
        ...

    def list(
        self, company_id: str, budget_id: str | None, limit: int, cursor: str | None
    ) -> Page[Job]:
        """Newest first."""
        ...

    def start(self, job: Job, now: datetime) -> Job:
        """queued|in_progress → in_progress (a redelivery may start a job again); counts attempts.

        Raises ConcurrentChange when the job has finished meanwhile."""
        ...

    def report_progress(self, job: Job, progress: Progress) -> None: ...

    def fail(
        self,
        job: Job,
        message: str,
        errors: Sequence[LineError],
        finished_at: datetime,
        error_code: str | None = None,
    ) -> Job:
        """Finish the job as failed and release its budget; a finished job is left as it was."""
        ...

    def finish_preview(self, finished: Job, changes: Sequence[ChangeRecord]) -> Job:
        """Record a preview's outcome (summary, totals, basis, message) and the changes it would
        make, and mark it succeeded; a finished job is left as it was."""
        ...

    def changes(self, job: Job, offset: int, limit: int) -> builtins.list[ChangeRecord]: ...

    def abandoned(self, older_than: datetime) -> builtins.list[Job]:
        """Queued jobs requested before `older_than`: a lost message leaves these behind."""
        ...


class JobQueue(Protocol):
    def send(self, message: JobMessage) -> None:
        """Raises ServiceUnavailable when the queue cannot take the message."""
        ...


class Directory(Protocol):
    """Companies, memberships, cost catalogs and ERP settings."""

    def memberships(self, email: str) -> list[Membership]: ...

    def membership(self, company_id: str, email: str) -> Membership | None: ...

    def cost_catalog(self, company_id: str) -> CostCatalog: ...

    def erp_connection(self, company_id: str) -> ErpConnection:
        """Raises NotFound when the company has no ERP connection."""
        ...

    def erp_settings(self, company_id: str) -> ErpSettings: ...

    def save_erp_settings(self, company_id: str, settings: ErpSettings) -> ErpSettings: ...

    def companies_with_auto_reimport(self) -> list[tuple[str, ErpSettings]]: ...


class SecretStore(Protocol):
    def erp_credentials(self, secret_id: str) -> ErpCredentials: ...


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


class IdentityProvider(Protocol):
    def sign_in(self, email: str, password: str) -> SessionToken:
        """Raises InvalidCredentials (for unknown emails and wrong passwords alike)."""
        ...

    def verify(self, token: str) -> Identity:
        """Checks signature, expiry, issuer and client; raises Unauthenticated."""
        ...
