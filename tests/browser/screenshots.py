"""Re-takes the README's screenshots under docs/screenshots/: `python -m tests.browser.screenshots`.

A fresh local stack (demo data only) and Debian's Chromium at 1280x800, signed in as
standard@demo.test: the Budgets list filtered by Synced, the Please Confirm dialog of P-1001's
re-import with its preview, its success, and P-1001's Budget tab; then as admin@demo.test (a budget
admin) P-1001's History tab with the version before the re-import chosen. One ERP amount of P-1001
is raised first, so the preview and the success show a change. Then company `fresh` adopts Budget
Bridge as the browser test walks it (tests/browser/adoption.py): its Connection, Projects and
Members pages. Needs the built web app (`make web`).
"""

from __future__ import annotations

import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from devstack import demo_data
from tests.browser import adoption
from tests.browser.conftest import (
    JOB_TIMEOUT_MS,
    REPO,
    VIEWPORT,
    budget_row,
    launch_chromium,
    open_synced_budgets,
    sign_in,
)
from tests.e2e.conftest import start_stack, stop_stack
from tests.fixtures.erp import SandboxClient

OUT = REPO / "docs" / "screenshots"
PROJECT_ID = "P-1001"


def raise_one_amount(erp: SandboxClient) -> None:
    project = demo_data.company("demo").project(PROJECT_ID)
    key = next(key for key in project.project_units if key != project.erp_lines[0].key)
    entity = next(
        line
        for line in erp.lines(PROJECT_ID)
        if (
            line["ProjectTaskID"]["value"],
            line["CostCode"]["value"],
            line["AccountGroup"]["value"],
        )
        == key
    )
    amount = Decimal(str(entity["OriginalBudgetedAmount"]["value"])) + Decimal("12500.00")
    erp.put_line(id=entity["id"], OriginalBudgetedAmount=amount)


def shooter(page: Page, out: Path, shots: list[Path]) -> adoption.Shot:
    def shot(file_name: str) -> None:
        path = out / file_name
        page.mouse.move(0, VIEWPORT["height"] - 1)  # no hover highlight in the picture
        page.screenshot(path=str(path))
        shots.append(path)

    return shot


def take(page: Page, out: Path) -> list[Path]:
    name = demo_data.company("demo").project(PROJECT_ID).name
    shots: list[Path] = []
    shot = shooter(page, out, shots)

    sign_in(page, "standard@demo.test")
    open_synced_budgets(page)
    row = budget_row(page, name)
    expect(row).to_be_visible()
    page.evaluate("() => document.activeElement?.blur()")  # the filter's focus ring, clicked away
    shot("budgets-list.png")

    row.get_by_role("button", name="Re-import").click()
    dialog = page.get_by_role("dialog", name="Please Confirm")
    expect(dialog.get_by_role("button", name="OK")).to_be_enabled(timeout=JOB_TIMEOUT_MS)
    expect(dialog.get_by_role("table", name="Changed lines")).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    shot("preview-dialog.png")

    dialog.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text(
        "Successfully Re-imported to Budget Bridge", timeout=JOB_TIMEOUT_MS
    )
    expect(page.get_by_role("region", name="Job status")).to_contain_text("1 updated")
    shot("reimport-success.png")

    row.get_by_role("link", name=name).click()
    expect(page.get_by_role("table", name="Line items")).to_be_visible()
    expect(page.get_by_role("heading", name="Recent re-imports")).to_be_attached()
    shot("project-budget.png")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "admin@demo.test")
    page.goto(f"/#/companies/demo/projects/{PROJECT_ID}/budget/history")
    versions = page.get_by_role("table", name="Budget versions").get_by_role("row")
    expect(versions.nth(1)).to_be_visible()
    chosen = versions.nth(2 if versions.count() > 2 else 1)
    chosen.get_by_role("button").click()
    expect(page.get_by_role("button", name="Restore This Version")).to_be_visible()
    expect(page.get_by_text("Loading the changes…")).to_have_count(0)
    page.evaluate("() => document.activeElement?.blur()")
    shot("history.png")
    return shots


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="budget-bridge-shots-") as folder:
        stack = start_stack(Path(folder) / "stack.log", SCHEDULE_INTERVAL_SECONDS="3600")
        try:
            raise_one_amount(SandboxClient(stack.erp_url))
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                context = browser.new_context(viewport=VIEWPORT, base_url=stack.web_url)
                shots = take(context.new_page(), OUT)
                fresh = browser.new_context(viewport=VIEWPORT, base_url=stack.web_url)
                page = fresh.new_page()
                adoption.walk(page, stack, shooter(page, OUT, shots))
                browser.close()
        finally:
            stop_stack(stack)
    for path in shots:
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
