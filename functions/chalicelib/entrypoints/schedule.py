"""The EventBridge schedule: enqueue automatic re-imports and re-send lost job messages."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import wiring
from chalicelib.observability import logger, metrics, traced_handler
from chalicelib.services.reimports import enqueue_due_reimports, resend_abandoned


@traced_handler
def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ports = wiring.ports()
    try:
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
    finally:
        metrics().flush_metrics()
