"""What an operator sees of one re-import: the X-Ray subsegments (ERP call, DynamoDB transactions,
queue send, each annotated with the job's ids and never a secret) and the metrics the alarms and the
dashboard read (infra/observability.py; docs/operations.md explains them).

The functions run through the real adapters on moto with Powertools' own Tracer and Metrics: the
Tracer is given an X-Ray recorder whose emitter keeps the segments in memory (Powertools' `provider`
option), and the metrics are read from the CloudWatch EMF lines Powertools prints. No AWS.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Tracer
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import AWSXRayRecorder
from aws_xray_sdk.core.context import Context

from chalicelib import observability, resources
from chalicelib.domain.model import JobStatus
from devstack import demo_data
from tests.fixtures.worker import WorkerStack
from tests.integration.test_worker_reimport import change_in_erp


class KeptSegments:
    """An X-Ray emitter that keeps what it would send to the daemon."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_entity(self, entity: Any) -> None:
        self.sent.append(json.loads(entity.serialize()))

    def set_daemon_address(self, address: str | None) -> None:
        pass

    @property
    def ip(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return 2000


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[AWSXRayRecorder]:
    """Powertools' Tracer switched on as in Lambda, sending to an in-memory recorder."""
    was_enabled = global_sdk_config.sdk_enabled()
    xray = AWSXRayRecorder()
    xray.configure(
        emitter=KeptSegments(),
        context=Context(),
        sampling=False,
        streaming_threshold=10_000,
        context_missing="LOG_ERROR",
    )
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")  # Powertools traces only in Lambda
    monkeypatch.delenv("AWS_CHALICE_CLI_MODE", raising=False)
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    Tracer._reset_config()
    observability.reset()
    global_sdk_config.set_sdk_enabled(True)
    # Tracers share their configuration: the app's own tracer() picks this provider up.
    Tracer(service=observability.SERVICE, provider=xray, auto_patch=False, disabled=False)
    try:
        yield xray
    finally:
        Tracer._reset_config()
        observability.reset()
        global_sdk_config.set_sdk_enabled(was_enabled)


def _traced(xray: AWSXRayRecorder, name: str, run: Any) -> tuple[Any, dict[str, Any]]:
    """Runs `run()` inside a segment, as Lambda's own segment wraps an invocation."""
    xray.begin_segment(name)
    try:
        answer = run()
    finally:
        xray.end_segment()
    emitter: KeptSegments = xray.emitter  # type: ignore[assignment]
    return answer, emitter.sent[-1]


def _subsegments(entity: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for child in entity.get("subsegments", []):
        yield child
        yield from _subsegments(child)


def _named(segment: dict[str, Any], name: str) -> dict[str, Any]:
    found = [s for s in _subsegments(segment) if s["name"] == name]
    assert len(found) == 1, [s["name"] for s in _subsegments(segment)]
    return found[0]


def _emf_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def _metric_values(
    lines: list[dict[str, Any]], name: str
) -> list[tuple[list[float], dict[str, str]]]:
    """(values, dimensions) of every emission of metric `name`."""
    found = []
    for line in lines:
        for directive in line["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == resources.METRICS_NAMESPACE
            if any(m["Name"] == name for m in directive["Metrics"]):
                dimensions = {d: line[d] for group in directive["Dimensions"] for d in group}
                values = line[name] if isinstance(line[name], list) else [line[name]]
                found.append((values, dimensions))
    return found


def test_a_reimport_is_traced_from_request_to_applied_budget_with_its_ids(
    worker_stack: WorkerStack, recorder: AWSXRayRecorder
) -> None:
    stack = worker_stack
    change_in_erp(stack)
    job, request_segment = _traced(recorder, "api_handler", stack.request)
    ids = {"company_id": "demo", "budget_id": "P-1001", "job_id": job.job_id}

    for name in (observability.JOB_RECORD, observability.QUEUE_SEND):
        assert _named(request_segment, name)["annotations"] == ids

    records = stack.records(stack.receive())
    failed, worker_segment = _traced(recorder, "reimport_worker", lambda: stack.deliver(records))
    assert failed == []
    assert stack.job(job.job_id).status is JobStatus.SUCCEEDED

    handler = _named(worker_segment, "## handle")
    assert handler["annotations"]["Service"] == observability.SERVICE
    erp = _named(worker_segment, observability.ERP_FETCH)
    assert erp["annotations"] == {**ids, "erp_system": "acumatica"}
    commit = _named(worker_segment, observability.BUDGET_COMMIT)
    assert commit["annotations"] == ids
    inside_handler = [s["name"] for s in _subsegments(handler)]
    assert {observability.ERP_FETCH, observability.BUDGET_COMMIT} <= set(inside_handler)
    # The handler's answer is not recorded, and no part of a trace holds the ERP credentials.
    for segment in (request_segment, worker_segment):
        text = json.dumps(segment)
        assert f'"{demo_data.SANDBOX_PASSWORD}"' not in text
        assert "password" not in text.lower()
    assert "handle response" not in json.dumps(handler.get("metadata", {}))


def test_a_worker_run_emits_the_metrics_the_alarms_and_dashboard_read(
    worker_stack: WorkerStack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = worker_stack
    change_in_erp(stack)
    job = stack.request()
    capsys.readouterr()
    assert stack.deliver(stack.records(stack.receive())) == []
    lines = _emf_lines(capsys.readouterr().out)
    service = {"service": resources.METRICS_SERVICE}
    finished = stack.job(job.job_id)
    assert finished.finished_at is not None

    assert _metric_values(lines, resources.METRIC_JOBS_SUCCEEDED) == [([1.0], service)]
    assert _metric_values(lines, resources.METRIC_LINES_APPLIED) == [([1.0], service)]
    (([waited], dimensions),) = _metric_values(lines, resources.METRIC_TIME_TO_SUCCESS)
    # From the request to the success, as the job records them.
    assert waited == (finished.finished_at - finished.requested_at).total_seconds() * 1000
    assert dimensions == service
    (([latency], dimensions),) = _metric_values(lines, resources.METRIC_ERP_LATENCY)
    assert latency > 0
    assert dimensions == {**service, resources.METRIC_ERP_SYSTEM_DIMENSION: "acumatica"}
    assert _metric_values(lines, resources.METRIC_JOBS_FAILED) == []


def test_a_failed_job_counts_toward_the_failed_jobs_alarm(
    worker_stack: WorkerStack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = worker_stack
    stack.budgets.set_locked(stack.budget(), False)
    job = stack.request()
    stack.budgets.set_locked(stack.budget(), True)  # locked after the request: the job fails
    capsys.readouterr()
    assert stack.deliver(stack.records(stack.receive())) == []
    assert stack.job(job.job_id).status is JobStatus.FAILED
    lines = _emf_lines(capsys.readouterr().out)
    service = {"service": resources.METRICS_SERVICE}
    assert _metric_values(lines, resources.METRIC_JOBS_FAILED) == [([1.0], service)]
    assert _metric_values(lines, resources.METRIC_JOBS_SUCCEEDED) == []
    assert _metric_values(lines, resources.METRIC_TIME_TO_SUCCESS) == []


def test_outside_lambda_the_tracer_stays_quiet(
    worker_stack: WorkerStack, caplog: pytest.LogCaptureFixture
) -> None:
    # The local stack and tests run the same code: no segment, no daemon, no warnings.
    from chalice.test import Client

    from app import app

    Tracer._reset_config()
    observability.reset()
    with caplog.at_level(logging.DEBUG, logger="aws_xray_sdk"):
        assert observability.tracer().disabled
        change_in_erp(worker_stack)
        worker_stack.request()
        assert worker_stack.deliver(worker_stack.records(worker_stack.receive())) == []
        with Client(app) as client:
            assert client.http.get("/api/v1/health").status_code == 200
    noisy = [r for r in caplog.records if r.name.startswith("aws_xray_sdk") and r.levelno >= 30]
    assert noisy == []


def test_an_api_request_is_traced_with_its_route_pattern_and_status(
    recorder: AWSXRayRecorder,
) -> None:
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        answer, segment = _traced(recorder, "api", lambda: client.http.get("/api/v1/health"))
    assert answer.status_code == 200
    assert _named(segment, "## api_handler")["annotations"] == {
        "Service": observability.SERVICE,
        "route": "GET /api/v1/health",
        "status": 200,
    }
