"""The local stack's SQS (devstack/moto_sqs.py): sending a message no longer walks the queue, and
the queue's counts stay exact for everyone who reads them."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters import aws
from devstack.moto_sqs import send_without_recount


@pytest.fixture
def queue(aws_env: None) -> tuple[Any, str]:
    client = aws.sqs()
    return client, client.create_queue(QueueName="recount-test")["QueueUrl"]


def _counts(client: Any, url: str) -> dict[str, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]  # fmt: skip
    answer = client.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {name: int(answer[name]) for name in names}


def _look_at_every_message_check(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each time moto asks a queued message whether it is visible or delayed."""
    from moto.sqs.models import Message

    seen: list[str] = []
    for name in ("visible", "delayed"):
        asked = getattr(Message, name)

        def check(message: Any, __asked: Any = asked, __name: str = name) -> bool:
            seen.append(__name)
            return bool(__asked.fget(message))

        monkeypatch.setattr(Message, name, property(check))
    return seen


def test_a_send_does_not_walk_the_messages_already_queued(
    queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, url = queue
    batch = [{"Id": str(n), "MessageBody": f"job {n}"} for n in range(10)]
    client.send_message_batch(QueueUrl=url, Entries=batch)
    seen = _look_at_every_message_check(monkeypatch)
    client.send_message(QueueUrl=url, MessageBody="one more")
    assert len(seen) >= 20  # plain moto: every queued message asked, more than once

    send_without_recount(monkeypatch.setattr)
    send_without_recount(monkeypatch.setattr)  # idempotent
    seen.clear()
    client.send_message_batch(QueueUrl=url, Entries=batch)
    assert seen == []


def test_the_counts_stay_exact_outside_a_send(
    queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, url = queue
    send_without_recount(monkeypatch.setattr)
    client.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"job {n}"} for n in range(7)]
    )
    client.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    assert _counts(client, url) == {
        "ApproximateNumberOfMessages": 7,
        "ApproximateNumberOfMessagesNotVisible": 0,
        "ApproximateNumberOfMessagesDelayed": 1,
    }
    received = client.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
    assert len(received) == 3
    assert _counts(client, url)["ApproximateNumberOfMessagesNotVisible"] == 3
    assert _counts(client, url)["ApproximateNumberOfMessages"] == 4
