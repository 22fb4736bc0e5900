"""The local stack's servers in processes of their own (devstack/child.py): the embedded AWS answers
as the local stack's moto and the sandbox ERP as the sandbox; a Ctrl-C meant for the stack leaves
each serving until the stack stops it; neither outlives the process that started it; a busy port is
refused with a sentence."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from devstack.child import ChildServer
from devstack.emulator import EmbeddedAws
from devstack.sandbox_erp import SandboxErpProcess
from tests.fixtures.erp import UniformSwitch

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


def test_the_sandbox_erp_process_serves_the_sandbox() -> None:
    with SandboxErpProcess("127.0.0.1", 0) as erp:
        switch = UniformSwitch(erp.url)
        switch.reset()
        key = {"sub_job": "", "cost_code": "100", "cost_type": "L"}
        lines = switch.put("intacct", "intacct-demo", "I-6001", **key, amount="1250.00")
        assert "1250.00" in [line["amount"] for line in lines]


SERVERS = [EmbeddedAws, SandboxErpProcess]


@pytest.mark.parametrize("server", SERVERS)
def test_a_ctrl_c_leaves_it_serving_and_stop_ends_it(server: type[ChildServer]) -> None:
    child = server("127.0.0.1", 0).start()
    try:
        pid = child.pid
        assert pid is not None and pid != os.getpid()
        os.kill(pid, signal.SIGINT)  # what a Ctrl-C sends the whole process group
        time.sleep(0.5)
        with socket.create_connection((child.host, child.port), timeout=5):
            pass  # still accepting
    finally:
        child.stop()
    assert _wait_until_gone(pid)
    with socket.socket() as probe:  # and its port is free again
        probe.bind((child.host, child.port))


@pytest.mark.parametrize("server", SERVERS)
def test_it_leaves_when_the_process_that_started_it_is_killed(server: type[ChildServer]) -> None:
    parent = subprocess.Popen(  # noqa: S603 - this interpreter
        [
            sys.executable,
            "-c",
            f"from {server.__module__} import {server.__name__}\n"
            "import time\n"
            f"child = {server.__name__}('127.0.0.1', 0).start()\n"
            "print(child.pid, flush=True)\n"
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
    assert _wait_until_gone(child), f"the {server.what} outlived the process that started it"


@pytest.mark.parametrize("server", SERVERS)
def test_a_busy_port_is_refused_with_a_sentence(server: type[ChildServer]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sentence = f"The {server.what} could not start: port {port} is in use."
        with pytest.raises(RuntimeError, match=re.escape(sentence)):
            server("127.0.0.1", port).start()


def test_a_child_that_crashes_before_it_is_ready_is_reported_with_its_exit_code() -> None:
    class Missing(ChildServer):
        module = "devstack.no_such_server"
        what = "missing server"

    with pytest.raises(RuntimeError, match="The missing server exited with code 1 before it was"):
        Missing("127.0.0.1", 0).start()


def test_the_stack_answers_help_without_starting_anything():
    """`python -m devstack.stack --help` prints its settings and exits; a stray argument is refused
    with a usage line; neither starts a server (nothing listens on the ports it would take)."""
    ports = {name: str(_free_port()) for name in ("PORT", "AWS_PORT", "ERP_SANDBOX_PORT")}
    env = {**os.environ, **ports}
    helped = subprocess.run([sys.executable, "-m", "devstack.stack", "--help"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    refused = subprocess.run([sys.executable, "-m", "devstack.stack", "--port", "9"], cwd=REPO,
                             env=env, capture_output=True, text=True, timeout=60)  # fmt: skip

    assert helped.returncode == 0
    assert "ERP_SANDBOX_PORT" in helped.stdout and "make run" in helped.stdout
    assert refused.returncode == 2 and "unrecognized arguments: --port" in refused.stderr
    for port in ports.values():
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", int(port))) != 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
