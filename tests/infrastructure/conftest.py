"""Synthesizes the CDK app once per test session, offline, for the template tests."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The worker's world on moto, for the tests that run a function and check its role's grants.
from tests.fixtures.aws import aws_env
from tests.fixtures.worker import worker_stack

__all__ = ["aws_env", "synthesized", "worker_stack"]

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Synthesized:
    stack: Any  # infra.stack.BudgetBridgeStack
    template: Any  # aws_cdk.assertions.Template
    template_path: Path
    raw: dict[str, Any]

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.raw["Resources"].items() if v["Type"] == type_}

    def resource(self, logical_id: str) -> dict[str, Any]:
        return self.raw["Resources"][logical_id]

    def only(self, type_: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(type_)
        assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
        return next(iter(found.items()))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    # Packaging needs a region and nothing else; no credentials, no account.
    saved = dict(os.environ)
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "AWS_PROFILE"):
        os.environ.pop(name, None)
    try:
        import aws_cdk as cdk
        from aws_cdk.assertions import Template

        from infra.stack import BudgetBridgeStack

        outdir = tmp_path_factory.mktemp("cdk.out")
        # No web app build here: the stack must synthesize with a placeholder page instead.
        no_build = tmp_path_factory.mktemp("no-frontend-build")
        app = cdk.App(outdir=str(outdir))
        stack = BudgetBridgeStack(
            app,
            "prod",
            stack_name="budget-bridge-prod",
            functions_dir=ROOT / "functions",
            dist_dir=no_build,
        )
        assembly = app.synth()
        template_path = Path(assembly.get_stack_by_name(stack.stack_name).template_full_path)
        raw = json.loads(template_path.read_text())
        yield Synthesized(stack, Template.from_json(raw), template_path, raw)
    finally:
        os.environ.clear()
        os.environ.update(saved)
