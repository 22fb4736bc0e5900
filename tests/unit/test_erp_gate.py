"""The per-tenant gate that keeps a worker under an ERP's calls-at-once and calls-a-minute limits."""

from __future__ import annotations

import threading
import time

from chalicelib.adapters.erp.common.gate import Gate, gate


def test_no_more_than_the_limit_run_at_once():
    limit = Gate(at_once=10, per_minute=500)
    inside, most = [0], [0]
    lock, release = threading.Lock(), threading.Event()

    def call() -> None:
        with limit.slot():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            release.wait(5)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(14)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with lock:
            if inside[0] == 10:
                break
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(5)
    assert most[0] == 10


def test_the_call_past_the_minutes_limit_waits_for_the_oldest_to_age_out():
    limit = Gate(at_once=10, per_minute=3)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        limit._sent.popleft()  # what the passing of those seconds does  # noqa: SLF001

    for _ in range(4):
        with limit.slot(sleep):
            pass
    assert len(waits) == 1 and 59 < waits[0] <= 60


def test_one_gate_per_tenant():
    assert gate("qbo|a", 10, 500) is gate("qbo|a", 10, 500)
    assert gate("qbo|a", 10, 500) is not gate("qbo|b", 10, 500)
