"""Preview, History, Restore and Download CSV in Chromium, as an accountant uses them: the preview's
totals and changed lines before OK, OK applying that preview, a rollback from the History tab, and
the budget and a job's changes saved as CSV files."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    JOB_TIMEOUT_MS,
    Project,
    budget_row,
    erp_total,
    money,
    open_synced_budgets,
    sign_in,
)
from tests.browser.test_reimport import amount_of, erp_entity, line_row, total_cell
from tests.fixtures.erp import SandboxClient

SUCCESS = "Successfully Re-imported to Budget Bridge"


def defined(dialog: Locator, term: str) -> Locator:
    """The value shown for one of the preview's totals (a term and its definition)."""
    return dialog.locator(f'dt:text-is("{term}") + dd')


def erp_keys(erp: SandboxClient, project_id: str) -> list[tuple[str, str, str]]:
    return [
        (line["ProjectTaskID"]["value"], line["CostCode"]["value"], line["AccountGroup"]["value"])
        for line in erp.lines(project_id)
    ]


def raise_amounts(
    erp: SandboxClient, project: Project, count: int, by: Decimal
) -> dict[tuple[str, str, str], tuple[Decimal, Decimal]]:
    """Raises the ERP amount of the project's first `count` lines: {key: (old, new)}."""
    moved = {}
    for key in erp_keys(erp, project.project_id)[:count]:
        entity = erp_entity(erp, project.project_id, key)
        old = amount_of(entity)
        erp.put_line(id=entity["id"], OriginalBudgetedAmount=old + by)
        moved[key] = (old, old + by)
    return moved


def open_preview(page: Page, project: Project) -> Locator:
    row = budget_row(page, project.name)
    row.get_by_role("button", name="Re-import").click()
    dialog = page.get_by_role("dialog", name="Please Confirm")
    expect(dialog.get_by_role("button", name="OK")).to_be_enabled(timeout=JOB_TIMEOUT_MS)
    return dialog


def test_the_preview_shows_the_three_totals_and_the_changed_lines_and_ok_applies_it(
    page: Page, erp: SandboxClient, add_synced_project: Any
) -> None:
    project = add_synced_project("Preview Tower", lines=20)
    sign_in(page, "standard@demo.test")
    open_synced_budgets(page)
    row = budget_row(page, project.name)
    current_total = total_cell(row).inner_text()
    moved = raise_amounts(erp, project, 12, Decimal("1000.01"))
    new_total = erp_total(erp, project.project_id)

    expect(page.get_by_role("columnheader", name="Current Budget Bridge Total")).to_be_visible()
    dialog = open_preview(page, project)
    expect(defined(dialog, "Current Acumatica Total")).to_have_text(money(new_total))
    expect(defined(dialog, "Current Budget Bridge Total")).to_have_text(current_total)
    expect(defined(dialog, "New Budget Bridge Total On Re-Import")).to_have_text(money(new_total))

    table = dialog.get_by_role("table", name="Changed lines")
    headers = table.get_by_role("columnheader")
    expect(headers).to_have_text(
        ["Sub Job", "Cost Code", "Cost Type", "Current", "New", "Difference"]
    )
    expect(table.get_by_role("row")).to_have_count(11)  # ten lines a page, and the header
    seen = set()
    for page_number in range(2):
        for row_index in range(1, table.get_by_role("row").count()):
            cells = table.get_by_role("row").nth(row_index).get_by_role("cell").all_inner_texts()
            key = (cells[0], cells[1], cells[2])
            old, new = moved[key]
            assert cells[3:] == [money(old), money(new), "+1,000.01"], cells
            seen.add(key)
        if page_number == 0:
            dialog.get_by_role("button", name="Next page").click()
            expect(table.get_by_role("row")).to_have_count(3)
    assert seen == set(moved)

    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text(SUCCESS, timeout=JOB_TIMEOUT_MS)
    expect(total_cell(row)).to_have_text(money(new_total))
    key, (_old, new) = next(iter(moved.items()))
    row.get_by_role("link", name=project.name).click()
    expect(line_row(page, key).get_by_role("cell").nth(4)).to_have_text(money(new))


def test_ok_refuses_a_preview_the_erp_has_moved_past_and_nothing_changes(
    page: Page, erp: SandboxClient, add_synced_project: Any
) -> None:
    project = add_synced_project("Stale Yard")
    sign_in(page, "standard@demo.test")
    open_synced_budgets(page)
    row = budget_row(page, project.name)
    total_before = total_cell(row).inner_text()
    raise_amounts(erp, project, 1, Decimal("10.00"))
    dialog = open_preview(page, project)
    raise_amounts(erp, project, 1, Decimal("5.00"))  # the ERP moves on after the preview

    dialog.get_by_role("button", name="OK").click()
    alert = page.get_by_role("region", name="Job status").get_by_role("alert")
    expect(alert).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Preview Again")).to_be_visible()
    expect(total_cell(row)).to_have_text(total_before)

    page.get_by_role("button", name="Preview Again").click()
    dialog = page.get_by_role("dialog", name="Please Confirm")
    expect(dialog.get_by_role("button", name="OK")).to_be_enabled(timeout=JOB_TIMEOUT_MS)
    expect(defined(dialog, "New Budget Bridge Total On Re-Import")).to_have_text(
        money(erp_total(erp, project.project_id))
    )


def versions_table(page: Page) -> Locator:
    return page.get_by_role("table", name="Budget versions")


def test_history_lists_the_reimport_and_a_budget_admin_restores_the_version_before_it(
    page: Page, erp: SandboxClient, add_synced_project: Any
) -> None:
    project = add_synced_project("History House")
    moved = raise_amounts(erp, project, 1, Decimal("2500.25"))
    ((key, (old, new)),) = moved.items()
    sign_in(page, "admin@demo.test")
    open_synced_budgets(page)
    row = budget_row(page, project.name)
    total_before = total_cell(row).inner_text()
    open_preview(page, project).get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text(SUCCESS, timeout=JOB_TIMEOUT_MS)

    row.get_by_role("link", name=project.name).click()
    page.get_by_role("navigation", name="Project tools").get_by_role("link", name="History").click()
    table = versions_table(page)
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Version", "When", "Who", "Source", "Total"]
    )
    newest = table.get_by_role("row").nth(1)
    expect(newest).to_contain_text("admin@demo.test")
    expect(newest.get_by_role("cell").nth(2)).to_have_text("Re-import")
    previous = table.get_by_role("row").nth(2)
    expect(previous.get_by_role("cell").nth(3)).to_have_text(total_before)
    version = int(previous.get_by_role("button").inner_text().removeprefix("Version "))

    newest.get_by_role("button").click()
    chosen = page.get_by_role("region", name=f"Version {version + 1}")
    expect(chosen.get_by_role("table", name=f"Changes in version {version + 1}")).to_contain_text(
        money(new)
    )
    expect(chosen.get_by_role("button", name="Restore This Version")).to_be_disabled()
    previous.get_by_role("button", name=f"Version {version}", exact=True).click()
    expect(page.get_by_role("region", name=f"Version {version}")).to_be_visible()
    restore = page.get_by_role("button", name="Restore This Version")
    expect(restore).to_be_enabled()
    restore.click()
    dialog = page.get_by_role("dialog", name="Please Confirm")
    expect(dialog).to_contain_text(f"version {version}")
    dialog.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Successfully Restored version {version}", timeout=JOB_TIMEOUT_MS
    )
    restored = versions_table(page).get_by_role("row").nth(1)
    expect(restored.get_by_role("cell").nth(2)).to_have_text("Restore")
    expect(restored.get_by_role("cell").nth(3)).to_have_text(total_before)

    page.get_by_role("navigation", name="Project tools").get_by_role("link", name="Budget").click()
    expect(line_row(page, key).get_by_role("cell").nth(4)).to_have_text(money(old))
    assert new != old


def plain(amount: Decimal) -> str:
    """An amount as a CSV cell: a plain decimal with two places."""
    return f"{amount.quantize(Decimal('0.01')):f}"


def read_csv(path: Any) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(io.StringIO(handle.read().lstrip("\ufeff"))))


def test_download_csv_saves_the_budget_and_a_finished_jobs_changes(
    page: Page, erp: SandboxClient, add_synced_project: Any
) -> None:
    project = add_synced_project("Ledger Lofts")
    moved = raise_amounts(erp, project, 2, Decimal("99.99"))
    sign_in(page, "standard@demo.test")
    open_synced_budgets(page)
    open_preview(page, project).get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text(SUCCESS, timeout=JOB_TIMEOUT_MS)

    # Asked for compressed (a large budget's file fits one answer only so) and saved unpacked.
    with (
        page.expect_response(lambda r: r.url.endswith("/changes.csv")) as served,
        page.expect_download() as job_download,
    ):
        page.get_by_role("region", name="Job status").get_by_role(
            "button", name="Download CSV"
        ).click()
    assert served.value.headers["content-type"] == "application/gzip"
    changes = read_csv(job_download.value.path())
    assert job_download.value.suggested_filename.endswith(".csv")
    assert len(changes) == len(moved)
    for line in changes:
        values = set(line.values())
        key = next(k for k in moved if set(k) <= values)
        assert {plain(moved[key][0]), plain(moved[key][1])} <= values, line

    budget_row(page, project.name).get_by_role("link", name=project.name).click()
    with page.expect_download() as budget_download:
        page.get_by_role("region", name="Budget summary").get_by_role(
            "button", name="Download CSV"
        ).click()
    lines = read_csv(budget_download.value.path())
    assert budget_download.value.suggested_filename.endswith(".csv")
    assert len(lines) == len(erp_keys(erp, project.project_id))
    for key, (_old, new) in moved.items():
        assert any(set(key) <= set(line.values()) and plain(new) in line.values() for line in lines)
