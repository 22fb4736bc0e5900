"""Sage Intacct's project list: with child projects as sub jobs it pages by jobs (projects without
a parent), reading the query service's pages until Sage Intacct says there are no more."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters.erp.intacct import IntacctSource
from chalicelib.domain.model import ErpCredentials
from tests.fixtures.erp import every_project

_CREDENTIALS = ErpCredentials({"client_id": "c", "client_secret": "s"})

# Child projects come first, between jobs and last, several in a row.
RECORDS = [
    {"id": "J-1-A", "name": "Tower 1, wing A", "status": "active", "parent.id": "J-1"},
    *({"id": f"J-{n}", "name": f"Tower {n}", "status": "active", "parent.id": None}
      for n in range(1, 4)),
    *({"id": f"J-3-{s}", "name": f"Tower 3, wing {s}", "status": "active", "parent.id": "J-3"}
      for s in "ABC"),
    *({"id": f"J-{n}", "name": f"Tower {n}", "status": "active", "parent.id": None}
      for n in range(4, 8)),
    {"id": "J-7-A", "name": "Tower 7, wing A", "status": "active", "parent.id": "J-7"},
]  # fmt: skip
JOBS = [r["id"] for r in RECORDS if not r["parent.id"]]


def _source(
    cap: int, page_size: int = 1000, sub_job_from: str = "child_project"
) -> tuple[IntacctSource, list[tuple[int, int]]]:
    """An IntacctSource over a query service whose pages hold at most `cap` records, whatever was
    asked, with `ia::meta.next` null only on the last: the calls it made as (offset, size)."""
    calls: list[tuple[int, int]] = []

    def page(
        client: object, name: str, fields: list[str], filters: list[Any], offset: int, size: int
    ) -> tuple[list[dict[str, Any]], bool]:
        assert name == "projects/project" and "parent.id" in fields and filters == []
        calls.append((offset, size))
        rows = RECORDS[offset : offset + min(size, cap)]
        return rows, offset + len(rows) < len(RECORDS)

    source = IntacctSource("https://api.intacct.com", _CREDENTIALS,
                           settings={"sub_job_from": sub_job_from}, page_size=page_size)  # fmt: skip
    source._client = lambda: None  # type: ignore[assignment, method-assign, return-value]
    source._page = page  # type: ignore[assignment, method-assign]
    return source, calls


@pytest.mark.parametrize("cap", [1, 2, 3, 4000])
@pytest.mark.parametrize("page_size", [1, 2, 1000])
@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_child_projects_among_the_projects_neither_overlap_nor_skip_a_page(cap, page_size, limit):
    source, _ = _source(cap, page_size)

    assert every_project(source, limit) == JOBS


def test_a_page_holds_up_to_limit_jobs_in_order_and_has_more_says_whether_another_follows():
    source, _ = _source(cap=2)

    first, middle, last = (source.list_projects(0, 3), source.list_projects(3, 3),
                           source.list_projects(6, 3))  # fmt: skip
    exact = source.list_projects(4, 3)

    assert [p.erp_job_id for p in first.projects] == ["J-1", "J-2", "J-3"] and first.has_more
    assert [p.erp_job_id for p in middle.projects] == ["J-4", "J-5", "J-6"] and middle.has_more
    # Only a child project follows the last job: there is no more to list.
    assert [p.erp_job_id for p in last.projects] == ["J-7"] and not last.has_more
    assert [p.erp_job_id for p in exact.projects] == ["J-5", "J-6", "J-7"] and not exact.has_more
    assert [p.name for p in first.projects] == ["Tower 1", "Tower 2", "Tower 3"]
    assert {p.erp_status for p in first.projects} == {"active"}


def test_the_list_stops_reading_once_it_knows_there_are_more():
    source, calls = _source(cap=4000, page_size=2)

    page = source.list_projects(0, 2)

    assert page.has_more
    # One page large enough for one job more than asked; a child project took a place in it.
    assert calls == [(0, 3), (3, 3)]


def test_one_query_page_is_asked_for_when_it_can_hold_the_jobs_asked_for():
    source, calls = _source(cap=4000)

    page = source.list_projects(2, 50)

    assert [p.erp_job_id for p in page.projects] == JOBS[2:] and not page.has_more
    assert calls == [(0, 1000)]


@pytest.mark.parametrize("sub_job_from", ["none", "task"])
def test_without_child_projects_as_sub_jobs_every_project_is_listed_by_intacct_paging(
    sub_job_from,
):
    source, calls = _source(cap=4000, sub_job_from=sub_job_from)

    page = source.list_projects(2, 3)

    assert [p.erp_job_id for p in page.projects] == [r["id"] for r in RECORDS[2:5]]
    assert page.has_more and calls == [(2, 3)]
    assert every_project(_source(cap=2, sub_job_from=sub_job_from)[0], 3) == [
        r["id"] for r in RECORDS
    ]
