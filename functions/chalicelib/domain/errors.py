"""Errors the re-import rules raise; one place (entrypoints/api/errors.py) maps them to HTTP answers."""

from __future__ import annotations

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


class AlreadyImported(DomainError):
    code = "already_imported"


class ConcurrentChange(DomainError):
    """The budget moved on while a change was being prepared; re-read and try again."""

    code = "concurrent_change"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"


class Unauthenticated(DomainError):
    code = "unauthorized"


class ServiceUnavailable(DomainError):
    code = "service_unavailable"


class ErpUnavailable(DomainError):
    """A transient ERP failure (timeout, 429, 5xx): the job is retried with backoff."""

    code = "erp_unavailable"


class ErpRejected(DomainError):
    """A permanent ERP failure (bad credentials, unknown job, malformed answer): the job fails."""

    code = "erp_rejected"


class PreviewStale(DomainError):
    """The budget or the ERP moved on since the preview: applying it would not do what it said."""

    code = "preview_stale"


class PreviewExpired(DomainError):
    code = "preview_expired"
