"""Which job may take a budget now, and the sentence a person reads when it may not.

The one rule behind docs/domain-rules.md, rules 4 and 5, and the import/re-import statuses. The
request service asks it for a fast answer; the job stores enforce the same conditions atomically
(a conditional write) and, when that write is refused, read the budget again and ask this rule for
the sentence. So a refusal reads the same whether or not the request carried an Idempotency-Key.

Order of the checks (the first that holds is the answer): not linked to an ERP job, the status the
kind needs, locked, another job holding the budget. A preview holds nothing, so nothing refuses it;
a restore needs neither a link nor a status. A preview reports what its apply would do or refuse
(docs/history.md, "Preview"): the worker asks this rule about the apply the preview plans
(`previewed_kind`), so a preview of a locked budget finishes failed with the same sentence the
apply's 409 reads.
"""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.errors import (
    AlreadyImported,
    BudgetLocked,
    DomainError,
    JobInProgress,
    NotLinked,
    NotSynced,
)
from chalicelib.domain.model import BudgetStatus, JobKind


class Claimable(Protocol):
    """What the rule reads of a budget: its header, as the service or a store holds it."""

    @property
    def project_name(self) -> str: ...

    @property
    def erp_job_id(self) -> str: ...

    @property
    def status(self) -> BudgetStatus: ...

    @property
    def locked(self) -> bool: ...

    @property
    def active_job_id(self) -> str | None: ...


def noun(kind: JobKind) -> str:
    """The job as a person names it: "re-import", "import", "restore", "preview"."""
    return {JobKind.PREVIEW: "preview", JobKind.RESTORE: "restore", JobKind.IMPORT: "import"}.get(
        kind, "re-import"
    )


def with_article(kind: JobKind) -> str:
    """The job with its article: "an import", "a re-import"."""
    named = noun(kind)
    return f"{'an' if named[0] in 'aeiou' else 'a'} {named}"


def holds_budget(kind: JobKind) -> bool:
    """Whether a job of `kind` claims the budget while it is queued or running."""
    return kind is not JobKind.PREVIEW


def needs_link(kind: JobKind) -> bool:
    """Imports and re-imports read the linked ERP job; a restore reads the budget's history."""
    return kind in (JobKind.IMPORT, JobKind.REIMPORT)


def fetches_erp(kind: JobKind) -> bool:
    """Whether a job of `kind` reads the ERP's budget (and so records the ERP's total)."""
    return kind in (JobKind.IMPORT, JobKind.REIMPORT, JobKind.PREVIEW)


def previewed_kind(budget: Claimable) -> JobKind:
    """The apply a preview of `budget` plans: an import when it is ready to import, else a
    re-import."""
    ready = budget.status is BudgetStatus.READY_TO_IMPORT
    return JobKind.IMPORT if ready else JobKind.REIMPORT


def needed_status(kind: JobKind) -> BudgetStatus | None:
    """The status a budget must have to take a job of `kind`; None when any status will do."""
    return {
        JobKind.REIMPORT: BudgetStatus.SYNCED,
        JobKind.IMPORT: BudgetStatus.READY_TO_IMPORT,
    }.get(kind)


def locked_refusal(project_name: str, verb: str, where: str | None = None) -> BudgetLocked:
    """The one "is locked" sentence: a request or an edit refused by a budget's lock (`where`
    names another system holding the lock, e.g. Procore)."""
    place = f" in {where}" if where else ""
    return BudgetLocked(
        f"The budget for {project_name} is locked{place}. Unlock the budget to {verb}."
    )


def locked_while_applying(project_name: str, kind: JobKind) -> BudgetLocked:
    """A job whose budget was locked after it was accepted: it fails and changes nothing."""
    what = noun(kind)
    return BudgetLocked(
        f"The budget for {project_name} was locked before the {what} could be applied; "
        f"nothing was changed. Unlock the budget and {what}."
    )


def not_linked(budget: Claimable, kind: JobKind) -> NotLinked | None:
    if not needs_link(kind) or budget.erp_job_id:
        return None
    return NotLinked(
        f"The project {budget.project_name} is no longer linked to an ERP job; link it again "
        "under ERP Integrations, Projects."
    )


def _wrong_status(budget: Claimable, kind: JobKind) -> DomainError | None:
    needed = needed_status(kind)
    if needed is None or budget.status is needed:
        return None
    name = budget.project_name
    if needed is BudgetStatus.SYNCED:
        return NotSynced(f"The budget for {name} has not been imported yet. Import it first.")
    return AlreadyImported(f"The budget for {name} is already imported. Use Re-import instead.")


def refusal(budget: Claimable, kind: JobKind) -> DomainError | None:
    """Why `budget` cannot take a job of `kind` now, as the error a person reads; None if it can."""
    if not holds_budget(kind):
        return None
    why = not_linked(budget, kind) or _wrong_status(budget, kind)
    if why is not None:
        return why
    if budget.locked:
        return locked_refusal(budget.project_name, noun(kind))
    if budget.active_job_id:
        return JobInProgress(
            f"A job is already queued or running for the budget of {budget.project_name}; "
            "wait for it to finish.",
            job_id=budget.active_job_id,
        )
    return None


def check_can_take(budget: Claimable, kind: JobKind) -> None:
    """Raise the refusal of `refusal`, if any."""
    why = refusal(budget, kind)
    if why is not None:
        raise why
