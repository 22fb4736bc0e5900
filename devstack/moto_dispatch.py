"""Makes the embedded AWS's server route a request without reading its own package directory.

moto's server picks the service of each request by, among other things, checking whether the
request's host names one of moto's own modules, and it lists them afresh for every request
(`os.listdir` of its package and an `isdir` per entry, ~200 of them): 0.73 ms a request on this
machine, measured with `timeit`. A Budget tab page read makes about four calls to the embedded AWS
(~3 ms of a ~40 ms page) and the schedule's fleet run ~4,000 (docs/performance.md, "Fleet").
`list_modules_once` answers the same list from memory: the package does not change while the
server runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def list_modules_once(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch `moto.backends.list_of_moto_modules` to a remembered tuple (idempotent)."""
    from moto import backends

    original = backends.list_of_moto_modules
    if getattr(original, "_remembered", False):
        return

    @functools.cache
    def remembered() -> tuple[str, ...]:
        return tuple(original())

    def list_of_moto_modules() -> tuple[str, ...]:
        return remembered()

    list_of_moto_modules._remembered = True  # type: ignore[attr-defined]
    setattr_(backends, "list_of_moto_modules", list_of_moto_modules)
