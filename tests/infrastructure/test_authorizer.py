"""The gateway's own lock on the API: a Cognito user-pool authorizer on every route the app does not
declare public, and the gateway's refusals in the same `{"error": {...}}` shape as the app's."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sam as sam
from aws_cdk.assertions import Template

from chalicelib.entrypoints.api.errors import NO_SUCH_ROUTE_MESSAGE
from chalicelib.entrypoints.api.framework import PREFIX
from infra import gateway

PUBLIC = {
    (f"{PREFIX}/health", "GET"),
    (f"{PREFIX}/openapi.json", "GET"),
    (f"{PREFIX}/session", "POST"),
    (f"{PREFIX}/session/new-password", "POST"),  # an invited person has no token yet
    (f"{PREFIX}/dev/outbox", "GET"),  # answers 404 in a deployment
}


def _body(synthesized) -> dict[str, Any]:
    return synthesized.resource("RestAPI")["Properties"]["DefinitionBody"]


def _authorizer(synthesized) -> dict[str, Any]:
    return _body(synthesized)["securityDefinitions"][gateway.AUTHORIZER]


def _chalice_routes() -> list[tuple[str, str]]:
    from app import app  # the same object packaging loaded

    return [(path, method) for path, methods in app.routes.items() for method in methods]


def _security(synthesized, path: str, method: str) -> Any:
    return _body(synthesized)["paths"][path][method.lower()].get("security")


def _gateway_response(synthesized, kind: str) -> dict[str, Any]:
    return _body(synthesized)["x-amazon-apigateway-gateway-responses"][kind]


def _error_body(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["responseTemplates"]["application/json"])


# --- the authorizer -----------------------------------------------------------------------------


def test_the_api_has_a_cognito_user_pool_authorizer_reading_the_authorization_header(synthesized):
    authorizer = _authorizer(synthesized)
    assert authorizer["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert authorizer["x-amazon-apigateway-authorizer"]["type"] == "cognito_user_pools"
    # In OpenAPI 2.0 the identity source of a cognito authorizer is this header.
    assert (authorizer["type"], authorizer["in"], authorizer["name"]) == (
        "apiKey",
        "header",
        "Authorization",
    )


def test_the_authorizer_trusts_only_this_stacks_user_pool(synthesized):
    pool_id, _ = synthesized.only("AWS::Cognito::UserPool")
    providers = _authorizer(synthesized)["x-amazon-apigateway-authorizer"]["providerARNs"]
    assert providers == [{"Fn::GetAtt": [pool_id, "Arn"]}]


def test_the_authorizer_asks_for_no_oauth_scopes_so_id_tokens_pass(synthesized):
    # With scopes on a method, API Gateway wants an access token; the web app sends the ID token.
    for path, methods in _body(synthesized)["paths"].items():
        for method, operation in methods.items():
            for requirement in operation.get("security", []):
                assert requirement == {gateway.AUTHORIZER: []}, (path, method)


def test_the_public_routes_are_what_the_api_declares_public():
    # Guards the premise of the tests below: the public list comes from the routes' own `auth=False`.
    assert gateway.public_routes() == PUBLIC


@pytest.mark.parametrize("path,method", sorted(PUBLIC))
def test_public_routes_are_open_at_the_gateway(synthesized, path, method):
    assert not _security(synthesized, path, method)


def test_every_other_route_of_the_app_needs_a_user_pool_token_at_the_gateway(synthesized):
    routes = _chalice_routes()
    guarded = [(path, method) for path, method in routes if (path, method) not in PUBLIC]
    assert len(guarded) >= 10, guarded  # the API's company routes, not an empty table
    unguarded = [
        (path, method)
        for path, method in guarded
        if _security(synthesized, path, method) != [{gateway.AUTHORIZER: []}]
    ]
    assert unguarded == []


def test_the_gateway_guards_exactly_the_methods_the_stack_reports(synthesized):
    reported = {(p, m) for p, methods in synthesized.stack.guarded_routes.items() for m in methods}
    in_template = {
        (path, method.upper())
        for path, methods in _body(synthesized)["paths"].items()
        for method, operation in methods.items()
        if operation.get("security")
    }
    assert in_template == reported


def test_a_route_the_app_adds_without_a_public_declaration_is_guarded_and_preflight_is_not():
    app = SimpleNamespace(
        routes={
            f"{PREFIX}/health": {"GET": None},
            f"{PREFIX}/reports/{{id}}/export.csv": {"GET": None, "OPTIONS": None},
        }
    )
    assert gateway.guarded_routes(app) == {f"{PREFIX}/reports/{{id}}/export.csv": ["GET"]}


def test_a_guarded_path_with_a_dot_gets_its_security_under_its_own_name():
    # CDK splits override keys on dots; the path must not be cut into nested keys.
    stack = Stack(App(), "DotTest")
    api = sam.CfnApi(
        stack,
        "Api",
        stage_name="api",
        definition_body={"swagger": "2.0", "paths": {"/files/a.json": {"get": {}}}},
    )
    app = SimpleNamespace(routes={"/files/a.json": {"GET": None}})
    gateway.protect(api, "arn:aws:cognito-idp:us-east-1:111111111111:userpool/x", app)
    body = Template.from_stack(stack).to_json()["Resources"]["Api"]["Properties"]["DefinitionBody"]
    assert body["paths"] == {"/files/a.json": {"get": {"security": [{gateway.AUTHORIZER: []}]}}}


# --- the gateway's own refusals -----------------------------------------------------------------


def test_a_missing_or_expired_token_is_refused_with_401_in_the_apis_error_shape(synthesized):
    response = _gateway_response(synthesized, "UNAUTHORIZED")
    assert response["statusCode"] == "401"
    assert _error_body(response) == {
        "error": {
            "code": "unauthorized",
            "message": "Your session is missing, invalid or has expired. Please sign in again.",
        }
    }
    challenge = response["responseParameters"]["gatewayresponse.header.WWW-Authenticate"]
    assert challenge.strip("'").startswith("Bearer")


def test_an_access_denied_at_the_gateway_is_a_403_forbidden_in_the_apis_error_shape(synthesized):
    response = _gateway_response(synthesized, "ACCESS_DENIED")
    assert response["statusCode"] == "403"
    error = _error_body(response)["error"]
    assert error["code"] == "forbidden"
    assert error["message"].endswith(".")


@pytest.mark.parametrize(
    "kind,code", [("DEFAULT_4XX", "request_refused"), ("DEFAULT_5XX", "internal_error")]
)
def test_other_gateway_errors_keep_their_status_and_use_the_apis_error_shape(
    synthesized, kind, code
):
    response = _gateway_response(synthesized, kind)
    assert "statusCode" not in response  # API Gateway's own status for the case stays
    body = _error_body(response)
    assert list(body) == ["error"]
    assert body["error"]["code"] == code
    assert body["error"]["message"][0].isupper() and body["error"]["message"].endswith(".")


def test_a_path_or_method_no_route_takes_is_a_404_not_found_in_the_apis_error_shape(synthesized):
    # API Gateway's MISSING_AUTHENTICATION_TOKEN: its default is a 403 "Missing Authentication
    # Token", or, with an Authorization header, a sentence that quotes the whole header back.
    response = _gateway_response(synthesized, "MISSING_AUTHENTICATION_TOKEN")
    assert response["statusCode"] == "404"
    assert _error_body(response) == {
        "error": {"code": "not_found", "message": NO_SUCH_ROUTE_MESSAGE}
    }


def test_no_gateway_error_can_echo_the_request(synthesized):
    """Every error the gateway answers itself is one of these: the DEFAULT_* families catch every
    type not customized. Their bodies are fixed text: no `$context` (whose error.message can
    quote the Authorization header), no request values."""
    responses = _body(synthesized)["x-amazon-apigateway-gateway-responses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN"} <= set(responses)
    for kind, response in responses.items():
        for template in response["responseTemplates"].values():
            assert "$" not in template, kind
            assert set(json.loads(template)["error"]) == {"code", "message"}, kind
        for value in response["responseParameters"].values():
            assert value.startswith("'") and value.endswith("'"), (kind, value)  # static


@pytest.mark.parametrize("kind", sorted(gateway.GATEWAY_ERRORS))
def test_gateway_errors_are_json_and_never_cached(synthesized, kind):
    headers = _gateway_response(synthesized, kind)["responseParameters"]
    assert headers["gatewayresponse.header.Content-Type"] == "'application/json'"
    assert headers["gatewayresponse.header.Cache-Control"] == "'no-store'"


def test_the_api_passes_compressed_csv_downloads_through_as_binary(synthesized) -> None:
    """A budget's CSV of more than about 75,000 lines fits one answer only gzip-compressed; API
    Gateway turns the function's base64 back into bytes only for a media type listed here."""
    assert "application/gzip" in _body(synthesized)["x-amazon-apigateway-binary-media-types"]
