"""A page of the jobs list stays under Lambda's 6 MB answer, however long the keys its changes name.

Each job in the list carries its first 100 changes (docs/api.md, "Jobs"): with sub jobs of 100
characters beyond the BMP, 25 such jobs (the default page) are over 7 MB on Lambda's wire, so the
page stops short and its cursor carries on from the first job left out (docs/api.md, "Pages")."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from chalice.test import Client

from chalicelib.domain.model import (
    ChangeKind,
    ChangeRecord,
    WbsKey,
    utc_now,
)
from tests.integration.api_support import World, erp_user, finished_preview

LAMBDA_ANSWER_LIMIT = 6 * 1024 * 1024
JOBS = "/api/v1/companies/demo/erp/jobs"


def _changes(long_keys: bool) -> list[ChangeRecord]:
    sub_job = "😀" * 97 if long_keys else ""
    keys = [WbsKey(f"{sub_job}{n:03d}", "04-200", "M") for n in range(100)]
    return [ChangeRecord(k.line_item_id, k, ChangeKind.UPDATED, Decimal("1.00"), Decimal("2.00"))
            for k in keys]  # fmt: skip


def _preview(world: World, number: int, changes: list[ChangeRecord]) -> str:
    """A succeeded preview of b-1001 with `changes`, requested `number` seconds from now."""
    requested_at = utc_now() + timedelta(seconds=number)  # newest first: in reverse
    return finished_preview(
        world, "b-1001", job_id=f"preview-{number:03d}", changes=changes, requested_at=requested_at
    )


def _pages(client: Client, world: World, query: str) -> list[tuple[int, dict[str, Any]]]:
    pages = []
    cursor: str | None = None
    while True:
        path = f"{JOBS}?{query}" + (f"&cursor={cursor}" if cursor else "")
        answer = client.http.get(path, headers=world.headers(erp_user("read_only")))
        assert answer.status_code == 200, answer.body
        page = json.loads(answer.body)
        # Lambda returns the body as a JSON string: that, escaped, is what counts against 6 MB.
        pages.append((len(json.dumps({"body": answer.body.decode()})), page))
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def test_a_page_of_jobs_with_long_keys_stops_under_6_mb_and_the_cursor_lists_the_rest(
    client: Client, world: World
) -> None:
    changes = _changes(long_keys=True)
    ids = [_preview(world, n, changes) for n in range(30)]

    pages = _pages(client, world, "budget_id=b-1001")

    assert len(pages[0][1]["jobs"]) < 25  # 25 such jobs do not fit one answer
    assert all(size < LAMBDA_ANSWER_LIMIT for size, _ in pages)
    listed = [job["job_id"] for _, page in pages for job in page["jobs"]]
    assert listed == list(reversed(ids))  # every job once, newest first
    first = pages[0][1]["jobs"][0]
    assert (len(first["changes"]), first["change_count"]) == (100, 100)


def test_a_page_of_ordinary_jobs_is_not_cut(client: Client, world: World) -> None:
    changes = _changes(long_keys=False)
    ids = [_preview(world, n, changes) for n in range(30)]

    pages = _pages(client, world, "budget_id=b-1001&limit=25")

    assert [len(page["jobs"]) for _, page in pages] == [25, 5]
    assert [job["job_id"] for _, page in pages for job in page["jobs"]] == list(reversed(ids))
