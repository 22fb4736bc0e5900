"""The JobQueue port on SQS (send, batched send, postpone), and the queue provisioning of the
local stack."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.config import settings
from chalicelib.domain.errors import ServiceUnavailable
from chalicelib.domain.ports import JobMessage

SEND_BATCH_SIZE = 10  # SendMessageBatch takes at most ten entries


class SqsJobQueue:
    def __init__(self, queue_url: str | None = None, client: Any | None = None) -> None:
        self._client = client
        self._url = queue_url or None  # an empty setting means "look it up"

    @property
    def client(self) -> Any:
        return self._client or aws.sqs()

    @property
    def url(self) -> str:
        """The queue's URL: given, from the settings, or looked up by the default name once."""
        if self._url is None:
            self._url = (
                settings().job_queue_url
                or self.client.get_queue_url(QueueName=resources.JOB_QUEUE.default_name)["QueueUrl"]
            )
        return self._url

    def send(self, message: JobMessage) -> None:
        try:
            self.client.send_message(QueueUrl=self.url, MessageBody=message.model_dump_json())
        except (ClientError, BotoCoreError) as error:
            raise ServiceUnavailable(
                "The job queue is not available right now; please try again in a moment."
            ) from error

    def send_batch(self, messages: list[JobMessage]) -> list[JobMessage]:
        """SendMessageBatch, ten messages a call (SQS's limit): the schedule queues thousands of
        jobs a run. Answers the messages SQS did not take, so their jobs can be failed."""
        refused: list[JobMessage] = []
        for start in range(0, len(messages), SEND_BATCH_SIZE):
            chunk = messages[start : start + SEND_BATCH_SIZE]
            entries = [
                {"Id": str(index), "MessageBody": message.model_dump_json()}
                for index, message in enumerate(chunk)
            ]
            try:
                answer = self.client.send_message_batch(QueueUrl=self.url, Entries=entries)
            except (ClientError, BotoCoreError):
                refused.extend(chunk)
                continue
            refused.extend(chunk[int(failed["Id"])] for failed in answer.get("Failed", []))
        return refused

    def postpone(self, receipt: str, seconds: int) -> None:
        """Hide a received message for `seconds` more (0 makes it visible again at once)."""
        self.client.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=receipt, VisibilityTimeout=max(0, seconds)
        )


def create_queues(
    client: Any, settings: resources.QueueSettings = resources.JOB_QUEUE
) -> tuple[str, str]:
    """Create the job queue and its dead-letter queue as resources.py describes; idempotent.

    Answers (queue URL, dead-letter queue URL).
    """
    dlq_url = client.create_queue(
        QueueName=settings.dlq_default_name,
        Attributes={
            "MessageRetentionPeriod": str(settings.dlq_retention_seconds),
            "VisibilityTimeout": str(settings.dlq_visibility_timeout_seconds),
        },
    )["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    url = client.create_queue(
        QueueName=settings.default_name,
        Attributes={
            "VisibilityTimeout": str(settings.visibility_timeout_seconds),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": settings.max_receive_count}
            ),
        },
    )["QueueUrl"]
    return url, dlq_url
