"""The OpenAPI document: every served route is in it, generated from the models the routes use."""

from __future__ import annotations

import json
import re

import pytest
from chalice.test import Client

from app import app


@pytest.fixture(scope="module")
def document() -> dict:
    with Client(app) as client:
        answer = client.http.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return json.loads(answer.body)


def test_every_route_the_app_serves_is_in_the_document(document: dict) -> None:
    served = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}

    assert document["openapi"].startswith("3.1")
    assert served == documented


def test_path_parameters_and_query_parameters_are_described(document: dict) -> None:
    for path, operations in document["paths"].items():
        for operation in operations.values():
            names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), path
    listing = document["paths"]["/api/v1/companies/{company_id}/erp/budgets"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    reimport = document["paths"]["/api/v1/companies/{company_id}/erp/budgets/{budget_id}/reimport"]
    assert any(p["name"] == "Idempotency-Key" for p in reimport["post"]["parameters"])
    assert "Location" in reimport["post"]["responses"]["202"]["headers"]


def test_only_health_openapi_sign_in_and_the_local_outbox_skip_the_bearer_token(
    document: dict,
) -> None:
    open_routes = {
        (path, method)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if op.get("security") == []
    }

    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]
    assert open_routes == {
        ("/api/v1/health", "get"),
        ("/api/v1/openapi.json", "get"),
        ("/api/v1/session", "post"),
        # An invited person has no token until they set their password.
        ("/api/v1/session/new-password", "post"),
        # The local stack's mail catcher; it answers 404 anywhere else.
        ("/api/v1/dev/outbox", "get"),
    }


def test_every_reference_resolves_and_request_bodies_forbid_unknown_fields(document: dict) -> None:
    schemas = document["components"]["schemas"]
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))

    assert refs <= set(schemas)
    for name in ("SessionRequest", "LineItemPatch", "ErpSettingsBody", "AutoReimportBody"):
        assert schemas[name]["additionalProperties"] is False
    money = schemas["LineItemOut"]["properties"]["original_budget_amount"]
    assert money["type"] == "string" and "pattern" in money
