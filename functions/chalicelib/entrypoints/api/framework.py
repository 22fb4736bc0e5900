"""The small machinery every route shares: sign-in check, body and query parsing, answers, errors.

A route declares what it takes and answers (`ApiBlueprint.operation`); this module turns that into
a Chalice view that authenticates the caller, validates the request with the declared pydantic
models, calls the handler and maps whatever it raises through `errors.to_response`. The same
declarations feed the OpenAPI document, so the document cannot drift from the routes.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib import wiring
from chalicelib.domain.errors import NotFound
from chalicelib.domain.ports import Identity
from chalicelib.entrypoints.api import auth
from chalicelib.entrypoints.api.errors import RequestRejected, to_response
from chalicelib.entrypoints.api.schemas import MAX_BODY_BYTES, Query, Request
from chalicelib.entrypoints.gc_pause import gc_paused
from chalicelib.services.ports import Ports

PREFIX = "/api/v1"
MAX_PATH_PARAMETER = 200  # longer ids were never issued; refusing them keeps table keys sane
IDEMPOTENCY_HEADER = "Idempotency-Key"
_PATH_PARAMETER = re.compile(r"{(\w+)}")

B = TypeVar("B", bound=BaseModel)
Q = TypeVar("Q", bound=BaseModel)


# The error code of a request whose body does not validate, unless its route names its own.
VALIDATION_FAILED = "validation_failed"


@dataclass(frozen=True)
class Operation:
    """One route as the OpenAPI document describes it."""

    name: str
    method: str
    path: str  # the full path, with {parameters}
    summary: str
    tag: str
    answer: type[BaseModel] | None
    status: int = 200
    auth: bool = True
    body: type[Request] | None = None
    query: type[Query] | None = None
    idempotency_key: bool = False
    errors: tuple[int, ...] = ()
    description: str = ""
    body_required: bool = True  # False: no body at all reads as `{}`
    media_type: str = "application/json"  # of the success answer
    # The error code of a body whose fields do not validate, for a route whose contract names its
    # own (PUT /erp/connection: 422 `invalid_connection` with `field`, docs/adoption.md).
    invalid_body: str = VALIDATION_FAILED

    @property
    def path_parameters(self) -> list[str]:
        return _PATH_PARAMETER.findall(self.path)


class Call(Generic[B, Q]):
    """What a handler gets: the caller, the validated body and query, and the ports."""

    def __init__(
        self, identity: Identity | None, body: B, query: Q, headers: Mapping[str, str]
    ) -> None:
        self.identity = identity
        self.body = body
        self.query = query
        self.headers = headers

    @property
    def ports(self) -> Ports:
        # Asked for on use, so that health and the OpenAPI document need no adapters at all.
        return wiring.ports()

    @property
    def caller(self) -> Identity:
        if self.identity is None:  # pragma: no cover - only unauthenticated routes lack one
            raise RuntimeError("this route does not authenticate its caller")
        return self.identity

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get(IDEMPOTENCY_HEADER.lower())


@dataclass(frozen=True)
class Answer:
    """A handler's result when the status or headers differ from the route's declaration."""

    body: BaseModel | dict[str, Any] | list[Any]
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiBlueprint:
    """A Chalice blueprint whose routes are declared with their wire models."""

    def __init__(self, import_name: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.operations: list[Operation] = []

    def operation(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        answer: type[BaseModel] | None,
        status: int = 200,
        auth: bool = True,
        body: type[Request] | None = None,
        query: type[Query] | None = None,
        idempotency_key: bool = False,
        errors: tuple[int, ...] = (),
        description: str = "",
        body_required: bool = True,
        media_type: str = "application/json",
        invalid_body: str = VALIDATION_FAILED,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
            op = Operation(
                name=handler.__name__,
                method=method,
                path=PREFIX + path,
                summary=summary,
                tag=tag,
                answer=answer,
                status=status,
                auth=auth,
                body=body,
                query=query,
                idempotency_key=idempotency_key,
                errors=errors,
                description=description or (handler.__doc__ or "").strip(),
                body_required=body_required,
                media_type=media_type,
                invalid_body=invalid_body,
            )
            self.operations.append(op)
            view = self._view(op, handler)
            self.blueprint.route(op.path, methods=[method], name=handler.__name__)(view)
            return handler

        return decorate

    def _view(self, op: Operation, handler: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def view(**path_parameters: str) -> Response:
            # A budget page builds thousands of acyclic objects: see entrypoints/gc_pause.py.
            with gc_paused():
                try:
                    return _answer(op, handler(self._call(op, path_parameters), **path_parameters))
                except Exception as error:  # noqa: BLE001 - the one place failures become answers
                    return to_response(error)

        return view

    def _call(self, op: Operation, path_parameters: Mapping[str, str]) -> Call[Any, Any]:
        request = self.blueprint.current_request
        headers = {name.lower(): value for name, value in request.headers.items()}
        identity = auth.authenticate(wiring.ports(), headers) if op.auth else None
        for value in path_parameters.values():
            if not value or len(value) > MAX_PATH_PARAMETER:
                raise NotFound("There is nothing at this address.")
        body = parse_body(
            op.body, request.raw_body, required=op.body_required, invalid_code=op.invalid_body
        )
        query = parse_query(op.query, request.query_params)
        return Call(identity=identity, body=body, query=query, headers=headers)


def _answer(op: Operation, result: BaseModel | Answer | Response | None) -> Response:
    if isinstance(result, Response):
        return result  # already shaped, such as a CSV download
    answer = result if isinstance(result, Answer) else Answer(body=result or {})
    # A model is written straight to JSON text (pydantic's serializer), not to dicts that
    # Chalice then encodes again: a budget page is thousands of lines.
    body = answer.body.model_dump_json() if isinstance(answer.body, BaseModel) else answer.body
    status = answer.status or op.status
    if status == 204:
        return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})
    return Response(
        body=body,
        status_code=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store", **answer.headers},
    )


def job_location(company_id: str, job_id: str) -> str:
    return f"{PREFIX}/companies/{quote(company_id, safe='')}/erp/jobs/{quote(job_id, safe='')}"


# ---- request parsing --------------------------------------------------------------------------


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


MAX_JSON_DEPTH = 32  # no request model nests deeper than a few levels


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest beyond MAX_JSON_DEPTH, without parsing (the parser recurses)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def parse_json(raw: bytes | str | None) -> Any:
    """The body as Python values, numbers as exact Decimals; refuses what is not JSON."""
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        # 400, not 413: the API answers every bad body with 400 or 422 (docs/api.md, "Errors").
        raise RequestRejected(
            400,
            "payload_too_large",
            f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.",
        )
    if not raw or not raw.strip():
        return None
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise RequestRejected(400, "invalid_json", "The request body is not valid JSON.") from None
    if _too_deep(text):
        raise RequestRejected(
            400,
            "invalid_json",
            f"The request body nests arrays or objects more than {MAX_JSON_DEPTH} levels deep.",
        )
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_no_constants)
        # A `\ud800`-style escape decodes to a lone surrogate, which is not Unicode text: no
        # store, log or AWS call could carry it, so it is refused here, once, for every route.
        json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    except (ValueError, RecursionError):
        raise RequestRejected(400, "invalid_json", "The request body is not valid JSON.") from None
    except UnicodeEncodeError:
        raise RequestRejected(
            400, "invalid_json", "The request body holds text that is not valid Unicode."
        ) from None
    return data


def parse_body(
    model: type[B] | None,
    raw: bytes | str | None,
    *,
    required: bool = True,
    invalid_code: str = VALIDATION_FAILED,
) -> B | None:
    """The body as `model`. Fields that do not validate answer 422 `invalid_code` with every
    problem in `fields`; a route with a code of its own also names the first in `field`."""
    data = parse_json(raw)
    if data is None and model is not None and not required:
        data = {}
    if model is None:
        if data not in (None, {}):
            raise RequestRejected(422, VALIDATION_FAILED, "This request takes no body.")
        return None
    if data is None:
        raise RequestRejected(400, "invalid_json", "This request needs a JSON object as its body.")
    if not isinstance(data, dict):
        raise RequestRejected(422, VALIDATION_FAILED, "The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        problems = [_problem(error, "field") for error in invalid.errors(include_url=False)]
        named = {"field": problems[0]["name"]} if invalid_code != VALIDATION_FAILED else {}
        raise RequestRejected(
            422, invalid_code, _summary(problems), fields=problems, **named
        ) from None


def parse_query(model: type[Q] | None, params: Any) -> Q | None:
    values: dict[str, str] = {}
    for name in params or {}:
        given = params.getlist(name) if hasattr(params, "getlist") else [params[name]]
        if len(given) > 1:
            raise RequestRejected(
                400, "invalid_query", f"The query parameter '{name}' may be given only once."
            )
        values[name] = given[0]
    if model is None:
        if values:
            name = next(iter(values))
            raise RequestRejected(
                400, "invalid_query", f"The query parameter '{name}' is not allowed here."
            )
        return None
    try:
        return model.model_validate(values)
    except ValidationError as invalid:
        problems = [
            _problem(error, "query parameter") for error in invalid.errors(include_url=False)
        ]
        raise RequestRejected(
            400, "invalid_query", _summary(problems), parameters=problems
        ) from None


_TYPE_SENTENCES = {
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be a string",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "list_type": "must be a list",
    "missing": "is required",
    "extra_forbidden": "is not allowed here",
}


def _problem(error: Mapping[str, Any], noun: str) -> dict[str, str]:
    """One problem as a sentence for a person. A problem known here reads as the rest of a
    sentence about the field ("The field 'limit' must be a whole number."). Any other is told in
    the rule's own words (a validator's ValueError, pydantic's message), which are a whole clause
    about the value, so they follow "is not valid:" instead of being glued onto the field's name
    ("The field 'quantity' is not valid: 'abc' is not a number."). A problem of the whole body
    has no name and stands alone."""
    name = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    what = _predicate(kind, ctx)
    if what is not None:
        return {"name": name, "message": _sentence(f"The {noun} '{name}' {what}" if name else what)}
    why = str(ctx.get("error", error["msg"])) if kind == "value_error" else str(error["msg"])
    if name:
        # "Input should be ..." reads mid-sentence in lower case; "ERP ..." or "'abc' ..." as is.
        why = why[:1].lower() + why[1:] if why[1:2].islower() else why
        why = f"The {noun} '{name}' is not valid: {why}"
    return {"name": name, "message": _sentence(why)}


def _predicate(kind: str, ctx: Mapping[str, Any]) -> str | None:
    """What a field must be, for the problems whose words are decided here; else None."""
    if kind in _TYPE_SENTENCES:
        return _TYPE_SENTENCES[kind]
    if kind in ("enum", "literal_error"):
        return f"must be {ctx.get('expected', 'one of the allowed values')}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    return None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:].rstrip(".") + "."


def _summary(problems: list[dict[str, str]]) -> str:
    first = problems[0]["message"]
    more = len(problems) - 1
    if more:
        return f"{first} ({more} more problem{'s' if more > 1 else ''} listed.)"
    return first
