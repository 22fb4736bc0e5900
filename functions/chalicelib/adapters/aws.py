"""Cached boto3 clients and resource names: the one place adapters get their AWS handles from.

Clients are built on first use, never at import, so that `mock_aws` (tests) and the embedded moto
server (local stack, via `AWS_ENDPOINT_URL`, which boto3 reads itself) see every call. Resource names
come from `config.settings()`, handed to each adapter by `wiring.py`.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.config import settings

_lock = threading.Lock()
_session: boto3.session.Session | None = None
_clients: dict[str, Any] = {}

# Adaptive retries absorb throttling; the connect/read timeouts keep a Lambda from hanging on AWS.
# The schedule calls from several threads at once (services/reimports.py): a connection each, not
# botocore's default pool of 10 (connections are opened only when used).
_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "adaptive"},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=32,
)


def session() -> boto3.session.Session:
    global _session
    with _lock:
        if _session is None:
            _session = boto3.session.Session(region_name=settings().region)
        return _session


def client(service: str) -> Any:
    """The shared client of `service`; boto3 clients are thread-safe once built."""
    cached = _clients.get(service)
    if cached is not None:
        return cached
    shared = session()
    with _lock:  # a boto3 session must not build clients in two threads at once
        if service not in _clients:
            _clients[service] = shared.client(service, config=_CONFIG)
        return _clients[service]


def dynamodb() -> Any:
    return client("dynamodb")


def sqs() -> Any:
    return client("sqs")


def secretsmanager() -> Any:
    return client("secretsmanager")


def s3() -> Any:
    return client("s3")


def reset_clients() -> None:
    """Forget every client and the session (tests: after entering or leaving `mock_aws`)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None
