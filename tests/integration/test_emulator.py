"""The embedded AWS in a process of its own (devstack/emulator.py): it answers as the local stack's
moto, a Ctrl-C meant for the stack leaves it serving until the stack stops it, and it never outlives
the process that started it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from devstack.emulator import EmbeddedAws

REPO = Path(__file__).resolve().parents[2]
CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


@pytest.fixture
def aws() -> Iterator[EmbeddedAws]:
    emulator = EmbeddedAws("127.0.0.1", 0).start()
    try:
        yield emulator
    finally:
        emulator.stop()


def _gone(pid: int) -> bool:
    """True once `pid` no longer runs (a zombie left for a parent to reap counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _wait_until_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.1)
    return False


def test_it_answers_dynamodb_and_sqs_and_a_cancelled_transaction_changes_nothing(
    aws: EmbeddedAws,
) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=aws.url, **CREDENTIALS)
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "n": {"N": "2"}}}},
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"pk": {"S": "b"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}
    assert "Item" not in dynamodb.get_item(TableName="t", Key={"pk": {"S": "b"}})

    sqs = boto3.client("sqs", endpoint_url=aws.url, **CREDENTIALS)
    queue_url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="hello")
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in received] == ["hello"]


def test_a_ctrl_c_leaves_it_serving_and_stop_ends_it(aws: EmbeddedAws) -> None:
    pid = aws.pid
    assert pid is not None and pid != os.getpid()
    os.kill(pid, signal.SIGINT)  # what a Ctrl-C sends the whole process group
    time.sleep(0.5)
    sqs = boto3.client("sqs", endpoint_url=aws.url, **CREDENTIALS)
    assert sqs.list_queues().get("QueueUrls", []) == []

    aws.stop()
    assert _wait_until_gone(pid)
    with socket.socket() as probe:  # and its port is free again
        probe.bind((aws.host, aws.port))


def test_it_leaves_when_the_process_that_started_it_is_killed() -> None:
    parent = subprocess.Popen(  # noqa: S603 - this interpreter
        [
            sys.executable,
            "-c",
            "from devstack.emulator import EmbeddedAws\n"
            "import time\n"
            "aws = EmbeddedAws('127.0.0.1', 0).start()\n"
            "print(aws.pid, flush=True)\n"
            "time.sleep(600)\n",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert not _gone(child)
    finally:
        parent.kill()  # SIGKILL: the parent runs no clean-up at all
        parent.wait()
    assert _wait_until_gone(child), "the embedded AWS outlived the process that started it"


def test_a_busy_port_is_refused_with_a_sentence() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"port {port} is in use"):
            EmbeddedAws("127.0.0.1", port).start()
