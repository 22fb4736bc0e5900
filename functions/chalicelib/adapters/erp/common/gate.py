"""A per-tenant request gate: at most N calls at once and M a minute from this process.

QuickBooks Online (10 at once, 500 a minute per realm) and Xero (5 at once, 60 a minute per
tenant) answer 429 beyond their limits; a worker that keeps under them does not spend its retries.
Other instances are not counted here: their excess is answered 429 and waited out as usual.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_gates: dict[str, Gate] = {}
_lock = threading.Lock()


class Gate:
    def __init__(self, at_once: int, per_minute: int) -> None:
        self._slots = threading.BoundedSemaphore(at_once)
        self._per_minute = per_minute
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, sleep: Callable[[float], None] = time.sleep) -> Iterator[None]:
        with self._slots:
            self._await_minute(sleep)
            yield

    def _await_minute(self, sleep: Callable[[float], None]) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and self._sent[0] <= now - 60:
                    self._sent.popleft()
                if len(self._sent) < self._per_minute:
                    self._sent.append(now)
                    return
                wait = self._sent[0] + 60 - now
            sleep(max(wait, 0.01))


def gate(key: str, at_once: int, per_minute: int) -> Gate:
    """The one gate of `key` (e.g. "qbo|<realm>") in this process."""
    with _lock:
        found = _gates.get(key)
        if found is None:
            found = _gates[key] = Gate(at_once, per_minute)
        return found
