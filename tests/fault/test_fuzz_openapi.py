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
from hypothesis import HealthCheck, settings

from tests.e2e.conftest import RunningStack, start_stack, stop_stack

pytestmark = pytest.mark.fault

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
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None and STATUSES:
                statuses = ", ".join(f"{code}: {n}" for code, n in sorted(STATUSES.items()))
                reporter.write_line(
                    f"fuzz: {STATUSES.total()} requests from /openapi.json ({statuses})"
                )


@pytest.fixture(scope="module")
def token(fuzzed_stack: RunningStack) -> str:
    return fuzzed_stack.sign_in(ADMIN)


@pytest.fixture(scope="module")
def api_schema(fuzzed_stack: RunningStack) -> Any:
    return schemathesis.openapi.from_url(f"{fuzzed_stack.api_url}/openapi.json")


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
