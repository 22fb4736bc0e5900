"""What every system of the sandbox ERP shares: the stored native lines, sessions, faults, answers.

Each system module (acumatica.py, intacct.py, ...) defines a `System`: its URL prefixes, a Flask
blueprint speaking its wire format, how demo data becomes its native lines, and how one native
line reads and is written through the uniform `/sandbox/budgets/...` switch (switch.py).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from flask import Response, current_app, request

from devstack import demo_data

MAX_BODY_BYTES = 1_000_000
ID_NAMESPACE = uuid.UUID("6f1c1c2e-8d0a-4c55-9a43-0c5b6f0e5a11")


@dataclass
class Row:
    """One native budget line: its id and its fields under the ERP's own names."""

    id: str
    values: dict[str, Any]  # field name -> raw JSON value (Decimal for numbers with a fraction)
    # What the ERP keeps about the line on other records than the line itself (a child project's
    # parent, a task's parent task, a sub-job's controlling job): the system draws those records
    # from it. Never answered as one of the line's fields.
    held: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Uniform:
    """A line as the uniform switch speaks it (the connector's mapping of a native line)."""

    sub_job: str
    cost_code: str
    cost_type: str
    amount: Any
    description: str = ""
    kind: str = "cost"  # "cost" | "revenue"

    def key(self) -> tuple[str, str, str]:
        return (self.sub_job, self.cost_code, self.cost_type)

    def as_json(self) -> dict[str, Any]:
        amount = self.amount
        if isinstance(amount, int | Decimal) and not isinstance(amount, bool):
            amount = decimal_text(amount)
        return {**vars(self), "amount": amount}


def decimal_text(amount: Any) -> str:
    """An amount as the ERPs that carry amounts as text write it: at least two places, and every
    digit it was given kept (`"1.005"` stays `"1.005"`, so a test can plant one the rules refuse).
    Text is kept as it is."""
    if isinstance(amount, str):
        return amount
    value = Decimal(amount)
    return f"{value:.2f}" if value.as_tuple().exponent >= -2 else f"{value:f}"


@dataclass
class System:
    """One ERP of the sandbox; adding a system is one module making one of these."""

    name: str  # the connector's registry name, also the uniform switch's {erp}
    prefixes: tuple[str, ...]  # "/myob"; "" mounts at the root
    blueprint: Callable[[str], Any]  # prefix -> a fresh Flask Blueprint
    rows: Callable[[demo_data.DemoCompany], list[Row]]  # the demo budgets as native lines
    job_of: Callable[[Row], str]
    uniform: Callable[[Row], Uniform]
    native: Callable[[str, Uniform], Row]  # (job, line) -> a new native line
    error: Callable[[int, str], Any]  # (status, message) -> the ERP's own error body
    # (job, line) -> the line with the key it is kept under and read back with (what the switch's
    # GET reports for it), or `refused` when the ERP cannot hold a part of it. The switch matches
    # stored lines against this key, so PUT replaces and DELETE removes what PUT and POST stored.
    key_of: Callable[[str, Uniform], Uniform] = field(default=lambda job, line: line)


def refused(message: str) -> Stop:
    """A line the uniform switch cannot keep in that ERP (the switch's own answer, not the ERP's)."""
    return Stop(answer(400, {"message": message}))


def without_revenue_cost_type(line: Uniform) -> Uniform:
    """A revenue line as an ERP that keeps no cost type on one holds it: without it. Revenue lines
    count for nothing (connectors leave them out), so a cost type sent with one is dropped, not
    refused, on write and on match alike: PUT and DELETE of that key find the line it made."""
    if line.kind == "revenue" and line.cost_type:
        return replace(line, cost_type="")
    return line


def without_sub_jobs(
    title: str, revenue_cost_type: bool = True
) -> Callable[[str, Uniform], Uniform]:
    """The `key_of` of an ERP with no sub jobs (and, with `revenue_cost_type` false, no cost type
    on a revenue line): a line naming a sub job is refused rather than stored without it, where a
    second PUT of the same key would not find it; a revenue line's cost type is dropped."""

    def key_of(job: str, line: Uniform) -> Uniform:
        if line.sub_job:
            raise refused(f'{title} keeps no sub jobs: send sub_job "".')
        return line if revenue_cost_type else without_revenue_cost_type(line)

    return key_of


@dataclass
class Fault:
    fail_next: int = 0
    status: int = 503
    match: str = ""
    prefix: str = ""  # "" = every system
    retry_after: str | None = None
    body: str | None = None
    delay_seconds: float = 0.0
    delay_next: int | None = None  # None: every call until cleared
    max_page: int | None = None  # a page holds at most this many rows, whatever was asked


@dataclass
class State:
    """Everything the sandbox holds; every access goes through `lock`."""

    systems: dict[str, System]
    lock: threading.RLock = field(default_factory=threading.RLock)
    budgets: dict[tuple[str, str], list[Row]] = field(default_factory=dict)  # (erp, tenant)
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # session -> (erp, tenant)
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (erp, tenant)
    fault: Fault = field(default_factory=Fault)
    sign_ins: dict[str, int] = field(default_factory=dict)  # erp -> sessions and tokens granted
    extras: dict[str, Any] = field(default_factory=dict)  # a system's own state (refresh tokens)

    def reset(self) -> None:
        with self.lock:
            self.extras.clear()  # first: a system's rows may depend on its own state
            self.budgets = {}
            for company in demo_data.companies():
                system = self.systems.get(company.erp_system)
                if system is not None:
                    self.budgets[(system.name, company.tenant.lower())] = system.rows(company)
            self.sessions.clear()
            self.tokens.clear()
            self.sign_ins.clear()
            self.fault = Fault()

    def tenant_rows(self, erp: str, tenant: str) -> list[Row]:
        """The tenant's lines (the caller holds the lock); KeyError for an unknown tenant."""
        return self.budgets[(erp, tenant.lower())]

    def has_tenant(self, erp: str, tenant: str) -> bool:
        with self.lock:
            return (erp, tenant.lower()) in self.budgets

    def open_token(self, erp: str, tenant: str) -> str:
        token = uuid.uuid4().hex
        with self.lock:
            self.tokens[token] = (erp, tenant.lower())
            self.sign_ins[erp] = self.sign_ins.get(erp, 0) + 1
        return token


def page_size(erp: str, asked: int) -> int:
    """The rows a page of `erp` holds when `asked` for: fewer under the page cap switch
    (`POST /sandbox/faults {"max_page": n}`), as a server whose own limit is below the request's
    answers. Each system still says "more" in its own way (or, as Acumatica, not at all)."""
    with state().lock:
        fault = state().fault
        cap = fault.max_page if fault.prefix in ("", erp) else None
    return asked if cap is None else min(asked, cap)


def company_of(erp: str, tenant: str) -> demo_data.DemoCompany:
    """The demo company behind one system's tenant (case-insensitive); KeyError when none."""
    for company in demo_data.companies():
        if company.erp_system == erp and company.tenant.lower() == tenant.lower():
            return company
    raise KeyError(tenant)


def stable_id(*parts: object) -> str:
    """The same demo line has the same id on every run and after every reset."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(str(part) for part in parts)))


def state() -> State:
    return current_app.config["SANDBOX_STATE"]  # type: ignore[no-any-return]


def dumps(value: Any) -> str:
    """JSON with Decimals written as numbers digit for digit (json.dumps would refuse them).

    One pass of the standard encoder: each Decimal is first written as a marked string, and the
    marks (a random token no ERP text carries) are then taken off so its digits stand as a number.
    A budget page of 1,000 entities is some 25,000 values; encoding them one call at a time cost
    the sandbox more than the connector spends reading the page.
    """
    if isinstance(value, Decimal):
        return str(value)
    text = _ENCODER.encode(value)
    if _MARK not in text:
        return text
    # Two plain replacements rather than one regular expression: a mark only ever stands right
    # inside the quotes of a marked Decimal, and a template substitution per amount cost more
    # than encoding the page.
    return text.replace(_OPENING, "").replace(_CLOSING, "")


def json_text(value: Any) -> str:
    """`dumps(value)`, with the values a budget line is made of (text, Decimals, whole numbers)
    written without going through the encoder: the same text, for callers that write an answer
    field by field (acumatica.py's budget page)."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)  # what the encoder writes (ensure_ascii)
    if kind is Decimal:
        return f"{value}"  # as _mark_decimal writes it
    if kind is int:
        return int.__repr__(value)
    return dumps(value)  # None, bool, float, a nested value: the encoder itself


def _mark_decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{_MARK}{value}{_MARK}"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_MARK = f"~{uuid.uuid4().hex}~"
_OPENING, _CLOSING = f'"{_MARK}', f'{_MARK}"'
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_mark_decimal)


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    payload = body if isinstance(body, bytes) else b"" if body is None else dumps(body).encode()
    response = Response(payload, status=status, headers=headers or {})
    if payload:
        # A SOAP system's error body (Yardi) is XML; everything else the sandbox speaks is JSON.
        xml = payload.lstrip().startswith(b"<?xml")
        response.headers["Content-Type"] = (
            f"{'text/xml' if xml else 'application/json'}; charset=utf-8"
        )
    else:
        response.headers.pop("Content-Type", None)
    return response


class Stop(Exception):
    """Ends a request with an answer; raised from deep inside a handler."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class Invalid(Exception):
    """A request the system refuses (400, 413), answered in that system's own error form by the
    app (the system its path names), as the real ERP words a bad parameter or body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_body() -> Any:
    """The request's JSON (Decimals kept exact), None when empty; 400 when not JSON."""
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise Invalid(413, "The request body is too large.")
    if not raw.strip():
        return None
    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise Invalid(400, "The request body is not valid JSON.") from None


def count(name: str, default: int | None = None) -> int | None:
    """A whole, non-negative query parameter; None (or the default) when absent."""
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise Invalid(400, f"{name} must be a whole number.") from None
    if value < 0:
        raise Invalid(400, f"{name} must not be negative.")
    return value


def bearer_tenant(erp: str, error: Callable[[int, str], Any]) -> str:
    """The tenant behind the request's bearer token; the ERP's own 401 otherwise."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    with state().lock:
        owner = state().tokens.get(token)
    if owner is None or owner[0] != erp:
        raise Stop(answer(401, error(401, "The access token is missing, invalid or expired.")))
    return owner[1]
