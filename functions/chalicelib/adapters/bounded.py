"""Values a warm Lambda keeps in memory between invocations, within a bound."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """Values by key, their total weight (lines, rows) kept within `max_weight`: the least
    recently used go first, and a value heavier than the bound is not kept. Thread-safe."""

    def __init__(self, max_weight: int, weight: Callable[[V], int]) -> None:
        self._max_weight = max_weight
        self._weight = weight
        self._lock = threading.Lock()
        self._values: OrderedDict[K, V] = OrderedDict()
        self._total = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        weight = self._weight(value)
        with self._lock:
            if key in self._values or weight > self._max_weight:
                return
            self._values[key] = value
            self._total += weight
            while self._total > self._max_weight:
                _, dropped = self._values.popitem(last=False)
                self._total -= self._weight(dropped)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._total = 0
