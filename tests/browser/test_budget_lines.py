"""Finding lines on a large Budget tab: filters, text search, sorting and scrolling, in Chromium.

A 2,000-line budget is large enough that the table keeps only the rows on screen in the document
(docs/performance.md explains why and how), and small enough to seed in a few seconds. Every
expectation is counted from the seeded lines themselves, never from the page.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from playwright.sync_api import Locator, Page, expect

from devstack import demo_data
from tests.browser.conftest import COMPANY_ID, sign_in

LINES = 2_000
STANDARD = "standard@demo.test"


def seeded_keys(project_id: str) -> list[tuple[str, str, str, str]]:
    """(sub job, cost code, cost type, description) of every line the fixture seeded."""
    project = demo_data.large_project(project_id, LINES, 1, COMPANY_ID)
    return [
        (line.task, line.cost_code, line.account_group, line.description)
        for line in project.erp_lines
    ]


def open_budget_tab(page: Page, add_synced_project: Any) -> tuple[str, Locator]:
    project = add_synced_project("Long Budget", LINES)
    sign_in(page, STANDARD)
    # Signing in lands on Budgets; going on before it has would race the app's own redirect.
    expect(page.get_by_role("heading", name="Budgets", level=1)).to_be_visible()
    page.goto(f"/#/companies/{COMPANY_ID}/projects/{project.project_id}/budget")
    table = page.get_by_role("table", name="Line items")
    expect(table).to_be_visible()
    # Every line read (the first page shows at once, the rest arrive in the background).
    expect(page.get_by_text(f"{LINES:,} lines.", exact=True)).to_be_visible()
    return project.project_id, table


def body_rows(table: Locator) -> Locator:
    return table.locator("tbody").get_by_role("row")


def column(table: Locator, index: int) -> list[str]:
    """The text of one column in the rows the document holds now."""
    texts: list[str] = body_rows(table).evaluate_all(
        f"rows => rows.map(row => row.cells[{index}].textContent)"
    )
    return texts


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_a_long_budget_holds_only_the_rows_on_screen_and_scrolling_reveals_the_rest(
    page: Page, add_synced_project: Any
) -> None:
    _, table = open_budget_tab(page, add_synced_project)
    expect(table).to_have_attribute("aria-rowcount", str(LINES + 2))  # header and total rows
    rows = body_rows(table)
    held = rows.count()
    assert 10 < held < 200, held  # a screenful and a margin, not 2,000
    first_screen = set(rows.evaluate_all("rows => rows.map(row => row.ariaRowIndex)"))
    assert "2" in first_screen  # the first line sits right under the header

    page.keyboard.press("End")  # to the foot of the page, as a person scrolling down would
    last = table.locator(f'tbody tr[aria-rowindex="{LINES + 1}"]')
    expect(last).to_be_visible()
    expect(table.locator('tbody tr[aria-rowindex="2"]')).to_have_count(0)
    assert rows.count() < 200
    later = set(rows.evaluate_all("rows => rows.map(row => row.ariaRowIndex)"))
    assert not later & first_screen

    page.keyboard.press("Home")
    expect(table.locator('tbody tr[aria-rowindex="2"]')).to_be_visible()


def test_filters_narrow_the_lines_to_those_that_match(page: Page, add_synced_project: Any) -> None:
    project_id, table = open_budget_tab(page, add_synced_project)
    keys = seeded_keys(project_id)

    page.get_by_label("Cost Code").select_option("03-300")
    wanted = [k for k in keys if k[1] == "03-300"]
    expect(page.get_by_text(f"{len(wanted):,} of {LINES:,} lines match.")).to_be_visible()
    expect(table).to_have_attribute("aria-rowcount", str(len(wanted) + 2))
    assert set(column(table, 1)) == {"03-300"}

    page.get_by_label("Cost Type").select_option("M")
    page.get_by_label("Sub Job").select_option("0007")
    wanted = [k for k in wanted if k[2] == "M" and k[0] == "0007"]
    assert len(wanted) == 1
    expect(body_rows(table)).to_have_count(1)
    expect(body_rows(table).first).to_contain_text("Cast-in-place Concrete - Material")

    # Free text alone, with the filters back on All: any field, any case.
    for name in ("Sub Job", "Cost Code", "Cost Type"):
        page.get_by_label(name).select_option(label="All")
    page.get_by_label("Search lines").fill("drywall - EQUIP")
    wanted = [k for k in keys if "drywall - equip" in k[3].lower()]
    expect(page.get_by_text(f"{len(wanted):,} of {LINES:,} lines match.")).to_be_visible()
    assert set(column(table, 3)) == {"Drywall - Equipment"}

    # Each control is named exactly by its label, whatever it holds.
    for name in ("Sub Job", "Cost Code", "Cost Type"):
        expect(page.get_by_role("combobox", name=name, exact=True)).to_have_value(re.compile("."))
    page.get_by_role("searchbox", name="Search lines", exact=True).fill("no line says this")
    expect(body_rows(table)).to_contain_text(["No line matches these filters."])
    page.get_by_role("button", name="Clear filters").click()
    expect(page.get_by_text(f"{LINES:,} lines.", exact=True)).to_be_visible()
    expect(page.get_by_label("Search lines")).to_have_value("")


def test_every_column_sorts_both_ways_from_its_header(page: Page, add_synced_project: Any) -> None:
    project_id, table = open_budget_tab(page, add_synced_project)
    keys = seeded_keys(project_id)
    header = table.get_by_role("columnheader", name="Amount")
    expect(header).not_to_have_attribute("aria-sort", re.compile("."))

    header.get_by_role("button", name="Amount").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    amounts = [amount(text) for text in column(table, 4)]
    assert amounts == sorted(amounts) and len(set(amounts)) > 1

    header.get_by_role("button", name="Amount").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    descending = [amount(text) for text in column(table, 4)]
    assert descending == sorted(descending, reverse=True)
    assert descending[0] > amounts[0]

    # Another column takes over the sort; the first line is the greatest key.
    sub_job = table.get_by_role("columnheader", name="Sub Job")
    sub_job.get_by_role("button", name="Sub Job").click()
    sub_job.get_by_role("button", name="Sub Job").click()
    expect(sub_job).to_have_attribute("aria-sort", "descending")
    expect(header).not_to_have_attribute("aria-sort", re.compile("."))
    last_task = max(k[0] for k in keys)
    assert set(column(table, 0)[:5]) == {last_task}

    # Sorted and filtered at once: the filter keeps the order.
    page.get_by_label("Cost Type").select_option("L")
    expect(page.get_by_text(f"of {LINES:,} lines match.")).to_be_visible()
    tasks = column(table, 0)
    assert tasks == sorted(tasks, reverse=True)
    assert set(column(table, 2)) == {"L"}
