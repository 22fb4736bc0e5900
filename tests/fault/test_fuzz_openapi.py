"""Schemathesis fuzzes every route of /openapi.json against the local stack: no answer may be a
5xx, and every answer must match the document (status, content type, body schema).

The example count per route is bounded (FUZZ_EXAMPLES) so the run stays within a few minutes on
a small machine; docs/reliability.md has the figures of the last run.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings, strategies

from tests.e2e.conftest import RunningStack, request, start_stack, stop_stack

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
ADMIN = "admin@demo.test"
# What an answer must be: no server error, a documented status, the documented content type and
# body. (Whether every schema-valid request is accepted is not asked: some fields, such as an
# idempotency key, have rules JSON Schema cannot state.)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


STATUSES: Counter[int] = Counter()  # every answer the fuzzer got, for the figures of the run


@pytest.fixture(scope="module")
def fuzzed_stack(request: pytest.FixtureRequest) -> Iterator[RunningStack]:
    with tempfile.TemporaryDirectory(prefix="budget-bridge-fuzz-") as folder:
        running = start_stack(Path(folder) / "stack.log")
        try:
            yield running
        finally:
            stop_stack(running)
            _report(request.config)


def _report(config: pytest.Config) -> None:
    """One line with the run's figures, past pytest's output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not STATUSES:
        return
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(STATUSES.items()))
    with capture.global_and_fixture_disabled():
        reporter.write_line(f"\nfuzz: {STATUSES.total()} requests from /openapi.json ({statuses})")


@pytest.fixture(scope="module")
def token(fuzzed_stack: RunningStack) -> str:
    return fuzzed_stack.sign_in(ADMIN)


@pytest.fixture(scope="module")
def real_ids(fuzzed_stack: RunningStack, token: str) -> dict[str, str]:
    """Ids that exist in the demo company, so the fuzzer gets past 404 to the routes' own work."""
    api = fuzzed_stack.api_url
    budget = request("GET", f"{api}/companies/demo/projects/P-1001/budget?limit=1", token=token)
    job = request("POST", f"{api}/companies/demo/erp/budgets/P-1001/reimport", {}, token=token)
    assert budget.status == 200 and job.status == 202, (budget.body, job.body)
    return {
        "company_id": "demo",
        "budget_id": "P-1001",
        "project_id": "P-1001",
        "job_id": job.body["job_id"],
        "line_item_id": budget.body["line_items"][0]["line_item_id"],
    }


@pytest.fixture(scope="module")
def api_schema(fuzzed_stack: RunningStack, real_ids: dict[str, str]) -> Any:
    loaded = schemathesis.openapi.from_url(f"{fuzzed_stack.api_url}/openapi.json")

    @loaded.hook
    def flatmap_path_parameters(context: Any, parameters: dict[str, Any] | None) -> Any:
        # Half the cases keep the generated ids (404 paths), half name real ones.
        if not parameters:
            return strategies.just(parameters)
        known = {name: real_ids[name] for name in parameters if name in real_ids}
        return strategies.sampled_from([parameters, {**parameters, **known}])

    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_route_answers_5xx_or_outside_its_schema(case: Any, token: str) -> None:
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, timeout=30, checks=CHECKS
    )
    STATUSES[response.status_code] += 1
