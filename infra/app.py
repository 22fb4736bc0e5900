"""The CDK app: `CDK_OUTDIR=infra/cdk.out python infra/app.py` (or `cdk synth` in infra/) writes the
CloudFormation template of one Budget Bridge stage; no AWS credentials are needed to synthesize."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
DIST_DIR = ROOT / "frontend" / "dist"


def main() -> None:
    # The stack reads chalicelib.resources (the one description of tables and queues) and the
    # infra package itself, as the tests do.
    for path in (str(FUNCTIONS_DIR), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)

    import aws_cdk as cdk

    from infra.protection import WAF_REGION, EdgeStack, needs_edge_stack, web_acl_name
    from infra.stack import BudgetBridgeStack

    app = cdk.App()
    stage = app.node.try_get_context("stage") or "prod"
    # The account and region the CLI resolved from the profile; unset, the stack is
    # environment-agnostic (as in tests and offline synthesis).
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    edge = None
    if needs_edge_stack(region):
        # CloudFront's web ACL can only live in us-east-1 (infra/protection.py).
        edge = EdgeStack(
            app,
            f"{stage}-edge",
            stack_name=f"budget-bridge-{stage}-edge",
            acl_name=web_acl_name(stage),
            env=cdk.Environment(account=account, region=WAF_REGION),
            description="Budget Bridge: the CloudFront web ACL (WAF) of one stage, in us-east-1",
        )
    main = BudgetBridgeStack(
        app,
        stage,
        stack_name=f"budget-bridge-{stage}",
        functions_dir=FUNCTIONS_DIR,
        dist_dir=DIST_DIR,
        alarm_email=app.node.try_get_context("alarmEmail"),
        env=cdk.Environment(account=account, region=region),
        description="Budget Bridge: ERP budget re-imports (API, worker, queue, tables, web app)",
    )
    if edge is not None:
        main.add_stack_dependency(edge)  # deployed first: the main stack reads its ACL's ARN
    app.synth()


if __name__ == "__main__":
    main()
