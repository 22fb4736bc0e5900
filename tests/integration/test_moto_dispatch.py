"""The local stack's moto server routes each request with moto's module list read once
(devstack/moto_dispatch.py): the same list, and requests still reach their service."""

from __future__ import annotations

import os
from typing import Any

import pytest

from devstack.moto_dispatch import list_modules_once


def test_the_module_list_is_the_same_and_read_from_disk_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto import backends

    before = list(backends.list_of_moto_modules())
    assert "dynamodb" in before and "sqs" in before
    list_modules_once(monkeypatch.setattr)
    list_modules_once(monkeypatch.setattr)  # idempotent
    assert list(backends.list_of_moto_modules()) == before

    listed: list[str] = []
    real_listdir = os.listdir

    def counted(path: Any) -> list[str]:
        listed.append(str(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", counted)
    for _ in range(3):
        assert list(backends.list_of_moto_modules()) == before
    assert listed == []  # answered from memory


def test_a_moto_server_still_routes_requests_to_their_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    list_modules_once(monkeypatch.setattr)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        sqs = session.client("sqs", endpoint_url=f"http://{host}:{port}")
        url = sqs.create_queue(QueueName="routed")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
        assert message["Body"] == "hello"
    finally:
        server.stop()
