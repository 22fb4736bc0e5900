"""What the accounting systems' sandboxes (QuickBooks Online, Xero, NetSuite) share.

Budgets by account and month: an amount set through the uniform switch is spread over 12 months,
the cents left over on the last. OAuth2 refresh tokens that rotate: each refresh answers a new
one and the presented one is refused from then on, as QuickBooks and Xero do.
"""

from __future__ import annotations

import base64
import datetime
import uuid
from decimal import ROUND_DOWN, Decimal
from typing import Any

from flask import Response, request

from devstack.sandbox.core import answer, state

MONTHS = 12
CENT = Decimal("0.01")


def spread(amount: Any, months: int = MONTHS) -> list[Decimal]:
    """`amount` over `months`, equal whole cents, the remainder on the last month."""
    total = Decimal(str(amount))
    each = (total / months).quantize(CENT, rounding=ROUND_DOWN)
    return [each] * (months - 1) + [total - each * (months - 1)]


def months(year: int | None = None) -> list[str]:
    """The first day of each month of the budget year (this year): "2026-01-01", ..."""
    year = year or datetime.date.today().year
    return [f"{year}-{month:02d}-01" for month in range(1, MONTHS + 1)]


def basic_client() -> tuple[str, str]:
    """The client id and secret of an HTTP Basic header (OAuth2 client authentication)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return "", ""
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    return user, password


def rotate_refresh_token(erp: str, tenant: str, presented: str, first: str) -> str | None:
    """The new refresh token when `presented` is the current one (retired now); None otherwise."""
    sandbox = state()
    with sandbox.lock:
        current = sandbox.extras.setdefault(f"{erp}:refresh", {})
        if current.get(tenant, first) != presented:
            return None
        fresh = f"{erp}-refresh-{uuid.uuid4().hex[:12]}"
        current[tenant] = fresh
        return fresh


def refresh_token_grant(
    erp: str, client: tuple[str, str], first: str, extra: dict[str, Any]
) -> Response:
    """The OAuth2 refresh-token grant of an ERP whose refresh tokens rotate (QuickBooks Online,
    Xero): the client checked, the presented token retired, a new pair answered with `extra`."""
    if basic_client() != client:
        return answer(401, {"error": "invalid_client"})
    if request.form.get("grant_type") != "refresh_token":
        return answer(400, {"error": "unsupported_grant_type"})
    tenant = next(t for (name, t) in state().budgets if name == erp)
    fresh = rotate_refresh_token(erp, tenant, request.form.get("refresh_token", ""), first)
    if fresh is None:
        return answer(400, {"error": "invalid_grant"})
    tokens = {"access_token": state().open_token(erp, tenant), "refresh_token": fresh}
    return answer(200, {**tokens, **extra})
