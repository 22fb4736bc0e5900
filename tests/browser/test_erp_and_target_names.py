"""The web app names the company's ERP and target as their users know them.

The pilot company keeps its budgets in Procore: the Budgets list's total column, the Please
Confirm dialog and the success message say Procore (docs/targets/procore.md). A Sage Intacct
company's dialog names its ERP's total "Current Sage Intacct Total" (docs/erps/intacct.md).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import JOB_TIMEOUT_MS, budget_row, open_synced_budgets, sign_in
from tests.e2e.conftest import RunningStack, request


def test_the_pilot_admin_sees_procore_named_in_the_list_the_dialog_and_the_message(
    page: Page, stack: RunningStack
) -> None:
    request("POST", stack.erp_url + "/sandbox/reset")
    switch = stack.erp_url + "/sandbox/budgets/acumatica/Pilot/K-4001"
    first = next(line for line in request("GET", switch).body["lines"] if line["kind"] == "cost")
    key = {name: first[name] for name in ("sub_job", "cost_code", "cost_type")}
    assert request("POST", switch + "/lines", {**key, "amount": "1000.00"}).status == 200
    sign_in(page, "admin@pilot.test")
    open_synced_budgets(page)
    expect(page.get_by_role("columnheader", name="Current Procore Total")).to_be_visible()
    row = budget_row(page, "Pilot Logistics Hub")
    expect(row).to_contain_text("K-4001")

    row.get_by_role("button", name="Re-import").click()
    dialog = page.get_by_role("dialog", name="Please Confirm")
    for term in ("Current Acumatica Total", "Current Procore Total",
                 "New Procore Total On Re-Import"):  # fmt: skip
        expect(dialog.locator(f'dt:text-is("{term}")')).to_be_visible(timeout=JOB_TIMEOUT_MS)
    dialog.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text(
        "Successfully Re-imported to Procore", timeout=JOB_TIMEOUT_MS
    )


def test_a_sage_intacct_company_s_dialog_names_its_erp_total(
    page: Page, stack: RunningStack
) -> None:
    sign_in(page, "admin@intacct.test")
    open_synced_budgets(page)
    row = budget_row(page, "Summit Ridge Clinic")
    expect(row.get_by_role("cell", name="Sage Intacct", exact=True)).to_be_visible()

    row.get_by_role("button", name="Re-import").click()
    dialog = page.get_by_role("dialog", name="Please Confirm")
    expect(dialog.locator('dt:text-is("Current Sage Intacct Total")')).to_be_visible(
        timeout=JOB_TIMEOUT_MS
    )
    expect(dialog).to_contain_text("from Sage Intacct")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
