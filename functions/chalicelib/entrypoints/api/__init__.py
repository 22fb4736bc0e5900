"""The HTTP API (PRODUCT.md §3), registered on the Chalice app as blueprints."""

from __future__ import annotations

from chalice import Chalice


def register_api(app: Chalice) -> None:
    from chalicelib.entrypoints.api.routes import register

    register(app)
