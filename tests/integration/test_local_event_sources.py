"""The local stack's event sources: the SQS poller acts as Lambda's, the timer as EventBridge."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from chalice import Chalice, Rate

from chalicelib import resources
from chalicelib.adapters import aws
from devstack.lambda_runtime import FunctionConfig
from devstack.poller import QueuePoller
from devstack.provision import create_queues
from devstack.timer import ScheduleTimer

WORKER = FunctionConfig(
    "budget-bridge-dev-reimport_worker",
    "arn:aws:lambda:us-east-1:123456789012:function:w",
    1024,
    120,
)


@pytest.fixture
def queues(aws_env: None) -> dict[str, str]:
    url, arn, dlq_url, dlq_arn = create_queues(aws.sqs())
    return {"url": url, "arn": arn, "dlq_url": dlq_url, "dlq_arn": dlq_arn}


def send(queues: dict[str, str], *bodies: str) -> None:
    for body in bodies:
        aws.sqs().send_message(
            QueueUrl=queues["url"],
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "reimport"}},
        )


def waiting(url: str) -> int:
    attributes = aws.sqs().get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def poller(queues: dict[str, str], handler: Any, dlq: bool = False) -> QueuePoller:
    prefix = "dlq_" if dlq else ""
    return QueuePoller(
        aws.sqs(),
        queues[f"{prefix}url"],
        queues[f"{prefix}arn"],
        handler,
        WORKER,
        region="us-east-1",
        batch_size=resources.JOB_QUEUE.batch_size,
        wait_seconds=0,
    )


def powertools_handler(fail_bodies: set[str], seen: list[Any]) -> Any:
    """A worker as the app writes one: Powertools' BatchProcessor over the raw event."""

    def record_handler(record: Any) -> None:
        seen.append(record)
        if record.body in fail_bodies:
            # The worker's backoff: the failed message comes back when it says, here at once.
            aws.sqs().change_message_visibility(
                QueueUrl=record.event_source_arn and queue_url_of(record.event_source_arn),
                ReceiptHandle=record.receipt_handle,
                VisibilityTimeout=0,
            )
            raise RuntimeError("the ERP is down")

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_partial_response(
            event=event,
            record_handler=record_handler,
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )

    return handle


def queue_url_of(arn: str) -> str:
    return aws.sqs().get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]


def test_the_queues_are_made_as_the_infra_makes_them(queues: dict[str, str]) -> None:
    """Visibility six times each consumer's timeout, the redrive after max_receive_count, the
    dead letters kept 14 days (infra/data.py makes them from the same resources.py)."""
    settings = resources.JOB_QUEUE

    def attributes(url: str) -> dict[str, str]:
        answer = aws.sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        return answer["Attributes"]

    main, dead = attributes(queues["url"]), attributes(queues["dlq_url"])

    assert int(main["VisibilityTimeout"]) == settings.visibility_timeout_seconds
    assert json.loads(main["RedrivePolicy"])["maxReceiveCount"] == settings.max_receive_count
    assert int(dead["VisibilityTimeout"]) == 6 * settings.dead_letter_timeout_seconds == 180
    assert int(dead["MessageRetentionPeriod"]) == 14 * 24 * 3600


def test_the_handler_gets_a_genuine_lambda_sqs_event(queues: dict[str, str]) -> None:
    send(queues, json.dumps({"job_id": "j-1"}))
    events: list[tuple[dict[str, Any], Any]] = []
    poller(queues, lambda event, context: events.append((event, context))).poll_once()

    [(event, context)] = events
    [record] = event["Records"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queues["arn"]
    assert record["awsRegion"] == "us-east-1"
    assert json.loads(record["body"]) == {"job_id": "j-1"}
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"]["stringValue"] == "reimport"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert len(record["md5OfBody"]) == 32 and record["messageId"] and record["receiptHandle"]
    assert context.function_name == WORKER.name
    assert 0 < context.get_remaining_time_in_millis() <= 120_000
    assert context.aws_request_id


def test_only_the_records_reported_as_failures_stay_in_the_queue(queues: dict[str, str]) -> None:
    send(queues, "ok-1", "bad", "ok-2")
    seen: list[Any] = []
    handler = powertools_handler({"bad"}, seen)

    poller(queues, handler).poll_once()

    assert sorted(r.body for r in seen) == ["bad", "ok-1", "ok-2"]
    assert waiting(queues["url"]) == 1
    seen.clear()
    poller(queues, handler).poll_once()
    assert [(r.body, r.attributes.approximate_receive_count) for r in seen] == [("bad", "2")]


def test_a_handler_that_raises_fails_the_whole_batch(queues: dict[str, str]) -> None:
    send(queues, "a", "b")

    def crash(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("out of memory")

    assert poller(queues, crash).poll_once() == 2
    assert waiting(queues["url"]) == 2


def test_an_answer_naming_an_unknown_record_fails_the_whole_batch(queues: dict[str, str]) -> None:
    send(queues, "a", "b")
    answer = {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}
    poller(queues, lambda event, context: answer).poll_once()
    assert waiting(queues["url"]) == 2


def test_a_message_failing_every_receive_moves_to_the_dead_letter_handler(
    queues: dict[str, str],
) -> None:
    send(queues, "always-bad")
    handler = powertools_handler({"always-bad"}, [])
    for _ in range(resources.JOB_QUEUE.max_receive_count + 1):
        poller(queues, handler).poll_once()

    assert waiting(queues["url"]) == 0
    dead: list[Any] = []
    dlq_poller = poller(queues, powertools_handler(set(), dead), dlq=True)
    dlq_poller.poll_once()
    assert [r.body for r in dead] == ["always-bad"]
    assert waiting(queues["dlq_url"]) == 0


def test_the_timer_sends_the_schedule_function_a_genuine_scheduled_event() -> None:
    app = Chalice(app_name="timer-test")
    received: list[Any] = []

    @app.schedule(Rate(15, unit=Rate.MINUTES))
    def tick(event: Any) -> dict[str, Any]:
        received.append((event.to_dict(), event.context))
        return {"ok": True}

    function = FunctionConfig(
        "budget-bridge-dev-tick", "arn:aws:lambda:us-east-1:1:function:t", 512, 60
    )
    rule = "arn:aws:events:us-east-1:123456789012:rule/budget-bridge-auto-reimport"
    timer = ScheduleTimer(
        tick, function, rule_arn=rule, account_id="123456789012", region="us-east-1"
    )

    assert timer.fire() == {"ok": True}
    [(event, context)] = received
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == [rule]
    assert event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert event["detail"] == {} and event["version"] == "0" and event["id"]
    assert event["time"].endswith("Z")
    assert context.function_name == "budget-bridge-dev-tick"
