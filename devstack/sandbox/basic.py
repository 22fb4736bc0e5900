"""HTTP Basic as the sandbox's Basic-auth systems check it (CMiC keeps its own, older copy)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from flask import request

from devstack.sandbox.core import Stop, answer


def require(user: tuple[str, str], error: Callable[[int, str], Any], realm: str) -> None:
    """Stops the request with the ERP's own 401 unless it carries exactly `user`."""
    header = request.headers.get("Authorization", "")
    try:
        pair = base64.b64decode(header.removeprefix("Basic ").strip()).decode()
    except ValueError:
        pair = ""
    if not header.startswith("Basic ") or tuple(pair.split(":", 1)) != user:
        raise Stop(answer(401, error(401, "Invalid user name or password."),
                          {"WWW-Authenticate": f'Basic realm="{realm}"'}))  # fmt: skip
