"""The one place that turns failures into HTTP answers shaped `{"error": {"code", "message"}}`.

Handlers raise domain errors (or `RequestRejected` for HTTP-level problems such as bad JSON) and
never build error JSON themselves; anything unexpected becomes a 500 with a generic sentence while
the exception itself goes to the log, never to the caller.
"""

from __future__ import annotations

import math
from typing import Any

from chalice import Response

from chalicelib.domain import errors
from chalicelib.domain.reimport import InvalidErpBudget
from chalicelib.observability import logger

INTERNAL_ERROR_MESSAGE = (
    "Something went wrong on our side and the request was not completed. Please try again; if it "
    "keeps happening, contact support."
)
# A path (or, in AWS, a method) no route takes: answered by API Gateway (infra/gateway.py) and by
# the local stack's web server (devstack/web.py), never by the app itself.
NO_SUCH_ROUTE_MESSAGE = (
    "There is no such route in the API; check the method and the path (/api/v1/openapi.json "
    "lists every route)."
)

# Most specific first: the first class an error is an instance of decides its status.
_STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.NotFound, 404),
    (errors.InvalidConnection, 422),
    (errors.AlreadyLinked, 409),
    (errors.NotLinked, 409),
    (errors.InUse, 409),
    (errors.LastAdmin, 409),
    (errors.AlreadyMember, 409),
    (errors.WeakPassword, 422),
    (errors.NoErpConnection, 409),
    (errors.PermissionDenied, 403),
    (errors.InvalidRequest, 400),
    (errors.BudgetLocked, 409),
    (errors.JobInProgress, 409),
    (errors.NotSynced, 409),
    (errors.AlreadyImported, 409),
    (errors.NotSpreadsheet, 409),
    (errors.ConcurrentChange, 409),
    (errors.PreviewStale, 409),
    (errors.PreviewExpired, 409),
    (errors.PreviewWrongKind, 422),
    (errors.VersionGone, 410),
    (errors.InvalidCredentials, 401),
    (errors.Unauthenticated, 401),
    (errors.ServiceUnavailable, 503),
    (errors.ErpUnavailable, 503),
    (errors.ErpJobNotFound, 404),  # before ErpRejected, which it is
    (errors.ErpRejected, 502),
    (errors.InvalidTarget, 422),
    (errors.InvalidCode, 422),
    (errors.InvalidTargetProject, 422),
    (errors.TargetRejected, 502),
    (InvalidErpBudget, 422),
)

_BEARER_CHALLENGE = 'Bearer realm="budget-bridge"'


class RequestRejected(Exception):
    """An HTTP-level refusal no domain rule knows of: bad JSON, an oversized body, a bad field."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any
) -> Response:
    return Response(
        body={"error": {"code": code, "message": message, **details}},
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def to_response(error: Exception) -> Response:
    """The answer for any exception a handler let through."""
    if isinstance(error, RequestRejected):
        return error_response(error.status, error.code, error.message, **error.details)
    if isinstance(error, errors.DomainError):
        return _domain_response(error)
    logger().exception("unhandled error while answering a request")
    return error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)


def _domain_response(error: errors.DomainError) -> Response:
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), None)
    if status is None:
        # A domain error without a mapping is a programming mistake: answer as unexpected.
        logger().error("domain error without an HTTP mapping", extra={"code": error.code})
        return error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)
    details: dict[str, Any] = {}
    if isinstance(error, errors.JobInProgress):
        details["job_id"] = error.job_id
    if isinstance(error, errors.InvalidConnection | errors.InvalidTarget):
        details["field"] = error.field
    if isinstance(error, errors.InUse):
        details["keys"] = error.keys
    if isinstance(error, InvalidErpBudget):
        details["errors"] = [e.model_dump() for e in error.errors]
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = (
            f'{_BEARER_CHALLENGE}, error="invalid_token"'
            if isinstance(error, errors.Unauthenticated)
            and not isinstance(error, errors.NoCredentials)
            else _BEARER_CHALLENGE
        )
    message = error.message
    if status == 503:
        headers["Retry-After"] = "30"
    if isinstance(error, errors.ErpUnavailable):
        # A route that called the ERP (or Procore) itself: no job will try again, the caller
        # will; it waits as long as the system asked, when it said (docs/api.md, "Errors").
        # Only the worker's sentence promises a job's retry; another keeps its own advice.
        unpromised = errors.without_retry_promise(message)
        if unpromised != message:
            message = f"{unpromised} Please try again shortly."
        if error.retry_after_seconds:
            headers["Retry-After"] = str(math.ceil(error.retry_after_seconds))
    return error_response(status, error.code, message, headers, **details)


# Chalice answers a few things itself (405, 415, its own 500) as {"Code", "Message"}; these are
# the codes and sentences we give instead, so every error a client sees has one shape.
_CHALICE_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "The request could not be understood."),
    405: ("method_not_allowed", "This method is not allowed on this resource."),
    415: (
        "unsupported_media_type",
        "Send the request body as JSON (Content-Type: application/json).",
    ),
    500: ("internal_error", INTERNAL_ERROR_MESSAGE),
}


def reshape_framework_error(response: Response) -> Response:
    """Rewrite an error answer Chalice built itself into our shape; pass anything else through."""
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    code, message = _CHALICE_ERRORS.get(
        response.status_code, ("error", "The request could not be completed.")
    )
    headers = {
        k: v if isinstance(v, str) else ", ".join(v)
        for k, v in response.headers.items()
        if k.lower() != "content-type"
    }
    return error_response(response.status_code, code, message, headers)
