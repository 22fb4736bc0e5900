"""The web app in AWS: a private S3 bucket behind CloudFront, with `/api/*` sent to API Gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from chalicelib import resources

# The SPA's own routes (`/budgets/123`) have no file in the bucket: a viewer-request function on
# the bucket's behaviour alone serves index.html for them. Custom error responses would do the
# same for every behaviour, turning the API's own 403/404 answers into an HTML page with a 200.
SPA_REWRITE = """
function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
""".strip()

PLACEHOLDER_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Budget Bridge</title>"
    "<p>The web app was not built before this deployment: run <code>npm run build</code> in "
    "<code>frontend/</code> and deploy again.</p></html>"
)


class Site(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_domain: str,
        api_stage: str,
        dist_dir: Path,
        runtime_config: dict[str, Any],
        log_retention: logs.RetentionDays,
        upload_origin: str,
    ) -> None:
        super().__init__(scope, construct_id)

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # The bucket holds only build output, rebuilt on every deployment.
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )

        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Budget Bridge security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                # Defined once in chalicelib/resources.py, for CloudFront and the local web server
                # alike; here with the exports bucket's origin, where uploads go.
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=resources.SECURITY_HEADERS.content_security_policy(
                        upload_origin
                    ),
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(
                        resources.SECURITY_HEADERS.hsts_max_age_days
                    ),
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption[
                        resources.SECURITY_HEADERS.frame_option
                    ],
                    override=True,
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy[
                        resources.SECURITY_HEADERS.referrer_policy.upper().replace("-", "_")
                    ],
                    override=True,
                ),
            ),
        )

        spa_rewrite = cloudfront.Function(
            self,
            "SpaRewrite",
            code=cloudfront.FunctionCode.from_inline(SPA_REWRITE),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Serve index.html for the web app's own routes",
        )

        api_origin = origins.HttpOrigin(
            api_domain,
            # CloudFront keeps the viewer's path, so `/api/v1/me` reaches the stage `api_stage`
            # as `/<stage>/api/v1/me`: exactly the Chalice route `/api/v1/me`.
            origin_path=f"/{api_stage}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )

        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Budget Bridge web app and API",
            default_root_object="index.html",
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=spa_rewrite,
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                    )
                ],
            ),
            additional_behaviors={
                "/api/*": cloudfront.BehaviorOptions(
                    origin=api_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    # Never cached; with caching disabled, the all-viewer policy also passes
                    # Authorization on. Host is left out: API Gateway answers only its own name.
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=headers,
                ),
            },
        )

        sources = [s3deploy.Source.json_data("runtime-config.json", runtime_config)]
        if (dist_dir / "index.html").is_file():
            sources.insert(0, s3deploy.Source.asset(str(dist_dir)))
        else:
            Annotations.of(self).add_warning_v2(
                "budget-bridge:no-frontend-build",
                f"{dist_dir} has no index.html: a placeholder page is deployed instead of the "
                "web app. Build the web app (npm run build in frontend/) before deploying.",
            )
            sources.insert(0, s3deploy.Source.data("index.html", PLACEHOLDER_PAGE))

        s3deploy.BucketDeployment(
            self,
            "Deploy",
            destination_bucket=self.bucket,
            sources=sources,
            distribution=self.distribution,
            distribution_paths=["/*"],
            log_group=logs.LogGroup(
                self,
                "DeployLogs",
                retention=log_retention,
                removal_policy=RemovalPolicy.DESTROY,
            ),
            memory_limit=512,
        )
