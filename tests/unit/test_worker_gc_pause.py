"""The worker pauses the cyclic garbage collector only while a batch is handled."""

from __future__ import annotations

import gc

import pytest

from chalicelib.entrypoints import worker


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
