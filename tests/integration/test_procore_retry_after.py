"""Procore's `Retry-After`, in both of its forms, through the real Procore adapter over HTTP.

RFC 9110 (10.2.3) lets a 429 or 503 say when to come back as a number of seconds or as an HTTP
date. A short wait is waited out within the call; a longer one is handed to the job queue in the
error (`retry_after_seconds`), so the job comes back no sooner than Procore asked. When Procore says
nothing of it, its rate limit's `X-Rate-Limit-Reset` counts only once no request is left
(docs/targets/procore.md, "Rate limits").
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.adapters.targets import procore as procore_adapter
from chalicelib.adapters.targets.procore import ProcoreBudget, forget_tokens
from chalicelib.domain.errors import TargetUnavailable
from chalicelib.domain.model import (
    ErpCredentials,
    JobKind,
    JobStatus,
    TargetConfig,
    TargetKind,
    TargetWrite,
)
from chalicelib.domain.ports import JobMessage, RemoteBudget
from chalicelib.entrypoints.worker import retry_wait
from chalicelib.services.reimports import request_job, run_job
from chalicelib.services.targets import PutBackUnfinished
from devstack import demo_data
from devstack.sandbox.procore import ProcoreSandbox
from tests.fixtures.procore import sandbox_switch
from tests.integration.test_procore_target import ADMIN, BUDGET, _large, _pilot

NOW = float(int(datetime.now(UTC).timestamp()))  # whole seconds, as an HTTP date writes them


def _http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.fromtimestamp(NOW + seconds_from_now, UTC), usegmt=True)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ProcoreSandbox]:
    with ProcoreSandbox() as running:
        yield running


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The adapter's clock stands at NOW and its sleeps are recorded, not slept."""
    slept: list[float] = []
    monkeypatch.setattr(
        procore_adapter, "time", SimpleNamespace(time=lambda: NOW, sleep=slept.append)
    )
    return slept


def _budget(url: str) -> ProcoreBudget:
    config = TargetConfig(
        target=TargetKind.PROCORE,
        base_url=url,
        procore_company_id=demo_data.PROCORE_COMPANY_ID,
        credentials_secret_id="pilot-procore",
    )
    credentials = ErpCredentials.of(
        client_id=demo_data.PROCORE_CLIENT_ID, client_secret=demo_data.PROCORE_CLIENT_SECRET
    )
    return ProcoreBudget.from_config(
        config, credentials, demo_data.PROCORE_PROJECT_ID, allow_local_urls=True
    )


def _failing(sandbox: ProcoreSandbox, calls: int, status: int, retry_after: str) -> ProcoreBudget:
    """The sandbox as it was seeded, its next `calls` Procore calls answered with `status`."""
    sandbox.state.reset()
    forget_tokens()
    budget = _budget(sandbox.url)
    budget.locked()  # signed in: the faults below fall on the calls under test
    sandbox_switch(
        sandbox.root, "POST", "/sandbox/faults",
        {"prefix": "procore", "fail_next": calls, "status": status, "retry_after": retry_after},
    )  # fmt: skip
    return budget


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_written_as_an_http_date_is_waited_out_and_the_call_succeeds(
    sandbox, waits, status
):
    budget = _failing(sandbox, 2, status, _http_date(7))

    assert budget.read_lines()
    assert waits == [7.0, 7.0]


def test_a_retry_after_date_already_past_is_retried_at_once(sandbox, waits):
    budget = _failing(sandbox, 1, 503, _http_date(-30))

    assert budget.read_lines()
    assert waits == [0.0]


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [("120", 120.0), (_http_date(600), 600.0)],
    ids=["seconds", "http-date"],
)
def test_a_wait_longer_than_a_call_waits_is_handed_to_the_job_queue_in_the_error(
    sandbox, waits, retry_after, seconds
):
    budget = _failing(sandbox, 1, 429, retry_after)

    with pytest.raises(TargetUnavailable) as unavailable:
        budget.read_lines()

    assert unavailable.value.retry_after_seconds == seconds
    assert f"asked to wait {int(seconds)} seconds" in unavailable.value.message
    assert waits == []  # nothing waited in the call


def test_the_last_attempt_s_refusal_carries_the_wait_procore_asked_for(sandbox, waits):
    budget = _failing(sandbox, procore_adapter.ATTEMPTS, 503, _http_date(5))

    with pytest.raises(TargetUnavailable) as unavailable:
        budget.read_lines()

    assert waits == [5.0] * (procore_adapter.ATTEMPTS - 1)
    assert unavailable.value.retry_after_seconds == 5.0


def test_a_reimport_that_procore_asks_to_come_back_later_waits_in_the_queue_that_long(
    sandbox, waits
):
    pilot = _pilot(sandbox)
    job = request_job(pilot.ports, ADMIN, "pilot", BUDGET, JobKind.REIMPORT)
    message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
    sandbox_switch(
        sandbox.root, "POST", "/sandbox/faults",
        {"prefix": "procore", "fail_next": 1, "status": 429, "retry_after": _http_date(600)},
    )  # fmt: skip

    with pytest.raises(TargetUnavailable) as unavailable:
        run_job(
            pilot.ports, message, final_attempt=False,
            retry_in_seconds=lambda why: retry_wait(why, receive_count=1),
        )  # fmt: skip

    assert unavailable.value.retry_after_seconds == 600.0
    waiting = pilot.ports.jobs.get("pilot", job.job_id)
    assert waiting.status is JobStatus.IN_PROGRESS
    assert waiting.message.startswith("Waiting to retry in about 10 minutes")


class _SlowDownFromTheSecondBatch:
    """From the second sync on, Procore answers 429 asking to come back in 10 minutes."""

    def __init__(self, inner: RemoteBudget, root: str) -> None:
        self._inner = inner
        self._root = root
        self.name = inner.name
        self.batch_size = inner.batch_size
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def write(self, writes: Sequence[TargetWrite]) -> None:
        self.writes += 1
        if self.writes == 2:  # this batch, then the put-back's first batch
            sandbox_switch(
                self._root, "POST", "/sandbox/faults",
                {"prefix": "procore", "fail_next": 2, "status": 429,
                 "retry_after": _http_date(600)},
            )  # fmt: skip
        self._inner.write(writes)


def test_a_put_back_procore_asks_to_wait_for_keeps_the_job_waiting_at_least_that_long(
    sandbox, waits
):
    pilot = _large(sandbox, 1500)
    job = request_job(pilot.ports, ADMIN, "pilot", BUDGET, JobKind.REIMPORT)
    message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _SlowDownFromTheSecondBatch(
        real(*args), sandbox.root
    )

    with pytest.raises(PutBackUnfinished) as unfinished:
        run_job(pilot.ports, message, final_attempt=False)

    assert unfinished.value.retry_after_seconds == 600.0
    assert pilot.ports.jobs.get("pilot", job.job_id).status is JobStatus.IN_PROGRESS


# --- X-Rate-Limit-Reset, from a scripted Procore -----------------------------------------------


class _Scripted:
    """A Procore that signs in, then answers each call with the next scripted status and headers
    (200 with an empty budget once the script is spent)."""

    def __init__(
        self,
        script: list[tuple[int, dict[str, str]]],
        sign_ins: list[tuple[int, dict[str, str]]] | None = None,
    ) -> None:
        self.script = script
        self.sign_ins = sign_ins or []  # the token endpoint's answers before it gives a token
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, headers: dict[str, str], body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:  # noqa: N802 - the handler's own name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.sign_ins:
                    status, headers = outer.sign_ins.pop(0)
                    self._answer(status, headers, {"error": "scripted"})
                else:
                    self._answer(200, {}, {"access_token": "scripted", "expires_in": 5400})

            def do_GET(self) -> None:  # noqa: N802
                if outer.script:
                    status, headers = outer.script.pop(0)
                    self._answer(status, headers, {"errors": "scripted"})
                else:
                    self._answer(200, {}, [])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _Scripted:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _limits(remaining: int, reset_in: float) -> dict[str, str]:
    return {
        "X-Rate-Limit-Limit": "3600",
        "X-Rate-Limit-Remaining": str(remaining),
        "X-Rate-Limit-Reset": str(int(NOW + reset_in)),
    }


def test_a_429_with_the_rate_limit_used_up_comes_back_when_it_resets(waits):
    forget_tokens()
    with (
        _Scripted([(429, _limits(0, 900))]) as procore,
        pytest.raises(TargetUnavailable) as unavailable,
    ):
        _budget(procore.url).read_lines()

    assert unavailable.value.retry_after_seconds == 900.0


def test_a_503_with_requests_left_is_retried_after_a_short_backoff_not_at_the_window_s_reset(
    waits,
):
    forget_tokens()
    with _Scripted([(503, _limits(3000, 3000))]) as procore:
        assert _budget(procore.url).read_lines() == []

    assert waits == [0.5]


def test_a_retry_after_procore_cannot_mean_falls_back_to_the_backoff(waits):
    forget_tokens()
    script = [(503, {"Retry-After": value}) for value in ("soon", "nan", "inf")]
    with _Scripted(script) as procore:
        assert _budget(procore.url).read_lines() == []

    assert waits == [0.5, 1.0, 2.0]


def test_the_sign_in_answering_429_or_503_is_waited_out_as_any_call_is(waits):
    forget_tokens()
    sign_ins = [(429, {"Retry-After": "3"}), (503, {})]
    with _Scripted([], sign_ins) as procore:
        assert _budget(procore.url).read_lines() == []

    assert waits == [3.0, 1.0]


def test_a_sign_in_asking_a_longer_wait_than_a_call_waits_hands_it_to_the_job_queue(waits):
    forget_tokens()
    with (
        _Scripted([], [(429, {"Retry-After": "120"})]) as procore,
        pytest.raises(TargetUnavailable) as unavailable,
    ):
        _budget(procore.url).read_lines()

    assert unavailable.value.retry_after_seconds == 120.0
    assert waits == []
