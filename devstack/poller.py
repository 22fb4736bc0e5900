"""A local Lambda event source mapping: feeds a queue to a handler as genuine Lambda SQS events.

Like the AWS one configured with `ReportBatchItemFailures`, it long-polls the queue, hands the
handler a batch in Lambda's own event shape, then deletes exactly the records the handler did not
report in `batchItemFailures`. The failed ones stay in the queue and come back after their
visibility timeout (which the worker may have shortened or lengthened for its backoff); after
`maxReceiveCount` receives SQS's redrive policy moves them to the dead-letter queue (moto honours
the policy on receive, as SQS does, so the poller needs no redrive of its own). A handler that
raises, or answers an identifier that is not in the batch, fails the whole batch, as in AWS.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

from devstack.background import BackgroundLoop
from devstack.lambda_runtime import FunctionConfig

log = logging.getLogger("devstack.poller")

Handler = Callable[[dict[str, Any], Any], Any]


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS message as Lambda delivers it (lower camel case, attributes as strings)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _lambda_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": list(value.get("BinaryListValues", [])),
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


def failed_ids(answer: Any, batch_ids: set[str]) -> set[str]:
    """The records to keep in the queue, read from the handler's answer as Lambda reads it.

    An answer without `batchItemFailures` (or an empty list) means every record succeeded; a
    malformed one, or one naming a record not in the batch, fails the whole batch.
    """
    if not isinstance(answer, dict) or answer.get("batchItemFailures") in (None, []):
        return set()
    failures = answer["batchItemFailures"]
    if not isinstance(failures, list):
        return set(batch_ids)
    ids: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in batch_ids:
            return set(batch_ids)
        ids.add(identifier)
    return ids


class QueuePoller(BackgroundLoop):
    """Polls one queue for one function in a background thread; `poll_once` serves tests too."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        function: FunctionConfig,
        *,
        region: str,
        batch_size: int,
        wait_seconds: int = 1,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._handler = handler
        self._function = function
        self._region = region
        self._batch_size = batch_size
        self._wait_seconds = wait_seconds
        super().__init__(
            thread_name=f"poller-{function.name}"
        )  # stop() ends after the batch in hand

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:  # the mapping keeps polling whatever happens, as AWS's does
                log.exception("polling %s failed; trying again", self._function.name)
                self._stopping.wait(1.0)

    def poll_once(self) -> int:
        """Receive one batch and deliver it; answers how many records were delivered."""
        answer = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=self._wait_seconds,
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [lambda_record(m, self._queue_arn, self._region) for m in messages]}
        batch_ids = {m["MessageId"] for m in messages}
        context = self._function.new_context()
        try:
            result = self._handler(event, context)
        except Exception as error:
            # Powertools raises when every record of a batch failed: routine for a one-record
            # batch whose ERP is down, so one line, not a traceback (the handler logged why).
            log.warning(
                "%s failed the whole batch of %d (%s: %s); it returns after its visibility timeout",
                self._function.name,
                len(messages),
                type(error).__name__,
                str(error).splitlines()[0] if str(error) else "",
            )
            log.debug("the batch's failure", exc_info=True)
            return len(messages)
        keep = failed_ids(result, batch_ids)
        done = [m for m in messages if m["MessageId"] not in keep]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )
        if keep:
            log.info(
                "%s reported %d of %d records failed; they return after their visibility timeout",
                self._function.name,
                len(keep),
                len(messages),
            )
        return len(messages)
