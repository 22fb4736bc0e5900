"""On the local stack the API, worker, dead-letter handler and schedule are threads of one
process: a call's log keys (its function's name and request id, its correlation id) are its own
thread's, or the schedule's lines would name the worker and an API request's the schedule's ids.
In Lambda, where each function is a process of its own, they stay Powertools' process-wide keys."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import observability, resources
from chalicelib.domain.model import AutoReimport, ErpSettings
from chalicelib.entrypoints import schedule
from tests.fixtures.services import COMPANY, world
from tests.fixtures.worker import FakeLambdaContext


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the app's logger writes while the test runs; its usual logger again afterwards."""
    observability.reset()
    handler: Any = observability.logger().registered_handler
    written = io.StringIO()
    before = handler.setStream(written)
    try:
        yield written
    finally:
        handler.setStream(before)
        observability.reset()


def _two_calls_at_once() -> None:
    """The schedule logs from its thread while an API request logs from another, mid-call."""
    started, finished = threading.Event(), threading.Event()

    @observability.lambda_handler()
    def schedule(event: Any, context: Any) -> None:
        started.set()
        assert finished.wait(5)
        observability.logger().info("schedule ran")

    context = FakeLambdaContext(function_name=resources.SCHEDULE_FUNCTION, aws_request_id="r-1")
    call = threading.Thread(target=schedule, args=({}, context))
    call.start()
    assert started.wait(5)
    observability.logger().info("api request")
    finished.set()
    call.join(5)


def _logged(written: io.StringIO) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in written.getvalue().splitlines() if line.startswith("{")]
    return {row["message"]: row for row in rows}


def test_on_the_local_stack_a_call_s_keys_are_its_own_thread_s(
    monkeypatch: pytest.MonkeyPatch, lines: io.StringIO
) -> None:
    monkeypatch.setenv("FUNCTIONS_SHARE_PROCESS", "true")
    observability.reset()

    _two_calls_at_once()

    logged = _logged(lines)
    assert logged["schedule ran"]["function_name"] == resources.SCHEDULE_FUNCTION
    assert logged["schedule ran"]["function_request_id"] == "r-1"
    assert "function_name" not in logged["api request"]
    assert logged["api request"]["service"] == observability.SERVICE


def test_in_lambda_the_keys_are_the_process_s(
    monkeypatch: pytest.MonkeyPatch, lines: io.StringIO
) -> None:
    monkeypatch.delenv("FUNCTIONS_SHARE_PROCESS", raising=False)
    observability.reset()

    _two_calls_at_once()

    logged = _logged(lines)
    assert logged["schedule ran"]["function_name"] == resources.SCHEDULE_FUNCTION
    assert logged["api request"]["function_name"] == resources.SCHEDULE_FUNCTION  # one process


def test_the_schedule_s_steps_log_with_its_run_s_correlation_id(
    monkeypatch: pytest.MonkeyPatch, lines: io.StringIO
) -> None:
    """Its companies are read and their jobs queued on threads of a pool, whose lines carry the
    run's keys too (the copy of the call's context each step runs in)."""
    monkeypatch.setenv("FUNCTIONS_SHARE_PROCESS", "true")
    observability.reset()
    w = world()  # its budget was last synced two days ago
    enabled = ErpSettings(auto_reimport=AutoReimport(enabled=True, every_hours=24))
    w.ports.directory.save_erp_settings(COMPANY, enabled)
    monkeypatch.setattr("chalicelib.wiring.ports", lambda: w.ports)
    event = {"id": "run-7", "detail-type": "Scheduled Event", "source": "aws.events"}

    schedule.handle(event, FakeLambdaContext(function_name=resources.SCHEDULE_FUNCTION))

    logged = _logged(lines)
    assert logged["jobs queued"]["correlation_id"] == "run-7"
    assert logged["jobs queued"]["function_name"] == resources.SCHEDULE_FUNCTION
