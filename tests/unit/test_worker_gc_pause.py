"""The worker and the schedule pause the cyclic garbage collector only while a batch or a run is
handled."""

from __future__ import annotations

import gc

import pytest

from chalicelib.entrypoints import schedule, worker


def test_the_collector_runs_again_after_a_batch_even_when_the_batch_raises(monkeypatch):
    seen: list[bool] = []

    def explode(**_: object) -> dict[str, object]:
        seen.append(gc.isenabled())
        raise RuntimeError("the batch failed")

    monkeypatch.setattr(worker, "process_partial_response", explode)
    assert gc.isenabled()

    with pytest.raises(RuntimeError):
        worker.handle({"Records": []}, None)

    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_switched_off_before_the_batch_stays_off(monkeypatch):
    monkeypatch.setattr(worker, "process_partial_response", lambda **_: {"batchItemFailures": []})
    gc.disable()
    try:
        worker.handle({"Records": []}, None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_schedule_pauses_the_collector_for_its_run_and_resumes_it_when_the_run_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    def queue_then_fail(ports: object) -> list[object]:
        seen.append(gc.isenabled())
        raise RuntimeError("DynamoDB did not answer")

    monkeypatch.setattr("chalicelib.wiring.ports", lambda: object())
    monkeypatch.setattr(schedule, "enqueue_due_reimports", queue_then_fail)
    event = {"id": "run-1", "detail-type": "Scheduled Event", "source": "aws.events"}
    assert gc.isenabled()

    with pytest.raises(RuntimeError):
        schedule.handle(event, None)

    assert seen == [False]
    assert gc.isenabled()
