"""Abuse protection in front of the API: API Gateway throttling sized in the README, and a WAF web
ACL (per-IP rate limit, AWS's common rule set) on the CloudFront distribution, made in us-east-1
either inside the stack or in an edge stack whose ARN the main stack reads across regions."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra import protection

ROOT = Path(__file__).resolve().parents[2]


def _rules(acl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}


def _assert_protective(acl: dict[str, Any]) -> None:
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT"
    assert props["DefaultAction"] == {"Allow": {}}
    rules = _rules(acl)
    rate = rules[protection.RATE_RULE]
    statement = rate["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == protection.RATE_LIMIT_PER_IP
    assert "Block" in rate["Action"]
    common = rules[protection.COMMON_RULE_SET]["Statement"]["ManagedRuleGroupStatement"]
    assert (common["VendorName"], common["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert rules[protection.COMMON_RULE_SET]["OverrideAction"] == {"None": {}}
    # Rules are evaluated by priority: the cheap rate limit first.
    assert rate["Priority"] < rules[protection.COMMON_RULE_SET]["Priority"]
    for rule in rules.values():
        assert rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True


# --- throttling ---------------------------------------------------------------------------


def test_the_api_stage_throttles_every_method(synthesized):
    settings = synthesized.resource("RestAPI")["Properties"]["MethodSettings"]
    assert settings == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": protection.THROTTLE_RATE_PER_SECOND,
            "ThrottlingBurstLimit": protection.THROTTLE_BURST,
        }
    ]


def test_the_readme_sizes_the_throttling_and_the_waf_rate_limit():
    readme = (ROOT / "README.md").read_text()
    figures = {
        "rate": protection.THROTTLE_RATE_PER_SECOND,
        "burst": protection.THROTTLE_BURST,
        "per IP": f"{protection.RATE_LIMIT_PER_IP:,}",
    }
    for what, figure in figures.items():
        assert re.search(rf"\b{re.escape(str(figure))}\b", readme), what


# --- the web ACL in the stack (us-east-1, or no region at synthesis) -----------------------


def test_the_distribution_is_behind_a_web_acl_with_a_per_ip_rate_rule(synthesized):
    acl_id, acl = synthesized.only("AWS::WAFv2::WebACL")
    _assert_protective(acl)
    _, distribution = synthesized.only("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    assert config["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_a_stack_without_a_region_refuses_to_deploy_its_web_acl_outside_us_east_1(synthesized):
    (assertion,) = synthesized.raw["Rules"]["WebAclNeedsUsEast1"]["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    assert "us-east-1" in assertion["AssertDescription"]


# --- the edge stack (a main stack in another region) --------------------------------------


@pytest.mark.parametrize(
    ("region", "needs_edge"),
    [(None, False), ("us-east-1", False), ("eu-west-1", True), ("ap-southeast-2", True)],
)
def test_only_a_main_stack_outside_us_east_1_takes_its_acl_from_an_edge_stack(region, needs_edge):
    assert protection.needs_edge_stack(region) is needs_edge


@pytest.fixture(scope="module")
def edge_and_site() -> tuple[dict[str, Any], dict[str, Any]]:
    """An edge stack and a small main stack in eu-west-1 with a distribution (no Chalice app)."""
    import aws_cdk as cdk
    from aws_cdk import aws_cloudfront as cloudfront
    from aws_cdk import aws_cloudfront_origins as origins
    from aws_cdk import aws_logs as logs
    from aws_cdk.assertions import Template

    app = cdk.App()
    edge = protection.EdgeStack(
        app,
        "edge",
        acl_name="budget-bridge-test",
        env=cdk.Environment(account="123456789012", region=protection.WAF_REGION),
    )
    main = cdk.Stack(app, "main", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    distribution = cloudfront.Distribution(
        main,
        "Distribution",
        default_behavior=cloudfront.BehaviorOptions(origin=origins.HttpOrigin("example.com")),
    )
    protection.protect_site(main, distribution, "budget-bridge-test", logs.RetentionDays.ONE_MONTH)
    return Template.from_stack(edge).to_json(), Template.from_stack(main).to_json()


def test_the_edge_stack_makes_the_acl_and_publishes_its_arn(edge_and_site):
    edge, _ = edge_and_site
    acls = [r for r in edge["Resources"].values() if r["Type"] == "AWS::WAFv2::WebACL"]
    (acl,) = acls
    _assert_protective(acl)
    acl_id = next(k for k, r in edge["Resources"].items() if r["Type"] == "AWS::WAFv2::WebACL")
    (parameter,) = [r for r in edge["Resources"].values() if r["Type"] == "AWS::SSM::Parameter"]
    assert parameter["Properties"]["Name"] == protection.web_acl_parameter("budget-bridge-test")
    assert parameter["Properties"]["Value"] == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_a_main_stack_elsewhere_associates_the_edge_acl_read_from_us_east_1(edge_and_site):
    _, main = edge_and_site
    resources = main["Resources"]
    assert not [r for r in resources.values() if r["Type"] == "AWS::WAFv2::WebACL"]
    (reader_id,) = [k for k, r in resources.items() if r["Type"] == "Custom::AWS"]
    call = json.dumps(resources[reader_id]["Properties"])
    assert '\\"region\\":\\"us-east-1\\"' in call
    assert '\\"action\\":\\"getParameter\\"' in call
    assert protection.web_acl_parameter("budget-bridge-test") in call
    (distribution,) = [
        r for r in resources.values() if r["Type"] == "AWS::CloudFront::Distribution"
    ]
    assert distribution["Properties"]["DistributionConfig"]["WebACLId"] == {
        "Fn::GetAtt": [reader_id, "Parameter.Value"]
    }
    # The reader reads that one parameter, and its function's logs expire.
    for function in (r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"):
        group = resources[function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
        assert group["Properties"]["RetentionInDays"] > 0
    policies = [r for r in resources.values() if r["Type"] == "AWS::IAM::Policy"]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert [s["Action"] for s in statements] == ["ssm:GetParameter"]
    assert ":us-east-1:" in json.dumps(statements[0]["Resource"])


def test_cfn_lint_finds_no_errors_in_the_edge_and_cross_region_templates(edge_and_site, tmp_path):
    from tests.infrastructure.test_operations import _cfn_lint

    paths = []
    for name, template in zip(("edge", "main"), edge_and_site, strict=True):
        path = tmp_path / f"{name}.template.json"
        path.write_text(json.dumps(template))
        paths.append(str(path))
    result = subprocess.run(
        [_cfn_lint(), *paths], capture_output=True, text=True, timeout=300, check=False
    )
    # cfn-lint's exit code is a bit field: 1 failed, 2 errors, 4 warnings, 8 informational.
    assert result.returncode & 3 == 0, result.stdout + result.stderr
