"""The re-import worker: genuine Lambda SQS batches in, partial batch failures out.

Each record is one job. Powertools' BatchProcessor reports failed records so only they come back;
Powertools idempotency (keyed on the job id) and the job's own conditional writes make a
redelivered message apply nothing twice. Transient ERP failures are retried with a growing delay,
or after the wait the ERP (or Procore) asked for when that is longer; after the last receive the
job fails with a sentence instead of staying "in progress".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from pydantic import ValidationError

from chalicelib import observability, resources, wiring
from chalicelib.domain.errors import ErpUnavailable, NotFound
from chalicelib.domain.model import JobStatus
from chalicelib.domain.ports import JobMessage
from chalicelib.entrypoints.gc_pause import gc_paused
from chalicelib.observability import lambda_handler, logger, metrics
from chalicelib.services.reimports import WorkResult, fail_dead_letter, run_job

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

RETRY_DELAYS_SECONDS = (15, 60, 240)  # after the 1st, 2nd, 3rd failed receive
# SQS refuses to hide a received message for more than 12 hours from its receive. The postpone
# comes while the receive's own visibility timeout still holds (else the receipt would be stale),
# so a wait that leaves that much of the 12 hours unused is always accepted.
MAX_RETRY_DELAY_SECONDS = 12 * 3600 - resources.JOB_QUEUE.visibility_timeout_seconds


class JobRecord(SqsRecordModel):
    """One SQS record as Lambda delivers it, its body parsed into a job message in the same step."""

    body: Json[JobMessage]  # type: ignore[assignment]  # the parser's own idiom for a JSON body


def retry_delay(receive_count: int) -> int:
    index = min(max(receive_count, 1), len(RETRY_DELAYS_SECONDS)) - 1
    return RETRY_DELAYS_SECONDS[index]


def retry_wait(why: ErpUnavailable, receive_count: int) -> int:
    """Seconds until the job's next delivery: the queue's own backoff, or the wait the ERP asked
    for (`Retry-After`) when longer, within what SQS allows. The job's "Waiting to retry" sentence
    and the postpone both come from here, so the job never names a wait the queue does not keep."""
    wait = retry_delay(receive_count)
    asked = why.retry_after_seconds
    if asked is not None and asked > wait:  # (a NaN is never greater: ignored)
        wait = math.ceil(min(asked, MAX_RETRY_DELAY_SECONDS))
    return wait


@lambda_handler()
def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if context is not None:
        # Lets a stopped invocation's "in progress" record lapse when its time would have run out.
        _idempotency_config().register_lambda_context(context)
    with gc_paused():
        return _each_record(event, context, _handle_record)


def _each_record(
    event: dict[str, Any], context: Any, handler: Callable[[SQSRecord], Any]
) -> dict[str, Any]:
    """Powertools' SQS batch processing: each record handled alone, the failed ones reported so
    that only they are delivered again."""
    return dict(
        process_partial_response(
            event=event,
            record_handler=handler,
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )
    )


def _parse(record: SQSRecord) -> JobRecord | None:
    """The record with its job message; None when the body is not one of ours."""
    try:
        return JobRecord.model_validate(record.raw_event)
    except ValidationError:
        return None


def _handle_record(record: SQSRecord) -> dict[str, Any]:
    parsed = _parse(record)
    if parsed is None:
        # Not one of our job messages: no redelivery can make it one.
        logger().warning("unreadable job message dropped", extra={"message_id": record.message_id})
        metrics().add_metric(name="UnreadableMessages", unit=MetricUnit.Count, value=1)
        return {}
    message, log = parsed.body, logger()
    receive_count = int(parsed.attributes.ApproximateReceiveCount or "1")
    log.append_keys(
        job_id=message.job_id, budget_id=message.budget_id, company_id=message.company_id
    )
    try:
        return _apply_once(wiring.idempotency_store())(
            message=message,
            final_attempt=receive_count >= resources.JOB_QUEUE.max_receive_count,
            # Known only once the ERP has answered: the job's message names it before we postpone.
            retry_in_seconds=lambda why: retry_wait(why, receive_count),
        )
    except NotFound:
        # The job was never recorded (or is gone): redelivering would only cycle the message
        # through the dead-letter queue until its retention drops it.
        log.warning("message names no job; dropped", extra={"message_id": record.message_id})
        metrics().add_metric(name="MessagesForNoJob", unit=MetricUnit.Count, value=1)
        return {}
    except ErpUnavailable as why:
        delay = retry_wait(why, receive_count)
        log.warning(
            "ERP unavailable; the job will be retried",
            extra={
                "reason": why.message,
                "retry_in_seconds": delay,
                "retry_after_seconds": why.retry_after_seconds,
            },
        )
        metrics().add_metric(name="ErpTransientFailures", unit=MetricUnit.Count, value=1)
        wiring.ports().queue.postpone(parsed.receiptHandle, delay)
        raise
    finally:
        log.remove_keys(["job_id", "budget_id", "company_id"])


@lru_cache(maxsize=1)
def _idempotency_config() -> IdempotencyConfig:
    return IdempotencyConfig(event_key_jmespath="job_id", expires_after_seconds=24 * 3600)


@lru_cache(maxsize=1)
def _apply_once(store: DynamoDBPersistenceLayer) -> Callable[..., dict[str, Any]]:
    """`_apply` made idempotent on the message's job id, built once per persistence store (the
    store is rebuilt only when `wiring.reset` forgets it: tests, and the local stack)."""
    return idempotent_function(  # type: ignore[no-any-return]
        data_keyword_argument="message", config=_idempotency_config(), persistence_store=store
    )(_apply)


def _apply(
    *,
    message: JobMessage,
    final_attempt: bool,
    retry_in_seconds: Callable[[ErpUnavailable], int],
) -> dict[str, Any]:
    result = run_job(
        wiring.ports(), message, final_attempt=final_attempt, retry_in_seconds=retry_in_seconds
    )
    _record_metrics(result)
    return {"job_id": result.job.job_id, "status": result.job.status.value}


def _record_metrics(result: WorkResult) -> None:
    m = metrics()
    if result.already_finished:
        m.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)
        return
    job = result.job
    status = job.status.value
    # JobsSucceeded / JobsFailed: the failed-jobs alarm and the dashboard read these.
    m.add_metric(name=f"Jobs{status.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    m.add_metric(
        name=resources.METRIC_LINES_APPLIED, unit=MetricUnit.Count, value=result.lines_applied
    )
    if job.status is JobStatus.SUCCEEDED and job.finished_at is not None:
        # From the person's (or schedule's) request to the budget showing the ERP's amounts.
        waited = (job.finished_at - job.requested_at).total_seconds()
        m.add_metric(
            name=resources.METRIC_TIME_TO_SUCCESS, unit=MetricUnit.Milliseconds, value=waited * 1000
        )
    if result.erp is not None:
        observability.record_erp_latency(result.erp.system, result.erp.seconds * 1000)
    logger().info(
        "job finished",
        extra={
            "status": status,
            "lines_applied": result.lines_applied,
            "job_message": result.job.message,
        },
    )


@lambda_handler()
def handle_dead_letters(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Messages that exhausted their receives: fail their jobs so no budget stays claimed."""
    return _each_record(event, context, _fail_dead_letter)


def _fail_dead_letter(record: SQSRecord) -> None:
    parsed = _parse(record)
    if parsed is None:
        # Not one of our job messages: there is no job to fail, and returning it would only bring
        # it back here until the queue's retention drops it. Keep its id in the log.
        logger().error("unreadable dead letter dropped", extra={"message_id": record.message_id})
        metrics().add_metric(name="UnreadableDeadLetters", unit=MetricUnit.Count, value=1)
        return
    message = parsed.body
    try:
        job = fail_dead_letter(wiring.ports(), message)
    except NotFound:
        logger().warning("dead letter names no job; dropped", extra={"job_id": message.job_id})
        metrics().add_metric(name="MessagesForNoJob", unit=MetricUnit.Count, value=1)
        return
    logger().error("job dead-lettered", extra={"job_id": job.job_id, "status": job.status.value})
    metrics().add_metric(name=resources.METRIC_JOBS_DEAD_LETTERED, unit=MetricUnit.Count, value=1)
