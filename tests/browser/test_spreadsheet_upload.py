"""The spreadsheet import in Chromium: the admin maps nothing new, uploads the job's edited export
with Upload Export, and re-imports it; a file over 10 MB is refused with a sentence."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect

from devstack import demo_data
from tests.browser.conftest import JOB_TIMEOUT_MS, budget_row, open_synced_budgets, sign_in
from tests.e2e.conftest import RunningStack


def test_the_admin_uploads_an_export_and_reimports_it(
    page: Page, stack: RunningStack, tmp_path: Path
) -> None:
    company = demo_data.company("spreadsheet")
    project = company.projects[0]
    total = sum(line.amount for line in project.erp_lines if line.type == demo_data.EXPENSE)
    export = demo_data.export_csv(project).decode()
    added = f"{project.project_id},01,A100,L,1000.00,Cost,Extra crane hire\n"
    edited = tmp_path / "budget.csv"
    edited.write_text(export + added)
    huge = tmp_path / "huge.csv"
    huge.write_bytes(b"x" * (11 * 1024 * 1024))

    sign_in(page, "admin@spreadsheet.test")
    open_synced_budgets(page)
    row = budget_row(page, project.name)
    expect(row).to_contain_text(f"{total:,.2f}")

    row.get_by_role("button", name="Upload Export").click()
    panel = page.get_by_role("region", name=f"Upload Export for {project.name}")
    expect(panel.get_by_label("Amount column")).to_have_value("Budget Amount")
    panel.get_by_label("Budget export (CSV or XLSX, at most 10 MB)").set_input_files(str(huge))
    panel.get_by_role("button", name="Upload", exact=True).click()
    expect(panel.get_by_role("alert")).to_have_text(
        "The file is 11.0 MB; budget exports may be at most 10 MB."
    )
    panel.get_by_label("Budget export (CSV or XLSX, at most 10 MB)").set_input_files(str(edited))
    panel.get_by_role("button", name="Upload", exact=True).click()
    expect(panel.get_by_role("status")).to_have_text(
        "Uploaded budget.csv. Re-import the budget to apply it."
    )

    row.get_by_role("button", name="Re-import").click()
    page.get_by_role("dialog", name="Please Confirm").get_by_role("button", name="OK").click()
    expect(page.get_by_role("status").filter(has_text="Successfully")).to_have_text(
        "Successfully Re-imported to Budget Bridge", timeout=JOB_TIMEOUT_MS
    )
    expect(row).to_contain_text(f"{total + Decimal('1000.00'):,.2f}")
