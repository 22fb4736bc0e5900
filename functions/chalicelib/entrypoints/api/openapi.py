"""The OpenAPI 3.1 document, generated from the routes' declarations and their pydantic models."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from chalicelib.entrypoints.api.framework import IDEMPOTENCY_HEADER, Operation
from chalicelib.entrypoints.api.schemas import ErrorBody

REF = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearerAuth"

_REASONS = {
    200: "OK",
    201: "Created.",
    204: "Done; no content.",
    202: "Accepted: the job is queued; `Location` is the job's URL.",
    400: "The request is malformed (bad JSON, a body over 64 KB, a bad query parameter or cursor).",
    401: "Missing, forged or expired token, or wrong email or password.",
    403: "The caller's permission in this company is too low.",
    404: "No such resource, or it belongs to a company the caller is not in.",
    406: "The file is over the 6 MB one answer may carry (download_too_large); ask for it "
    "with `Accept: application/gzip`.",
    409: "The budget cannot take this now (budget_locked, job_in_progress, not_synced, ...).",
    410: "The cursor's version of the budget is no longer kept (version_gone); start again.",
    422: "The body has an unknown field, a wrong type or a bad value.",
    500: "Unexpected failure; nothing about it is disclosed.",
    502: "The ERP refused the request (credentials, address, permissions); the message says why.",
    503: "A service this request needs is unavailable; try again shortly.",
}


def document(operations: Iterable[Operation]) -> dict[str, Any]:
    return _build(tuple(operations))


@cache
def _build(operations: tuple[Operation, ...]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Budget Bridge API",
            "version": "1.0.0",
            "description": "Re-import ERP budgets into project budgets. Money is a string with two "
            "decimals; timestamps are ISO 8601 UTC. Errors are "
            '`{"error": {"code", "message"}}`.',
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{SECURITY_SCHEME: []}],
    }


def _ref(
    model: type[BaseModel], schemas: dict[str, Any], mode: JsonSchemaMode = "validation"
) -> dict[str, str]:
    # An answer is described as it is written (mode="serialization"), a request as it is read.
    schema = model.model_json_schema(ref_template=REF, mode=mode)
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(model.__name__, schema)
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in op.path_parameters
    ]
    if op.query is not None:
        query_schema = op.query.model_json_schema(ref_template=REF)
        required = set(query_schema.get("required", []))
        for name, schema in query_schema.get("properties", {}).items():
            parameters.append(
                {"name": name, "in": "query", "required": name in required, "schema": schema}
            )
    if op.idempotency_key:
        parameters.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "description": "The same key on the same budget within 24 hours answers the "
                "job it created the first time.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
            }
        )
    success: dict[str, Any] = {"description": _REASONS.get(op.status, "OK")}
    if op.media_type != "application/json":
        success["content"] = {op.media_type: {"schema": {"type": "string"}}}
        if op.media_type == "text/csv":
            success["content"]["application/gzip"] = {
                "schema": {"type": "string", "format": "binary"}
            }
    elif op.answer is not None:
        success["content"] = _json(_ref(op.answer, schemas, "serialization"))
    elif op.status != 204:
        success["content"] = _json({"type": "object"})
    if op.status == 202:
        success["headers"] = {
            "Location": {"description": "The job's URL.", "schema": {"type": "string"}}
        }
    responses: dict[str, Any] = {str(op.status): success}
    error_ref = _ref(ErrorBody, schemas)
    for status in sorted({*op.errors, 500}):
        responses[str(status)] = {"description": _REASONS[status], "content": _json(error_ref)}
    entry: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
    }
    if op.description:
        entry["description"] = op.description
    if op.body is not None:
        entry["requestBody"] = {
            "required": op.body_required,
            "content": _json(_ref(op.body, schemas)),
        }
    if not op.auth:
        entry["security"] = []
    return entry
