"""A loop on a daemon thread that stops cleanly: what the local event sources have in common."""

from __future__ import annotations

import threading
from typing import Self


class BackgroundLoop:
    """Runs `_run` on a daemon thread; `_run` ends when `self._stopping` is set."""

    def __init__(self, thread_name: str) -> None:
        self._thread_name = thread_name
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to end and wait for the round in hand to finish."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
