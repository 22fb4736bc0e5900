"""A company without an ERP API starts on the spreadsheet import, in Chromium: the operator creates
it, its admin sets a password, chooses Spreadsheet import on the Connection page (no address, no
secret), saves and tests it, links a job by its ID, and its Budgets row then offers Upload Export,
through which the job's export is mapped, uploaded and imported."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.adoption import erp_tab
from tests.browser.conftest import JOB_TIMEOUT_MS, budget_row
from tests.e2e.conftest import REPO, RunningStack

COMPANY = "sheetco"
ADMIN = "admin@sheetco.test"
JOB_ID = "Q-7001"
PROJECT_NAME = "Quay Warehouse"
EXPORT = (
    "Cost Code,Cost Type,Amount,Description\n"
    '01-100,L,"1,250.00",Site labour\n'
    "02-200,M,800.50,Steel\n"
    "02-200,M,199.50,Steel (variation)\n"
)


def create_company(stack: RunningStack) -> str:
    """`make company` on the running stack; answers the admin's temporary password."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "devstack.company", COMPANY, "Sheet & Co Builders", ADMIN,
         "--aws-port", stack.aws_url.rsplit(":", 1)[1]],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "functions")},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = re.search(r"Temporary password: (\S+)", done.stdout)
    assert found, done.stdout
    return found.group(1)


def test_a_new_company_connects_the_spreadsheet_import_and_its_budget_offers_upload_export(
    page: Page, stack: RunningStack, tmp_path: Path
) -> None:
    temporary = create_company(stack)
    export = tmp_path / "budget.csv"
    export.write_text(EXPORT)
    page.goto("/")
    page.get_by_role("textbox", name="Email").fill(ADMIN)
    page.get_by_role("textbox", name="Password").fill(temporary)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("New Password").fill("Sheet-and-co-pass-2026!")
    page.get_by_role("button", name="Set Password").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    erp_tab(page, "Connection")
    page.get_by_label("ERP System").select_option(label="Spreadsheet import")
    expect(page.get_by_label("Base URL")).to_have_count(0)
    expect(page.get_by_label("ERP Password")).to_have_count(0)
    page.get_by_role("button", name="Save Connection").click()
    expect(page.get_by_role("status")).to_contain_text("Connection saved")
    page.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_role("status")).to_contain_text("Connection works")
    expect(page.get_by_role("region", name="Saved connection")).to_contain_text("Working")

    erp_tab(page, "Projects")
    form = page.get_by_role("form", name="Link a job")
    form.get_by_label("ERP Job ID").fill(JOB_ID)
    form.get_by_label("Project Name").fill(PROJECT_NAME)
    form.get_by_role("button", name="Link Job").click()
    expect(page.get_by_role("status")).to_contain_text(f"{JOB_ID} is linked to the new project")

    erp_tab(page, "Settings")
    page.get_by_label("Add Unknown Cost Codes").check()  # a new company's catalog is empty
    page.get_by_role("button", name="Save Settings").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")

    erp_tab(page, "Budgets")
    page.get_by_role("radiogroup", name="Filter Estimates By").get_by_role(
        "radio", name="Ready to Import"
    ).check()
    row = budget_row(page, PROJECT_NAME, "Ready to Import")
    row.get_by_role("button", name="Upload Export").click()
    panel = page.get_by_role("region", name=f"Upload Export for {PROJECT_NAME}")
    expect(panel.get_by_label("Amount column")).to_have_value("Amount")
    panel.get_by_label("Budget export (CSV or XLSX, at most 10 MB)").set_input_files(str(export))
    panel.get_by_role("button", name="Upload", exact=True).click()
    expect(panel.get_by_role("status")).to_have_text(
        "Uploaded budget.csv. Re-import the budget to apply it."
    )

    row.get_by_role("button", name="Import", exact=True).click()
    page.get_by_role("dialog", name="Please Confirm").get_by_role("button", name="OK").click()
    expect(page.get_by_role("status").filter(has_text="Successfully")).to_have_text(
        "Successfully Imported to Budget Bridge", timeout=JOB_TIMEOUT_MS
    )
