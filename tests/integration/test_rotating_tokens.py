"""Rotating refresh tokens (QuickBooks Online, Xero) on moto: stored back, used next, one refresh.

The connection's secret lives in Secrets Manager and the refresh lease in the jobs table (moto);
the sandbox ERP rotates the refresh token on every refresh and refuses the one it retired.
"""

from __future__ import annotations

import base64
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.adapters.erp.common.rotation import DynamoLease
from chalicelib.adapters.secrets import SecretsManagerSecretStore
from chalicelib.domain.model import ErpConnection, ErpCredentials
from chalicelib.wiring import erp_sources
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.erp import UniformSwitch

TOKEN_PATHS = {"qbo": "/oauth2/v1/tokens/bearer", "xero": "/connect/token"}


@pytest.fixture(scope="module")
def sandbox():
    with SandboxErp(port=0) as erp:
        yield erp


@pytest.fixture
def switch(sandbox) -> UniformSwitch:
    client = UniformSwitch(sandbox.url)
    client.reset()
    return client


def _connection(sandbox, company_id: str) -> tuple[ErpConnection, ErpCredentials]:
    saved = demo_data.company(company_id).erp_connection()
    credentials = ErpCredentials(dict(saved.credentials))
    SecretsManagerSecretStore().put_erp_credentials(f"{company_id}/erp", credentials)
    connection = ErpConnection(erp_system=company_id, base_url=sandbox.url + saved.path,
                               settings=dict(saved.settings),
                               credentials_secret_id=f"{company_id}/erp")  # fmt: skip
    return connection, credentials


def _job(company_id: str) -> str:
    """A re-import as the worker runs it: the secret read afresh, the connector from the registry."""
    connection, _ = _connection_cache[company_id]
    credentials = SecretsManagerSecretStore().erp_credentials(connection.credentials_secret_id)
    return _sum(erp_sources()(connection, credentials).fetch_budget(_JOBS[company_id]))


_JOBS = {"qbo": "Q-8001", "xero": "X-9001"}
_connection_cache: dict[str, tuple[ErpConnection, ErpCredentials]] = {}


def _sum(lines: list[Any]) -> str:
    return str(sum((Decimal(line.amount) for line in lines if line.kind.value == "cost"),
                   Decimal(0)))  # fmt: skip


def _refresh(sandbox, company_id: str, refresh_token: str) -> int:
    """The ERP's token endpoint asked directly: its status for this refresh token."""
    saved = demo_data.company(company_id).erp_connection()
    form = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token})
    request = urllib.request.Request(  # noqa: S310 - the sandbox
        sandbox.url + saved.path + TOKEN_PATHS[company_id], data=form.encode(), method="POST"
    )
    pair = f"{saved.credentials['client_id']}:{saved.credentials['client_secret']}"
    request.add_header("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.parametrize("company_id", ["qbo", "xero"])
def test_a_rotated_refresh_token_is_stored_and_used_by_the_next_job(
    sandbox,
    switch,
    dynamodb_tables,
    company_id,
):
    _connection_cache[company_id] = _connection(sandbox, company_id)
    first = _job(company_id)
    stored = SecretsManagerSecretStore().erp_credentials(f"{company_id}/erp")
    assert stored.get("refresh_token") != f"{company_id}-refresh-1"
    assert _refresh(sandbox, company_id, f"{company_id}-refresh-1") == 400  # retired

    switch.expire_tokens(company_id)  # the next job must refresh with the rotated token
    assert _job(company_id) == first
    assert switch.sign_ins(company_id) == 2
    assert SecretsManagerSecretStore().erp_credentials(f"{company_id}/erp").get(
        "refresh_token"
    ) not in (stored.get("refresh_token"), f"{company_id}-refresh-1")


def test_four_jobs_of_one_company_at_once_refresh_the_token_once(
    sandbox,
    switch,
    serialized_dynamodb,
    dynamodb_tables,
):
    # The lease is a conditional put: DynamoDB applies it atomically, bare moto does not (two
    # threads could both pass `attribute_not_exists` and both refresh), hence serialized_dynamodb.
    _connection_cache["qbo"] = _connection(sandbox, "qbo")
    start = threading.Barrier(4)
    results: list[str] = []
    failures: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(_job("qbo"))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    workers = [threading.Thread(target=run) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    assert failures == []
    assert len(results) == 4 and len(set(results)) == 1
    assert switch.sign_ins("qbo") == 1


def test_the_refresh_lease_is_held_by_one_holder_and_lapses(dynamodb_tables):
    JOBS = resources.JOBS.default_name  # noqa: N806 - the leases live in the jobs table
    first, second = DynamoLease("c/erp", JOBS), DynamoLease("c/erp", JOBS)
    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire()
    lapsed = DynamoLease("d/erp", JOBS, seconds=-5)
    assert lapsed.acquire() and DynamoLease("d/erp", JOBS).acquire()
    assert Counter(i["pk"]["S"] for i in aws.dynamodb().scan(
        TableName=JOBS)["Items"])["erp-token-lease#c/erp"] == 1  # fmt: skip


def _lease_winners(name: str, workers: int) -> int:
    """How many of `workers` threads started at once took the lease `name`."""
    JOBS = resources.JOBS.default_name  # noqa: N806 - the leases live in the jobs table
    start = threading.Barrier(workers)
    won: list[bool] = []

    def race() -> None:
        lease = DynamoLease(name, JOBS)
        start.wait()
        won.append(lease.acquire())

    threads = [threading.Thread(target=race) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return won.count(True)


def test_of_workers_racing_for_the_refresh_lease_exactly_one_takes_it(
    serialized_dynamodb,
    dynamodb_tables,
):
    """The guarantee the four-jobs test rests on: on the moto these tests use, the lease's
    conditional put lets one racer in. Thread switches are made very frequent so that a put which
    checked its condition and wrote without a lock (bare moto) would let two in."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        winners = [_lease_winners(f"race-{round_}/erp", 8) for round_ in range(20)]
    finally:
        sys.setswitchinterval(interval)
    assert winners == [1] * 20
