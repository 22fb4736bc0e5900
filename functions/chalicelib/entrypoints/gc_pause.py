"""One pause of Python's cyclic garbage collector, shared by every entry point of a process.

A worker batch or an API request builds many objects that form no cycles (ERP lines, line items,
keys, decoded rows, answer models); left on, the collector promotes them while they are alive and
its full passes then walk every long-lived object of the process (docs/performance.md measured a
quarter of a 50,000-line job, and full passes of hundreds of milliseconds in the middle of budget
pages on the local stack, where moto and the sandbox ERP share the process). Reference counting
still frees everything acyclic; the collector resumes when the last paused handler in the process
ends (the local stack runs the worker and the API side by side in threads, hence the count).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class CyclicGcPause:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = True

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    gc.enable()


gc_paused = CyclicGcPause()
