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

    from infra.stack import BudgetBridgeStack

    app = cdk.App()
    stage = app.node.try_get_context("stage") or "prod"
    BudgetBridgeStack(
        app,
        stage,
        stack_name=f"budget-bridge-{stage}",
        functions_dir=FUNCTIONS_DIR,
        dist_dir=DIST_DIR,
        alarm_email=app.node.try_get_context("alarmEmail"),
        # The account and region the CLI resolved from the profile; unset, the stack is
        # environment-agnostic (as in tests and offline synthesis).
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
        description="Budget Bridge: ERP budget re-imports (API, worker, queue, tables, web app)",
    )
    app.synth()


if __name__ == "__main__":
    main()
