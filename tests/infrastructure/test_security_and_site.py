"""What protects users and data in AWS: the user pool, least-privilege roles, the private bucket,
and the CloudFront site that serves the web app and passes `/api/*` (with its token) to the API."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk.assertions import Match

from chalicelib import resources
from infra.access import ERP_SECRET_PREFIX, TARGET_SECRET_PREFIX
from infra.site import SPA_REWRITE
from infra.stack import FUNCTIONS, function_logical_id, role_logical_id


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _identity_statements(synthesized) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, role in synthesized.resources("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            found += [(logical_id, s) for s in policy["PolicyDocument"]["Statement"]]
    for logical_id, policy in synthesized.resources("AWS::IAM::Policy").items():
        found += [(logical_id, s) for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    return found


def _role_statements(synthesized, function: str) -> list[dict[str, Any]]:
    role = synthesized.resource(role_logical_id(function))
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _site_bucket(synthesized) -> tuple[str, dict[str, Any]]:
    """The web app's bucket (the other one holds uploaded budget exports)."""
    (found,) = [
        (logical_id, bucket)
        for logical_id, bucket in synthesized.resources("AWS::S3::Bucket").items()
        if logical_id != resources.EXPORTS.logical_id
    ]
    return found


def _site_bucket_policy(synthesized) -> dict[str, Any]:
    bucket_id, _ = _site_bucket(synthesized)
    (policy,) = [
        policy
        for policy in synthesized.resources("AWS::S3::BucketPolicy").values()
        if policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    return policy


def _distribution(synthesized) -> dict[str, Any]:
    _, distribution = synthesized.only("AWS::CloudFront::Distribution")
    return distribution["Properties"]["DistributionConfig"]


# --- users ------------------------------------------------------------------------------------


def test_users_sign_in_by_email_and_cannot_sign_themselves_up(synthesized):
    _, pool = synthesized.only("AWS::Cognito::UserPool")
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["UsernameAttributes"] == ["email"]
    assert props["UsernameConfiguration"] == {"CaseSensitive": False}
    assert pool["DeletionPolicy"] == "Retain"


def test_passwords_must_be_strong(synthesized):
    synthesized.template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "Policies": {
                "PasswordPolicy": Match.object_like(
                    {
                        "MinimumLength": Match.any_value(),
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": True,
                    }
                )
            }
        },
    )
    _, pool = synthesized.only("AWS::Cognito::UserPool")
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


def test_the_local_stacks_pool_asks_the_same_of_a_password_as_the_deployed_one(synthesized):
    from devstack.provision import PASSWORD_POLICY

    _, pool = synthesized.only("AWS::Cognito::UserPool")
    deployed = pool["Properties"]["Policies"]["PasswordPolicy"]
    local = {k: v for k, v in PASSWORD_POLICY.items() if k != "TemporaryPasswordValidityDays"}
    assert local == {k: deployed[k] for k in local}


def test_the_web_client_signs_in_with_password_or_srp_and_has_no_secret(synthesized):
    _, client = synthesized.only("AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"} <= set(props["ExplicitAuthFlows"])
    assert props["GenerateSecret"] is False
    assert props["PreventUserExistenceErrors"] == "ENABLED"
    assert props["ClientName"] == resources.USER_POOL_CLIENT_NAME


def test_a_user_cannot_become_someone_else_by_rewriting_their_email(synthesized):
    # The API knows people by the email in their ID token: the web client may not write it, and
    # a changed address only takes effect once verified (the old one stays until then).
    _, client = synthesized.only("AWS::Cognito::UserPoolClient")
    assert "email" not in client["Properties"]["WriteAttributes"]
    assert {"email", "email_verified"} <= set(client["Properties"]["ReadAttributes"])
    _, pool = synthesized.only("AWS::Cognito::UserPool")
    settings = pool["Properties"]["UserAttributeUpdateSettings"]
    assert settings["AttributesRequireVerificationBeforeUpdate"] == ["email"]


# --- IAM ------------------------------------------------------------------------------------


def test_no_policy_grants_every_action_or_a_whole_service(synthesized):
    offending = [
        (owner, action)
        for owner, statement in _identity_statements(synthesized)
        if statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"])
        if action == "*" or action.endswith(":*")
    ]
    assert offending == []
    for role in synthesized.resources("AWS::IAM::Role").values():
        managed = json.dumps(role["Properties"].get("ManagedPolicyArns", []))
        assert "AdministratorAccess" not in managed and "FullAccess" not in managed


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_role_names_its_actions_on_this_stacks_resources(synthesized, function):
    stack_ids = set(synthesized.raw["Resources"])
    statements = _role_statements(synthesized, function)
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for resource in _as_list(statement["Resource"]):
            text = json.dumps(resource)
            assert resource != "*", statement["Sid"]
            referenced = any(f'"{logical_id}"' in text for logical_id in stack_ids)
            secret_prefix = any(
                text.endswith(f':secret:{prefix}*"]]}}')
                for prefix in (ERP_SECRET_PREFIX, TARGET_SECRET_PREFIX)
            )
            assert referenced or secret_prefix, (statement["Sid"], text)


def test_only_the_worker_and_the_api_read_erp_credentials(synthesized):
    """The dead-letter handler reads only the budget target's (Procore's) credentials: it puts
    back what a stopped job wrote there."""
    readers = {
        function: sorted(
            json.dumps(resource)
            for s in _role_statements(synthesized, function)
            if "secretsmanager:GetSecretValue" in _as_list(s["Action"])
            for resource in _as_list(s["Resource"])
        )
        for function in FUNCTIONS
    }
    assert {f for f, secrets in readers.items() if secrets} == {
        resources.WORKER_FUNCTION, "api_handler", resources.DEAD_LETTER_FUNCTION,
    }  # fmt: skip
    assert all(TARGET_SECRET_PREFIX in r for r in readers[resources.DEAD_LETTER_FUNCTION])


def _secret_and_pool_statements(synthesized, function: str) -> list[dict[str, Any]]:
    return [
        s
        for s in _role_statements(synthesized, function)
        if any(a.split(":")[0] in ("secretsmanager", "cognito-idp") for a in _as_list(s["Action"]))
    ]


def test_the_api_manages_exactly_the_company_erp_secrets_and_invites_into_its_own_pool(
    synthesized,
):
    statements = {s["Sid"]: s for s in _secret_and_pool_statements(synthesized, "api_handler")}

    assert set(statements) == {"ManageErpCredentials", "ManageTargetCredentials", "InviteMembers"}
    secrets = statements["ManageErpCredentials"]
    assert sorted(_as_list(secrets["Action"])) == [
        "secretsmanager:CreateSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
    ]
    (secret_arn,) = _as_list(secrets["Resource"])
    assert json.dumps(secret_arn).endswith(f':secret:{ERP_SECRET_PREFIX}*"]]}}')
    target = statements["ManageTargetCredentials"]
    assert sorted(_as_list(target["Action"])) == [
        "secretsmanager:CreateSecret",
        "secretsmanager:DeleteSecret",  # going back to Budget Bridge deletes Procore's secret
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
    ]
    (target_arn,) = _as_list(target["Resource"])
    assert json.dumps(target_arn).endswith(f':secret:{TARGET_SECRET_PREFIX}*"]]}}')
    invite = statements["InviteMembers"]
    assert _as_list(invite["Action"]) == ["cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser"]
    pool_id, _ = synthesized.only("AWS::Cognito::UserPool")
    assert _as_list(invite["Resource"]) == [{"Fn::GetAtt": [pool_id, "Arn"]}]


@pytest.mark.parametrize("function", [f for f in FUNCTIONS if f != "api_handler"])
def test_no_other_function_creates_secrets_or_administers_users(synthesized, function):
    actions = {
        action
        for s in _secret_and_pool_statements(synthesized, function)
        for action in _as_list(s["Action"])
    }
    # The worker also stores a rotated refresh token (see the test below); nothing else writes.
    allowed = {"secretsmanager:GetSecretValue"}
    if function == resources.WORKER_FUNCTION:
        allowed.add("secretsmanager:PutSecretValue")
    assert actions <= allowed
    assert not any(a.startswith("cognito-idp:") for a in actions)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_deployed_app_allows_no_local_erp_address_and_sends_real_invitations(
    synthesized, function
):
    resource = synthesized.resource(function_logical_id(function))
    variables = resource["Properties"]["Environment"]["Variables"]

    assert variables["ERP_ALLOW_LOCAL_URLS"] == "false"
    assert variables["INVITATIONS"] == "cognito"


def test_the_api_can_enqueue_jobs_but_not_consume_them(synthesized):
    actions = {
        action
        for s in _role_statements(synthesized, "api_handler")
        for action in _as_list(s["Action"])
    }
    assert "sqs:SendMessage" in actions
    assert not {"sqs:ReceiveMessage", "sqs:DeleteMessage"} & actions


def test_the_exports_bucket_is_private_tls_only_and_reached_through_its_prefix(synthesized):
    bucket = synthesized.resource(resources.EXPORTS.logical_id)
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["Properties"]["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] == ["POST"]
    (policy,) = [
        p for p in synthesized.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": resources.EXPORTS.logical_id}
    ]  # fmt: skip
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )
    s3_grants = {
        function: sorted(
            action
            for s in _role_statements(synthesized, function)
            for action in _as_list(s["Action"])
            if action.startswith("s3:")
        )
        for function in FUNCTIONS
    }
    assert s3_grants == {
        function: {
            "api_handler": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
            resources.WORKER_FUNCTION: ["s3:GetObject", "s3:ListBucket"],
        }.get(function, [])
        for function in FUNCTIONS
    }
    for function in ("api_handler", resources.WORKER_FUNCTION):
        for statement in _role_statements(synthesized, function):
            if any(a.startswith("s3:") for a in _as_list(statement["Action"])):
                text = json.dumps(statement)
                assert resources.EXPORTS.logical_id in text
                assert f"/{resources.EXPORTS.key_prefix}*" in text or (
                    f"{resources.EXPORTS.key_prefix}*" in json.dumps(statement["Condition"])
                )


# --- site -----------------------------------------------------------------------------------


def test_the_site_bucket_is_private_and_tls_only(synthesized):
    bucket_id, bucket = _site_bucket(synthesized)
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    policy = _site_bucket_policy(synthesized)
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        and {"Fn::GetAtt": [bucket_id, "Arn"]} in _as_list(s["Resource"])
        for s in statements
    )
    public = [s for s in statements if s["Effect"] == "Allow" and s.get("Principal") == "*"]
    assert public == []


def test_cloudfront_reads_the_bucket_through_origin_access_control(synthesized):
    oac_id, oac = synthesized.only("AWS::CloudFront::OriginAccessControl")
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["Properties"]["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    s3_origins = [o for o in _distribution(synthesized)["Origins"] if "S3OriginConfig" in o]
    assert [o["OriginAccessControlId"] for o in s3_origins] == [{"Fn::GetAtt": [oac_id, "Id"]}]
    synthesized.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:GetObject",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Condition": {"StringEquals": {"AWS:SourceArn": Match.any_value()}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_api_paths_go_uncached_to_api_gateway_with_the_authorization_header(synthesized):
    config = _distribution(synthesized)
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api["CachePolicyId"] == cloudfront.CachePolicy.CACHING_DISABLED.cache_policy_id
    # All viewer headers but Host: with caching disabled this includes Authorization.
    assert (
        api["OriginRequestPolicyId"]
        == cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.origin_request_policy_id
    )
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= set(api["AllowedMethods"])
    assert api["ViewerProtocolPolicy"] in {"https-only", "redirect-to-https"}

    (origin,) = [o for o in config["Origins"] if o["Id"] == api["TargetOriginId"]]
    assert '"RestAPI"' in json.dumps(origin["DomainName"])
    assert ".execute-api." in json.dumps(origin["DomainName"])
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def test_a_site_path_under_api_reaches_the_same_chalice_route(synthesized):
    config = _distribution(synthesized)
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    (origin,) = [o for o in config["Origins"] if o["Id"] == api["TargetOriginId"]]
    rest_api = synthesized.resource("RestAPI")["Properties"]
    # CloudFront prepends the origin path: /api/v1/me -> /<stage>/api/v1/me -> route /api/v1/me.
    assert origin["OriginPath"] == f"/{rest_api['StageName']}"
    routes = list(rest_api["DefinitionBody"]["paths"])
    assert routes and all(route.startswith("/api/v1/") for route in routes), routes


def test_spa_routes_fall_back_to_index_html_without_hiding_api_errors(synthesized):
    config = _distribution(synthesized)
    assert config["DefaultRootObject"] == "index.html"
    # Error-page fallbacks would also answer API 403/404s with index.html.
    assert "CustomErrorResponses" not in config
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert "FunctionAssociations" not in api
    _, function = synthesized.only("AWS::CloudFront::Function")
    assert function["Properties"]["FunctionCode"] == SPA_REWRITE


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the CloudFront function")
def test_the_spa_rewrite_serves_index_html_for_routes_and_files_as_they_are():
    cases = {
        "/": "/index.html",
        "/budgets/acme/b-1": "/index.html",
        "/jobs": "/index.html",
        "/assets/index-3f2a.js": "/assets/index-3f2a.js",
        "/runtime-config.json": "/runtime-config.json",
        "/favicon.ico": "/favicon.ico",
    }
    script = (
        SPA_REWRITE
        + "\nconst cases = "
        + json.dumps(cases)
        + ";\nconst out = {};\nfor (const uri of Object.keys(cases)) {"
        + " out[uri] = handler({request: {uri: uri}}).uri; }\n"
        + "console.log(JSON.stringify(out));\n"
    )
    result = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == cases


# The exports bucket's regional address as the template writes it (a CloudFormation attribute).
BUCKET_DOMAIN = {"Fn::GetAtt": [resources.EXPORTS.logical_id, "RegionalDomainName"]}
UPLOAD_ORIGIN = "https://<ExportsBucket.RegionalDomainName>"


def _joined(value: Any) -> str:
    """A template string, the bucket's domain written as in UPLOAD_ORIGIN (any other token fails)."""
    if isinstance(value, str):
        return value
    separator, parts = value["Fn::Join"]
    assert all(isinstance(p, str) or p == BUCKET_DOMAIN for p in parts), parts
    return separator.join(p if isinstance(p, str) else UPLOAD_ORIGIN[8:] for p in parts)


def test_the_web_app_may_reach_only_its_own_origin_and_the_exports_bucket(synthesized):
    _, policy = synthesized.only("AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = _joined(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))

    assert directives["connect-src"] == f"'self' {UPLOAD_ORIGIN}"
    assert "*" not in csp  # no wildcard origin: not every bucket in S3, only ours
    # The API hands out exactly the origin the policy allows.
    variables = synthesized.resource(function_logical_id("api_handler"))["Properties"][
        "Environment"
    ]["Variables"]
    assert _joined(variables[resources.EXPORTS.upload_url_env_var]) == f"{UPLOAD_ORIGIN}/"


def test_every_answer_carries_the_security_headers(synthesized):
    policy_id, policy = synthesized.only("AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = _joined(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 365 * 24 * 3600
    assert hsts["IncludeSubdomains"] is True
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    # The local web server sends the very same headers, from the same definition (its uploads go
    # to a same-origin path, so it needs no bucket origin).
    local = resources.SECURITY_HEADERS.http_headers(UPLOAD_ORIGIN)
    assert csp == local["Content-Security-Policy"]
    assert f"max-age={hsts['AccessControlMaxAgeSec']};" in local["Strict-Transport-Security"]
    assert headers["FrameOptions"]["FrameOption"] == local["X-Frame-Options"]
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == local["Referrer-Policy"]
    config = _distribution(synthesized)
    for behavior in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": policy_id}
        assert behavior["ViewerProtocolPolicy"] in {"https-only", "redirect-to-https"}


def test_the_web_app_is_deployed_with_its_runtime_config(synthesized):
    bucket_id, _ = _site_bucket(synthesized)
    pool_id, _ = synthesized.only("AWS::Cognito::UserPool")
    client_id, _ = synthesized.only("AWS::Cognito::UserPoolClient")
    _, deployment = synthesized.only("Custom::CDKBucketDeployment")
    props = deployment["Properties"]
    assert props["DestinationBucketName"] == {"Ref": bucket_id}
    assert props["DistributionPaths"] == ["/*"]
    # Source.json_data fills the pool's ids in at deployment time through these markers.
    markers = json.dumps(props["SourceMarkers"])
    assert f'"{pool_id}"' in markers and f'"{client_id}"' in markers


def test_synthesis_without_a_web_app_build_warns_and_deploys_a_placeholder(synthesized):
    from aws_cdk.assertions import Annotations

    Annotations.from_stack(synthesized.stack).has_warning(
        "/prod/Site", Match.string_like_regexp("placeholder page")
    )


def test_the_worker_stores_rotated_erp_tokens_only_as_new_versions_of_erp_secrets(synthesized):
    writers = {
        function
        for function in FUNCTIONS
        if any(
            "secretsmanager:PutSecretValue" in _as_list(s["Action"])
            for s in _role_statements(synthesized, function)
        )
    }
    # The API's ManageErpCredentials covers its own rotated tokens (connection test, preview).
    assert writers == {resources.WORKER_FUNCTION, "api_handler"}
    worker = {
        s["Sid"]: s
        for s in _secret_and_pool_statements(synthesized, resources.WORKER_FUNCTION)
        if "secretsmanager:PutSecretValue" in _as_list(s["Action"])
    }
    assert set(worker) == {"StoreRotatedErpTokens"}
    store = worker["StoreRotatedErpTokens"]
    assert _as_list(store["Action"]) == ["secretsmanager:PutSecretValue"]
    (secret_arn,) = _as_list(store["Resource"])
    assert json.dumps(secret_arn).endswith(f':secret:{ERP_SECRET_PREFIX}*"]]}}')
    creators = {
        function
        for function in FUNCTIONS
        for s in _role_statements(synthesized, function)
        if "secretsmanager:CreateSecret" in _as_list(s["Action"])
    }
    assert creators == {"api_handler"}


def test_only_the_schedule_scans_and_only_the_directory_table(synthesized):
    """The one scan is the schedule listing the companies that enabled automatic re-imports;
    every other read is a key lookup or a query."""
    scanners = {
        function: [
            json.dumps(s["Resource"])
            for s in _role_statements(synthesized, function)
            if "dynamodb:Scan" in _as_list(s["Action"])
        ]
        for function in FUNCTIONS
    }
    assert {f for f, found in scanners.items() if found} == {resources.SCHEDULE_FUNCTION}
    (resource,) = scanners[resources.SCHEDULE_FUNCTION]
    tables = synthesized.resources("AWS::DynamoDB::Table")
    directory = [t for t in tables if t.startswith(resources.DIRECTORY.logical_id)]
    assert len(directory) == 1 and f'"{directory[0]}"' in resource and "/index/" not in resource


def test_no_function_may_delete_budget_items(synthesized):
    """Budget versions are history: superseded ones expire by TTL, never by a call, so no role
    may delete from the budgets table (the jobs table and the directory still may)."""
    tables = synthesized.resources("AWS::DynamoDB::Table")
    (budgets,) = [t for t in tables if t.startswith(resources.BUDGETS.logical_id)]
    (jobs,) = [t for t in tables if t.startswith(resources.JOBS.logical_id)]
    deletable = {
        function: " ".join(
            json.dumps(s["Resource"])
            for s in _role_statements(synthesized, function)
            if "dynamodb:DeleteItem" in _as_list(s["Action"])
        )
        for function in FUNCTIONS
    }
    assert all(f'"{budgets}"' not in resources_ for resources_ in deletable.values())
    assert f'"{jobs}"' in deletable[resources.WORKER_FUNCTION]


def test_senders_only_send_to_the_queue_whose_url_they_are_given(synthesized):
    """The API and the schedule send jobs to the queue named in their environment: no look-up
    of its URL or attributes (only the consumers' event source mappings read attributes)."""
    for function in ("api_handler", resources.SCHEDULE_FUNCTION):
        actions = {
            action
            for s in _role_statements(synthesized, function)
            for action in _as_list(s["Action"])
            if action.startswith("sqs:")
        }
        assert actions == {"sqs:SendMessage"}, function
