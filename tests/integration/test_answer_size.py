"""A page of lines stays under Lambda's 6 MB answer, however long the ERP's text is.

The API caps a page at 5,000 lines for that limit (docs/api.md, "Pages"), but 5,000 lines of long text (a 500-character
description, 100-character keys, each character 3 bytes in UTF-8) are ~25 MB of JSON: such a page
stops short and its cursor carries on from the first line left out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from chalice.test import Client

from chalicelib.domain.model import Budget, BudgetStatus, LineItem, WbsKey
from tests.fixtures.api import app_client
from tests.integration.api_support import World, budget_user, build_world

LAMBDA_ANSWER_LIMIT = 6 * 1024 * 1024
LINES = 5000
PROJECT = "/api/v1/companies/demo/projects/p-1009/budget"


def _long_line(number: int) -> LineItem:
    key = WbsKey(f"{number:04d}" + "€" * 96, "€" * 100, "€" * 100)
    return LineItem(key, "€" * 500, Decimal("1.00"), "€" * 20)


@pytest.fixture
def world() -> World:
    world = build_world()
    world.budgets.create_budget(
        Budget(
            company_id="demo",
            budget_id="b-1009",
            project_id="p-1009",
            project_name="Long text",
            erp_job_id="P-1009",
            erp_system="acumatica",
            status=BudgetStatus.SYNCED,
        ),
        [_long_line(n) for n in range(LINES)],
    )
    return world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as client:
        yield client


def _pages(client: Client, world: World, path: str) -> Iterator[tuple[int, dict[str, object]]]:
    cursor: str | None = None
    while True:
        query = "?limit=5000" + (f"&cursor={cursor}" if cursor else "")
        answer = client.http.get(path + query, headers=world.headers(budget_user("read_only")))
        assert answer.status_code == 200
        page = json.loads(answer.body)
        # Lambda returns the body as a JSON string: that, escaped, is what counts against 6 MB.
        yield len(json.dumps({"body": answer.body.decode()})), page
        cursor = page["next_cursor"]
        if cursor is None:
            return


def test_a_page_of_long_lines_stops_under_6_mb_and_the_cursor_reads_the_rest(
    client: Client, world: World
) -> None:
    pages = list(_pages(client, world, PROJECT))

    assert len(pages) > 1  # 5,000 such lines do not fit one answer
    assert all(size < LAMBDA_ANSWER_LIMIT for size, _ in pages)
    ids = [line["line_item_id"] for _, page in pages for line in page["line_items"]]  # type: ignore[attr-defined]
    expected = [_long_line(n).line_item_id for n in range(LINES)]
    assert sorted(ids) == sorted(expected) and len(set(ids)) == LINES


def test_a_version_page_of_long_lines_stops_under_6_mb_too(client: Client, world: World) -> None:
    version = world.budgets.get("demo", "b-1009").version
    pages = list(_pages(client, world, f"{PROJECT}/history/{version}"))

    assert len(pages) > 1
    assert all(size < LAMBDA_ANSWER_LIMIT for size, _ in pages)
    assert sum(len(page["line_items"]) for _, page in pages) == LINES  # type: ignore[arg-type]
    first = pages[0][1]
    assert 0 < len(first["changes"]) < first["change_count"]  # type: ignore[arg-type,operator]


def test_a_page_of_ordinary_lines_is_not_cut(client: Client, world: World) -> None:
    answer = client.http.get(
        "/api/v1/companies/demo/projects/p-1001/budget?limit=5000",
        headers=world.headers(budget_user("read_only")),
    )

    page = json.loads(answer.body)
    assert page["next_cursor"] is None and len(page["line_items"]) == page["line_count"]
