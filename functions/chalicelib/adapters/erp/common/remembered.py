"""Budget pages a warm worker has mapped already, by their exact bytes.

A re-import reads the whole ERP budget every time (rule 2: the ERP budget is the whole), and most of
its cost before any write is parsing and mapping every line of every page. After a change of a few
lines in the ERP, all but a few pages come back byte for byte as the last read got them. Mapping is
a function of the page's bytes, the job and where the page starts, and an ERP line is immutable, so
the lines mapped from those very bytes are the lines mapping them again would make. Every rule
(whole budget, every line checked, the plan) still runs on every line; only the parse and the
mapping of an unchanged page are skipped (docs/performance.md, measurement 4).

The pages are kept in the worker's memory only, never stored, and bounded by their line count: a
cold worker, or one that read other budgets since, maps every page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache

from chalicelib.adapters.bounded import BoundedMemo
from chalicelib.domain.model import ErpLine

# Enough for the pages of a few 10,000-line budgets (a few MB); a 100,000-line budget's pages push
# earlier ones out as they come.
REMEMBERED_LINES = 60_000

PageKey = tuple[str, str, int, bytes]


class RememberedPages:
    """The ERP lines mapped from a page, by (connector, job, first line, digest of its bytes)."""

    def __init__(self, max_lines: int = REMEMBERED_LINES) -> None:
        self._pages: BoundedMemo[PageKey, tuple[ErpLine, ...]] = BoundedMemo(max_lines, len)

    @staticmethod
    def key(connector: str, erp_job_id: str, offset: int, answer: bytes) -> PageKey:
        return (connector, erp_job_id, offset, hashlib.blake2b(answer, digest_size=20).digest())

    def mapped(
        self, key: PageKey, map_page: Callable[[], tuple[ErpLine, ...]]
    ) -> tuple[ErpLine, ...]:
        """The lines of the page with this key: remembered, or `map_page()` (and remembered). A
        page that fails to map raises, and nothing is kept of it."""
        lines = self._pages.get(key)
        if lines is None:
            lines = map_page()
            self._pages.put(key, lines)
        return lines

    def clear(self) -> None:
        self._pages.clear()


@lru_cache(maxsize=1)
def remembered_pages() -> RememberedPages:
    """The worker's one set of remembered pages, built on first use (nothing at import)."""
    return RememberedPages()


def forget_pages() -> None:
    """Empty the remembered pages (tests that count what a read maps)."""
    remembered_pages().clear()
