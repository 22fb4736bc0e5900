"""The API's defences at the gateway: a Cognito user-pool authorizer on every route the Chalice app
does not declare public, and gateway error answers in the API's own `{"error": {...}}` shape.

The app still verifies every token itself (the same code runs locally and in AWS); the authorizer
is a second lock, so a route that forgot to authenticate is still closed in AWS. Both live inside
the API's OpenAPI body (`DefinitionBody`): SAM names the API's deployment after a hash of that
body, so a change to either is deployed with the API instead of waiting for a manual redeploy.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import aws_sam as sam

from chalicelib.entrypoints.api.errors import INTERNAL_ERROR_MESSAGE, NO_SUCH_ROUTE_MESSAGE

AUTHORIZER = "CognitoUserPool"
IDENTITY_HEADER = "Authorization"
# CORS preflight carries no token; the gateway must let it through whatever the route needs.
UNGUARDED_METHODS = frozenset({"OPTIONS"})

UNAUTHORIZED_MESSAGE = "Your session is missing, invalid or has expired. Please sign in again."
FORBIDDEN_MESSAGE = "You are not allowed to do this."
CLIENT_ERROR_MESSAGE = "The request could not be completed."
# The challenge the app sends with a 401 that names no error (chalicelib.entrypoints.api.errors);
# the gateway cannot tell a missing token from a bad one, so it names none.
BEARER_CHALLENGE = 'Bearer realm="budget-bridge"'


@dataclass(frozen=True)
class GatewayError:
    status: int | None  # None keeps the status API Gateway chose (for the DEFAULT_* families)
    code: str
    message: str
    headers: tuple[tuple[str, str], ...] = ()


# Every body is fixed text. API Gateway's own bodies use $context.error.message, which for a
# request with an Authorization header on an unknown route quotes the whole header (the token)
# back; the DEFAULT_* families replace the body of every type not named here, so no answer of
# the gateway carries anything from the request.
GATEWAY_ERRORS: dict[str, GatewayError] = {
    "UNAUTHORIZED": GatewayError(
        401, "unauthorized", UNAUTHORIZED_MESSAGE, (("WWW-Authenticate", BEARER_CHALLENGE),)
    ),
    "ACCESS_DENIED": GatewayError(403, "forbidden", FORBIDDEN_MESSAGE),
    # A path or a method no route takes: API Gateway's default is a 403 "Missing Authentication
    # Token" (or, with an Authorization header, a sentence quoting it). The local stack answers
    # the same 404 (devstack/web.py).
    "MISSING_AUTHENTICATION_TOKEN": GatewayError(404, "not_found", NO_SUCH_ROUTE_MESSAGE),
    "DEFAULT_4XX": GatewayError(None, "request_refused", CLIENT_ERROR_MESSAGE),
    "DEFAULT_5XX": GatewayError(None, "internal_error", INTERNAL_ERROR_MESSAGE),
}


def load_chalice_app(functions_dir: Path) -> Any:
    """The Chalice app object packaging loaded (`import app` from the functions folder, as Chalice
    does). It must be that very object: the API's blueprint registers on one app only."""
    if str(functions_dir) not in sys.path:
        sys.path.insert(0, str(functions_dir))
    module = importlib.import_module("app")
    # infra/app.py is also an `app`: refuse to read routes from the wrong one.
    if Path(module.__file__ or "").resolve() != (functions_dir / "app.py").resolve():
        raise RuntimeError(f"`import app` found {module.__file__}, not {functions_dir}/app.py")
    return module.app


def public_routes() -> frozenset[tuple[str, str]]:
    """(path, METHOD) of every route the API declares with `auth=False`: its own declarations,
    so this list cannot drift from the routes."""
    from chalicelib.entrypoints.api.routes import operations

    return frozenset((op.path, op.method.upper()) for op in operations() if not op.auth)


def guarded_routes(chalice_app: Any) -> dict[str, list[str]]:
    """path -> METHODs the authorizer guards: every route in the app's table that is not declared
    public, so a route added without a declaration is closed by default."""
    public = public_routes()
    guarded: dict[str, list[str]] = {}
    for path, methods in chalice_app.routes.items():
        for method in methods:
            if method.upper() in UNGUARDED_METHODS or (path, method.upper()) in public:
                continue
            guarded.setdefault(path, []).append(method.upper())
    return guarded


def _override_key(*parts: str) -> str:
    # CDK splits override paths on dots; a literal dot (as in /openapi.json) is written `\.`.
    return ".".join(part.replace(".", "\\.") for part in parts)


def _gateway_response(error: GatewayError) -> dict[str, Any]:
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        **dict(error.headers),
    }
    body = json.dumps({"error": {"code": error.code, "message": error.message}})
    response: dict[str, Any] = {
        # Static header values are quoted with single quotes in API Gateway's mapping syntax.
        "responseParameters": {
            f"gatewayresponse.header.{name}": f"'{value}'" for name, value in headers.items()
        },
        "responseTemplates": {"application/json": body},
    }
    if error.status is not None:
        response["statusCode"] = str(error.status)
    return response


def protect(api: sam.CfnApi, user_pool_arn: str, chalice_app: Any) -> dict[str, list[str]]:
    """Adds the authorizer, binds it to every guarded method and shapes the gateway's errors;
    returns the guarded routes."""
    api.add_property_override(
        "DefinitionBody.securityDefinitions",
        {
            AUTHORIZER: {
                "type": "apiKey",
                "name": IDENTITY_HEADER,
                "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                # No OAuth scopes on the methods: the authorizer then accepts ID tokens, which is
                # what the web app sends and what the app itself verifies.
                "x-amazon-apigateway-authorizer": {
                    "type": "cognito_user_pools",
                    "providerARNs": [user_pool_arn],
                },
            }
        },
    )
    guarded = guarded_routes(chalice_app)
    for path, methods in guarded.items():
        for method in methods:
            api.add_property_override(
                _override_key("DefinitionBody", "paths", path, method.lower(), "security"),
                [{AUTHORIZER: []}],
            )
    api.add_property_override(
        "DefinitionBody.x-amazon-apigateway-gateway-responses",
        {kind: _gateway_response(error) for kind, error in GATEWAY_ERRORS.items()},
    )
    return guarded
