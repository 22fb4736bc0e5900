"""QuickBooks Online's project list: paged by projects, read until QuickBooks says no more."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters.erp.common.rotation import MemoryVault
from chalicelib.adapters.erp.qbo import QboSource
from chalicelib.domain.model import ErpCredentials
from tests.fixtures.erp import every_project

_VAULT = MemoryVault(ErpCredentials({"client_id": "c", "client_secret": "s", "refresh_token": "r"}))

# A customer that is neither a project nor a sub-customer comes first and in between.
CUSTOMERS = [
    {"Id": "C-1", "DisplayName": "Acme (the client)", "Active": True},
    *({"Id": f"P-{n}", "DisplayName": f"Tower {n}", "IsProject": True, "Active": True}
      for n in range(1, 6)),
    {"Id": "C-2", "DisplayName": "Globex (the client)", "Active": True},
    *({"Id": f"S-{n}", "DisplayName": f"Annex {n}", "ParentRef": {"value": "C-2"},
       "Active": True} for n in range(1, 4)),
]  # fmt: skip
PROJECTS = [c["Id"] for c in CUSTOMERS if c.get("IsProject") or c.get("ParentRef")]


def _source(cap: int, page_size: int = 1000) -> tuple[QboSource, list[tuple[int, int]]]:
    """A QboSource over a QuickBooks whose pages hold at most `cap` rows, whatever was asked
    (QuickBooks' own 1,000, or less): the calls it made as (offset, size)."""
    calls: list[tuple[int, int]] = []

    def page(client: object, entity: str, offset: int, size: int) -> list[dict[str, Any]]:
        assert entity == "Customer where Active = true"
        calls.append((offset, size))
        return CUSTOMERS[offset : offset + min(size, cap)]

    source = QboSource("https://quickbooks.api.intuit.com", {"realm_id": "1"}, _VAULT,
                       page_size=page_size)  # fmt: skip
    source._client = lambda: None  # type: ignore[method-assign]
    source._page = page  # type: ignore[method-assign]
    return source, calls


@pytest.mark.parametrize("cap", [1, 2, 3, 1000])
@pytest.mark.parametrize("limit", [1, 3, 100])
def test_a_server_capping_its_page_does_not_end_the_project_list_early(cap, limit):
    source, _ = _source(cap)

    assert every_project(source, limit) == PROJECTS


def test_has_more_says_whether_projects_follow_not_whether_the_page_was_full():
    source, _ = _source(cap=2)

    first, last = source.list_projects(0, 3), source.list_projects(5, 3)

    assert [p.erp_job_id for p in first.projects] == ["P-1", "P-2", "P-3"] and first.has_more
    assert [p.erp_job_id for p in last.projects] == ["S-1", "S-2", "S-3"] and not last.has_more
    assert [p.name for p in first.projects] == ["Tower 1", "Tower 2", "Tower 3"]


def test_the_list_stops_reading_once_it_knows_there_are_more():
    source, calls = _source(cap=1000, page_size=2)

    page = source.list_projects(0, 2)

    assert page.has_more
    assert calls == [(0, 2), (2, 2)]  # C-1, P-1 | P-2, P-3: one project more than asked
