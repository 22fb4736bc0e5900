"""Xero's connector at its edges (docs/erps/xero.md), through the real connector and the sandbox.

- A used-up day is transient (a 429 may pass: docs/erps/README.md, "What every connector
  does"): `ErpUnavailable` with Xero's Retry-After and a sentence saying when the limit resets.
- The budget's whole range is read, found from the periods Xero answers; a budget whose periods
  cannot be found is refused with a sentence instead of being answered as zeros, which a
  re-import would write over the project's budget. An all-zero budget still reads as zeros.
- A job that is no option of the connection's tracking category is "job not found" (404
  `erp_job_not_found` from the API), not a generic refusal.
"""

from __future__ import annotations

import datetime
import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import resources, wiring
from chalicelib.adapters.erp.common.http import HttpFailure, Limits
from chalicelib.adapters.erp.common.rotation import MemoryVault
from chalicelib.adapters.erp.common.signin import forget_tokens
from chalicelib.adapters.erp.xero import XeroHttp, XeroSource, day_limit_sentence
from chalicelib.domain.errors import ErpJobNotFound, ErpRejected, ErpUnavailable
from chalicelib.domain.model import ErpCredentials, JobKind, JobStatus
from chalicelib.domain.ports import Identity
from chalicelib.services.reimports import request_job
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests import worlds
from tests.fixtures.api import app_client
from tests.fixtures.erp import UniformSwitch
from tests.fixtures.worker import WorkerStack, two_days_ago
from tests.integration.api_support import World, build_world, erp_user

TENANT = demo_data.XERO_TENANT
JOB = "X-9001"
YEAR = datetime.date.today().year


def _source(sandbox: SandboxErp, waits: list[float] | None = None, **settings: str) -> XeroSource:
    saved = demo_data.company("xero").erp_connection()
    forget_tokens()
    return XeroSource(
        sandbox.url + saved.path, {**saved.settings, **settings},
        MemoryVault(ErpCredentials(dict(saved.credentials))),
        sleep=waits.append if waits is not None else (lambda _: None),
        limits=Limits(timeout=10, allow_local_urls=True),
    )  # fmt: skip


def _post(url: str, body: object) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the sandbox
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read() or b"null")


def _left(sandbox: SandboxErp) -> Any:
    """What the organisation has left of its calls today and this minute."""
    return _post(f"{sandbox.url}/xero/sandbox/limits", {})


def _keyed(lines: list[Any]) -> Counter[Any]:
    return Counter(((x.key.cost_code, x.key.cost_type), x.kind.value, Decimal(x.amount))
                   for x in lines)  # fmt: skip


def _in_xero(switch: UniformSwitch) -> Counter[Any]:
    return Counter(((x["cost_code"], x["cost_type"]), x["kind"], Decimal(x["amount"]))
                   for x in switch.lines("xero", TENANT, JOB))  # fmt: skip


# -- a used-up day --------------------------------------------------------------------------------


def test_a_used_up_day_is_transient_with_retry_after_and_when_the_limit_resets(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    _post(f"{sandbox.url}/xero/sandbox/limits", {"day_remaining": 0})
    waits: list[float] = []

    with pytest.raises(ErpUnavailable) as unavailable:
        _source(sandbox, waits).fetch_budget(JOB)

    # The sandbox answers Retry-After 36000 (ten hours) with X-Rate-Limit-Problem: day.
    assert unavailable.value.details["retry_after"] == "36000"
    assert getattr(unavailable.value, "retry_after_seconds", None) in (None, 36000.0)
    message = unavailable.value.message
    assert "daily limit" in message and "when the limit resets" in message
    assert "UTC (in about 10 hours)" in message and message.endswith(".")
    assert waits == []  # ten hours are not waited out inside a worker: the queue brings it back
    assert _left(sandbox)["day"] == 0


def test_a_day_limit_told_by_the_remaining_header_alone_is_handed_to_the_queue_at_once() -> None:
    # Without Retry-After the client's backoff would retry within seconds, which cannot pass.
    client = XeroHttp("https://api.xero.com")
    failure = HttpFailure(429, b"{}", None, {"X-DayLimit-Remaining": "0"})

    assert client.is_final(failure)
    explained = client.explain(failure, "read Xero's Accounts")
    assert isinstance(explained, ErpUnavailable)
    assert "run the re-import again tomorrow, when the limit resets" in explained.message
    minute = HttpFailure(429, b"{}", "60", {"X-Rate-Limit-Problem": "minute"})
    assert not client.is_final(minute)
    assert "slow down" in client.explain(minute, "read Xero's Accounts").message


def test_the_day_limit_sentence_says_when_the_limit_resets() -> None:
    at = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC).timestamp()

    assert day_limit_sentence("36000", now=at).endswith(
        "after 2026-03-01 22:00 UTC (in about 10 hours), when the limit resets."
    )
    assert "(in about 15 minutes)" in day_limit_sentence("900", now=at)


def test_a_used_up_day_leaves_the_job_waiting_for_the_queue_then_fails_saying_when(
    worker_stack: WorkerStack,
) -> None:
    stack = worker_stack
    worlds.seed_company(worlds.stores("moto"), "xero", stack.sandbox.url,
                        budgets_synced_at=two_days_ago())  # fmt: skip
    _post(f"{stack.sandbox.url}/xero/sandbox/limits", {"day_remaining": 0})
    admin = Identity("admin@xero.test", "admin@xero.test")
    job = request_job(wiring.ports(), admin, "xero", JOB, JobKind.REIMPORT)

    first = stack.receive()
    records = stack.records(first)
    assert stack.deliver(records) == [records[0]["messageId"]]  # handed back to the queue
    waiting = stack.jobs.get("xero", job.job_id)
    assert waiting.status is JobStatus.IN_PROGRESS
    assert "Waiting to retry" in waiting.message and "daily limit" in waiting.message
    stack.make_visible(first)  # the queue's delay has passed

    for _ in range(resources.JOB_QUEUE.max_receive_count - 2):
        assert stack.receive(visibility=0)  # the retries in between, refused alike
    last = stack.receive()
    assert last[0]["Attributes"]["ApproximateReceiveCount"] == str(
        resources.JOB_QUEUE.max_receive_count
    )
    assert stack.deliver(stack.records(last)) == []
    failed = stack.jobs.get("xero", job.job_id)
    assert failed.status is JobStatus.FAILED
    assert "nothing was changed" in failed.message
    assert "daily limit" in failed.message and "UTC" in failed.message
    assert "when the limit resets" in failed.message


# -- the budget's whole range ---------------------------------------------------------------------


def test_a_budget_whose_periods_are_not_found_is_refused_not_answered_as_zeros(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    # Sixteen years back: beyond the search, so Xero answers the budget's lines without a period.
    _post(f"{sandbox.url}/xero/sandbox/periods", {"job": JOB, "from": f"{YEAR - 16}-01",
                                                  "months": 12})  # fmt: skip

    with pytest.raises(ErpRejected) as refused:
        _source(sandbox).fetch_budget(JOB)

    assert type(refused.value) is ErpRejected  # permanent, and not "job not found"
    message = refused.value.message
    assert "'Jobs budget'" in message and "not as 0" in message
    assert f"from {YEAR - 10}-01 to {YEAR + 11}-12" in message
    assert "check the budget's months in Xero" in message and message.endswith(".")


def test_a_long_run_of_zero_months_inside_the_budget_is_read_through(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    # Ten years from January this year; the amounts only in its first year and last 18 months,
    # the seven and a half years between hold Amount 0.
    _post(f"{sandbox.url}/xero/sandbox/periods", {
        "job": JOB, "from": f"{YEAR}-01", "months": 120,
        "zero_from": f"{YEAR + 1}-01", "zero_months": 90})  # fmt: skip
    key = next(x for x in switch.lines("xero", TENANT, JOB) if x["kind"] == "cost")
    switch.put("xero", TENANT, JOB, sub_job="", cost_code=key["cost_code"],
               cost_type=key["cost_type"], amount="3000.30")  # fmt: skip

    lines = _source(sandbox).fetch_budget(JOB)

    assert _keyed(lines) == _in_xero(switch)
    assert ((key["cost_code"], key["cost_type"]), "cost", Decimal("3000.30")) in _keyed(lines)


def test_a_budget_just_before_this_year_is_found_without_searching_the_years_ahead(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    _post(f"{sandbox.url}/xero/sandbox/periods", {"job": JOB, "from": f"{YEAR - 2}-01",
                                                  "months": 24})  # fmt: skip

    lines = _source(sandbox).fetch_budget(JOB)

    assert _keyed(lines) == _in_xero(switch)
    # Accounts, Budgets, then this year's window (none), the two years before (the budget), the
    # two before those (none): a search forwards first would have asked for ten years ahead.
    assert _left(sandbox)["day"] == 5000 - 5


def test_a_budget_whose_periods_all_hold_0_reads_as_zeros_in_three_windows(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    for line in switch.lines("xero", TENANT, JOB):
        switch.put("xero", TENANT, JOB, sub_job="", cost_code=line["cost_code"],
                   cost_type=line["cost_type"], amount="0.00", kind=line["kind"])  # fmt: skip
    assert {x["amount"] for x in switch.lines("xero", TENANT, JOB)} == {"0.00"}

    lines = _source(sandbox).fetch_budget(JOB)

    assert lines and {Decimal(x.amount) for x in lines} == {Decimal(0)}
    assert _keyed(lines) == _in_xero(switch)
    # Xero answers this year's periods, with Amount 0: the budget's range, found at once.
    assert _left(sandbox)["day"] == 5000 - 5


# -- a job Xero does not have ---------------------------------------------------------------------


@pytest.mark.parametrize("unknown", ["NOPE-1", "X-9001' or 'x' = 'x", "X-900"])
def test_a_job_that_is_no_option_of_the_tracking_category_is_job_not_found(
    sandbox: SandboxErp, switch: UniformSwitch, unknown: str
) -> None:
    with pytest.raises(ErpJobNotFound) as missing:
        _source(sandbox).fetch_budget(unknown)

    assert missing.value.code == "erp_job_not_found"
    assert f"Xero has no 'Jobs' tracking option '{unknown}'" in missing.value.message
    assert "check the ERP job this project is linked to" in missing.value.message


def test_a_job_without_the_budget_named_in_settings_is_not_job_not_found(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    with pytest.raises(ErpRejected) as refused:
        _source(sandbox, budget_id="FY1999").fetch_budget(JOB)

    assert type(refused.value) is ErpRejected
    assert f"no tracking budget for option '{JOB}'" in refused.value.message
    assert "named 'FY1999'" in refused.value.message


def test_a_tracking_category_xero_does_not_have_is_the_connections_mistake(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    with pytest.raises(ErpRejected) as refused:
        _source(sandbox, tracking_category="Projects").fetch_budget(JOB)

    assert type(refused.value) is ErpRejected
    assert "no tracking category 'Projects'" in refused.value.message
    assert "tracking_category" in refused.value.message


@pytest.fixture
def world() -> World:
    seeded = build_world()
    seeded.restore()  # each company's connection with its stored ERP credentials
    return seeded


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


def test_the_mapping_preview_of_a_job_xero_does_not_have_answers_404(
    sandbox: SandboxErp, switch: UniformSwitch, client: Client, world: World
) -> None:
    world.ports.erp_sources = lambda connection, credentials: _source(sandbox)  # type: ignore[misc,assignment]

    answer = client.http.get("/api/v1/companies/demo/erp/mapping-preview?erp_job_id=NOPE-1",
                             headers=world.headers(erp_user("admin")))  # fmt: skip

    assert answer.status_code == 404, answer.body
    error = json.loads(answer.body)["error"]
    assert error["code"] == "erp_job_not_found"
    assert "Xero has no 'Jobs' tracking option 'NOPE-1'" in error["message"]
