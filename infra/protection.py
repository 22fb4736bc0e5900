"""Abuse protection in front of the API: API Gateway throttling on the stage, and an AWS WAF web ACL
on the CloudFront distribution (a per-client-IP rate limit and AWS's managed common rule set).

CloudFront takes only web ACLs made in us-east-1 (scope CLOUDFRONT). A stack deployed in
us-east-1 (or synthesized without a region) makes its web ACL itself, guarded by a template rule
that refuses any other region. A stack in another region takes it from a small second stack,
`budget-bridge-<stage>-edge`, in us-east-1: that stack publishes the ACL's ARN as an SSM parameter
in us-east-1, and the main stack reads the parameter across regions at deployment (a cross-region
parameter). infra/app.py chooses; docs/operations.md ("Deploy") describes it.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CfnRule, CfnRuleAssertion, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sam as sam
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk import custom_resources as cr
from constructs import Construct

WAF_REGION = "us-east-1"

# API Gateway's stage throttling (token bucket over every method and path), sized in the README:
# a user following a re-import polls at most twice a second and then every three seconds, and a
# page load is a burst of a few requests; 50 requests a second serve well over a hundred people
# at once, far below the account's regional limit of 10,000.
THROTTLE_RATE_PER_SECOND = 50
THROTTLE_BURST = 100

# The WAF's per-IP limit, over a five-minute window: about 6.7 requests a second from one
# address, enough for a whole office behind one NAT following re-imports, far too few to flood.
RATE_LIMIT_PER_IP = 2000
RATE_WINDOW_SECONDS = 300
RATE_RULE = "RateLimitPerClientIp"
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
# The common rule set blocks request bodies over 8 KB; the API itself accepts up to 64 KB
# (entrypoints/api/schemas.py) and refuses more with a sentence, so that one rule only counts.
COUNTED_COMMON_RULES = ("SizeRestrictions_BODY",)


def throttle_api(api: sam.CfnApi) -> None:
    """Rate and burst limits on every method of the API's stage."""
    api.method_settings = [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": THROTTLE_RATE_PER_SECOND,
            "ThrottlingBurstLimit": THROTTLE_BURST,
        }
    ]


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True,
        metric_name=metric_name,
        sampled_requests_enabled=True,
    )


def _rate_rule() -> wafv2.CfnWebACL.RuleProperty:
    too_many = wafv2.CfnWebACL.CustomResponseProperty(response_code=429)
    return wafv2.CfnWebACL.RuleProperty(
        name=RATE_RULE,
        priority=0,
        action=wafv2.CfnWebACL.RuleActionProperty(
            block=wafv2.CfnWebACL.BlockActionProperty(custom_response=too_many)
        ),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                aggregate_key_type="IP",
                limit=RATE_LIMIT_PER_IP,
                evaluation_window_sec=RATE_WINDOW_SECONDS,
            )
        ),
        visibility_config=_visibility(RATE_RULE),
    )


def _common_rule_set() -> wafv2.CfnWebACL.RuleProperty:
    counted = [
        wafv2.CfnWebACL.RuleActionOverrideProperty(
            name=name,
            action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}),
        )
        for name in COUNTED_COMMON_RULES
    ]
    return wafv2.CfnWebACL.RuleProperty(
        name=COMMON_RULE_SET,
        priority=1,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=COMMON_RULE_SET, rule_action_overrides=counted
            )
        ),
        visibility_config=_visibility(COMMON_RULE_SET),
    )


def build_web_acl(scope: Construct, name: str) -> wafv2.CfnWebACL:
    """The web ACL for CloudFront: allow by default, block what a rule catches."""
    return wafv2.CfnWebACL(
        scope,
        "WebAcl",
        name=name,
        scope="CLOUDFRONT",
        description="Budget Bridge - per-IP rate limit and the AWS common rule set",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        rules=[_rate_rule(), _common_rule_set()],
        visibility_config=_visibility(name),
    )


def web_acl_name(stage: str) -> str:
    """The stage's web ACL, wherever it is made (its SSM parameter is named after it)."""
    return f"budget-bridge-{stage}"


def web_acl_parameter(acl_name: str) -> str:
    """Where an EdgeStack publishes its web ACL's ARN (an SSM parameter in us-east-1)."""
    return f"/{acl_name}/cloudfront-web-acl-arn"


class EdgeStack(Stack):
    """The web ACL of a stage whose main stack is not in us-east-1, and its ARN published for
    that stack to read."""

    def __init__(
        self, scope: Construct, construct_id: str, *, acl_name: str, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.web_acl = build_web_acl(self, acl_name)
        ssm.StringParameter(
            self,
            "WebAclArnParameter",
            parameter_name=web_acl_parameter(acl_name),
            string_value=self.web_acl.attr_arn,
            description="The CloudFront web ACL of this Budget Bridge stage",
        )
        CfnOutput(self, "WebAclArn", value=self.web_acl.attr_arn)


def read_edge_web_acl_arn(stack: Stack, acl_name: str, log_retention: logs.RetentionDays) -> str:
    """The ARN an EdgeStack published, read from us-east-1 when the main stack deploys."""
    name = web_acl_parameter(acl_name)
    parameter_arn = stack.format_arn(
        service="ssm", region=WAF_REGION, resource="parameter", resource_name=name.lstrip("/")
    )
    reader = cr.AwsCustomResource(
        stack,
        "EdgeWebAclArn",
        on_update=cr.AwsSdkCall(
            service="SSM",
            action="getParameter",
            parameters={"Name": name},
            region=WAF_REGION,
            physical_resource_id=cr.PhysicalResourceId.of(name),
        ),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[parameter_arn]),
        log_group=logs.LogGroup(
            stack,
            "EdgeWebAclArnLogs",
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        ),
        install_latest_aws_sdk=False,
    )
    return reader.get_response_field("Parameter.Value")


def needs_edge_stack(region: str | None) -> bool:
    """A main stack in a known region other than us-east-1 takes its web ACL from an EdgeStack."""
    return region is not None and not Token.is_unresolved(region) and region != WAF_REGION


def protect_site(
    stack: Stack,
    distribution: cloudfront.Distribution,
    acl_name: str,
    log_retention: logs.RetentionDays,
) -> str:
    """Associates a web ACL with the distribution: the EdgeStack's (outside us-east-1) or one
    made here, which only us-east-1 accepts; returns its ARN."""
    if needs_edge_stack(stack.region):
        web_acl_arn = read_edge_web_acl_arn(stack, acl_name, log_retention)
    else:
        web_acl_arn = build_web_acl(stack, acl_name).attr_arn
        if Token.is_unresolved(stack.region):
            CfnRule(
                stack,
                "WebAclNeedsUsEast1",
                assertions=[
                    CfnRuleAssertion(
                        assert_=Fn.condition_equals(stack.region, WAF_REGION),
                        assert_description=(
                            "CloudFront's web ACL must be made in us-east-1. Deploy with a region "
                            "set (make deploy does), so the ACL goes into its own us-east-1 stack."
                        ),
                    )
                ],
            )
    distribution.attach_web_acl_id(web_acl_arn)
    return web_acl_arn
