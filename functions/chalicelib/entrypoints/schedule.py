"""The EventBridge schedule: enqueue automatic re-imports and re-send lost job messages."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import wiring
from chalicelib.entrypoints.gc_pause import gc_paused
from chalicelib.observability import lambda_handler, logger, metrics
from chalicelib.services.reimports import enqueue_due_reimports, resend_abandoned


# The EventBridge event's id ties every line of one run together.
@lambda_handler(correlation_id_path=correlation_paths.EVENT_BRIDGE)
def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ports = wiring.ports()
    # A run over a fleet builds tens of thousands of acyclic objects (budgets, jobs, botocore's
    # requests and answers): see entrypoints/gc_pause.py.
    with gc_paused():
        queued = enqueue_due_reimports(ports)
        resent = resend_abandoned(ports)
    metrics().add_metric(name="ScheduledReimports", unit=MetricUnit.Count, value=len(queued))
    logger().info(
        "schedule ran",
        extra={
            "queued_jobs": [j.job_id for j in queued],
            "resent_jobs": [j.job_id for j in resent],
        },
    )
    return {"queued": [j.job_id for j in queued], "resent": [j.job_id for j in resent]}
