"""Errors the re-import rules raise; one place (entrypoints/api/errors.py) maps them to HTTP answers."""

from __future__ import annotations

import re
from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "forbidden"


class InvalidRequest(DomainError):
    code = "invalid_request"


class BudgetLocked(DomainError):
    code = "budget_locked"


class JobInProgress(DomainError):
    code = "job_in_progress"

    def __init__(self, message: str, job_id: str) -> None:
        super().__init__(message, job_id=job_id)
        self.job_id = job_id


class NotSynced(DomainError):
    code = "not_synced"


class NotSpreadsheet(DomainError):
    """An export was uploaded for a company whose budgets come from an ERP's API."""

    code = "not_spreadsheet"


class AlreadyImported(DomainError):
    code = "already_imported"


class ConcurrentChange(DomainError):
    """The budget moved on while a change was being prepared; re-read and try again."""

    code = "concurrent_change"


class VersionGone(DomainError):
    """A page cursor names a version of the budget that is no longer kept."""

    code = "version_gone"


class TooLargeToStore(DomainError):
    """Something would not fit in one stored item (DynamoDB refuses items over 400 KB)."""

    code = "too_large_to_store"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"


class Unauthenticated(DomainError):
    code = "unauthorized"


class NoCredentials(Unauthenticated):
    """The request carried no token at all: nothing to call invalid (RFC 6750, section 3.1)."""


class ServiceUnavailable(DomainError):
    code = "service_unavailable"


class ErpUnavailable(DomainError):
    """A transient ERP failure (timeout, 429, 5xx): the job is retried with backoff.

    `retry_after_seconds` is how long the system asked us to wait (its `Retry-After` or its own
    rate-limit headers), when it said: the queue then brings the job back no sooner than that."""

    code = "erp_unavailable"

    def __init__(
        self, message: str, *, retry_after_seconds: float | None = None, **details: Any
    ) -> None:
        super().__init__(message, **details)
        self.retry_after_seconds = retry_after_seconds


def without_retry_promise(text: str) -> str:
    """A transient failure's sentence without its "the job will try again" ending, for where no
    retry follows: a connection test, the final attempt, a job already waiting to retry."""
    return re.sub(r"[;,]?\s*the job will try again\.?", ".", text).replace("..", ".").strip()


class ErpRejected(DomainError):
    """A permanent ERP failure (bad credentials, unknown job, malformed answer): the job fails."""

    code = "erp_rejected"


class TargetUnavailable(ErpUnavailable):
    """A transient failure of the budget target (Procore: timeout, 429, 5xx): retried as an ERP's is."""

    code = "target_unavailable"


class TargetRejected(DomainError):
    """The budget target refused a call for good (bad credentials, unknown project, line errors)."""

    code = "target_rejected"

    def __init__(
        self, message: str, errors: list[Any] | None = None, keys: list[Any] | None = None
    ) -> None:
        """`keys`, when given, names the WBS key each of `errors` is about (one each, in order):
        the job puts such an error on the ERP lines of its key, as rule 3 lists bad lines."""
        super().__init__(message)
        self.errors = errors or []
        self.keys = keys or []


class InvalidCode(DomainError):
    """A cost code or cost type entered for the catalog that no one could tell from another."""

    code = "invalid_code"


class InvalidTarget(DomainError):
    """A company's budget target settings that cannot work (a bad address, missing credentials);
    `field` names the one at fault, as an ERP connection's refusal does."""

    code = "invalid_target"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)
        self.field = field


class InvalidTargetProject(DomainError):
    """A project in the budget target (a Procore project id) that does not answer."""

    code = "invalid_target_project"


class ErpJobNotFound(ErpRejected):
    """The ERP has no such job (renamed or deleted there): a job fails with the sentence, and a
    request that reads the job (the mapping preview) answers 404."""

    code = "erp_job_not_found"


class ErpAuthFailed(ErpRejected):
    """The ERP refused the connection's user name or password (or other secret)."""

    code = "erp_auth_failed"


class UnsafeErpAddress(ErpRejected):
    """An ERP address that points inside the network Budget Bridge runs in; never called."""

    code = "unsafe_erp_address"


class InvalidConnection(DomainError):
    """An ERP connection field that cannot be saved; `field` names it."""

    code = "invalid_connection"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)
        self.field = field


class AlreadyLinked(DomainError):
    code = "already_linked"


class NotLinked(DomainError):
    code = "not_linked"


class InUse(DomainError):
    """Catalog codes that budget lines still use; `keys` lists those lines' WBS keys."""

    code = "in_use"

    def __init__(self, message: str, keys: list[dict[str, str]]) -> None:
        super().__init__(message, keys=keys)
        self.keys = keys


class LastAdmin(DomainError):
    code = "last_admin"


class AlreadyMember(DomainError):
    code = "already_member"


class WeakPassword(DomainError):
    code = "weak_password"


class NoErpConnection(DomainError):
    """The company has not set up its ERP connection yet."""

    code = "no_erp_connection"


class PreviewStale(DomainError):
    """The budget or the ERP moved on since the preview: applying it would not do what it said."""

    code = "preview_stale"


class PreviewWrongKind(DomainError):
    """The preview planned the other apply (an import for a re-import, or the reverse)."""

    code = "preview_wrong_kind"


class PreviewExpired(DomainError):
    code = "preview_expired"
