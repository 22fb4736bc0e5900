"""The HTTP API (docs/api.md), registered on the Chalice app as blueprints."""

from __future__ import annotations

from chalice import Chalice


def register_api(app: Chalice) -> None:
    from chalicelib.entrypoints.api.csv_export import GZIP
    from chalicelib.entrypoints.api.routes import register
    from chalicelib.observability import trace_http

    register(app)
    # A compressed CSV is bytes: Chalice base64-encodes it and API Gateway (binary media types,
    # taken from this list) decodes it for a caller that asked for it (csv_export.py).
    app.api.binary_types.append(GZIP)
    # Each request is traced in X-Ray (a no-op outside Lambda); see docs/operations.md.
    app.register_middleware(trace_http, "http")
