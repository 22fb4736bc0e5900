"""MYOB, Sage Intacct, CMiC, QuickBooks Online, Xero and NetSuite companies in Chromium: each
admin sees its synced job and re-imports a change made in its ERP's sandbox (for QuickBooks, Xero
and NetSuite the amount is spread over 12 months in the ERP and summed on the way back); the
QuickBooks admin previews, on the Connection page, how the saved connection maps its job."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from devstack import demo_data
from tests.browser.conftest import JOB_TIMEOUT_MS, budget_row, open_synced_budgets, sign_in
from tests.e2e.conftest import RunningStack


def _switch(stack: RunningStack, company: demo_data.DemoCompany) -> str:
    project = company.projects[0]
    tenant = urllib.parse.quote(company.tenant)
    return f"{stack.erp_url}/sandbox/budgets/{company.erp_system}/{tenant}/{project.project_id}"


def _call(method: str, url: str, body: object = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the local sandbox
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return json.loads(answer.read() or b"null")


@pytest.mark.parametrize(
    ("company_id", "erp_name"),
    [
        ("myob", "MYOB Advanced Construction"),
        ("intacct", "Sage Intacct"),
        ("cmic", "CMiC"),
        ("qbo", "QuickBooks Online"),
        ("xero", "Xero"),
        ("netsuite", "Oracle NetSuite"),
        ("workday", "Workday"),
        ("yardi", "Yardi Voyager"),
        ("mri", "MRI Platform X"),
    ],
)
def test_the_admin_reimports_a_change_made_in_the_erp(
    page: Page, stack: RunningStack, company_id: str, erp_name: str
) -> None:
    company = demo_data.company(company_id)
    project = company.projects[0]
    lines = _call("GET", _switch(stack, company))["lines"]  # type: ignore[index]
    first = next(line for line in lines if line["kind"] == "cost")
    key = {name: first[name] for name in ("sub_job", "cost_code", "cost_type")}
    total = sum(Decimal(line["amount"]) for line in lines if line["kind"] == "cost")

    sign_in(page, f"admin@{company_id}.test")
    open_synced_budgets(page)
    row = budget_row(page, project.name)
    expect(row).to_contain_text(project.project_id)
    expect(row.get_by_role("cell", name=erp_name, exact=True)).to_be_visible()
    expect(row).to_contain_text(f"{total:,.2f}")

    _call("POST", _switch(stack, company) + "/lines", {**key, "amount": "1000.00"})
    row.get_by_role("button", name="Re-import").click()
    page.get_by_role("dialog", name="Please Confirm").get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text(
        "Successfully Re-imported to Budget Bridge", timeout=JOB_TIMEOUT_MS
    )
    expect(row).to_contain_text(f"{total + 1000:,.2f}")


def test_the_quickbooks_admin_previews_how_the_connection_maps_a_job(
    page: Page, stack: RunningStack
) -> None:
    company = demo_data.company("qbo")
    project = company.projects[0]
    lines = _call("GET", _switch(stack, company))["lines"]  # type: ignore[index]

    sign_in(page, "admin@qbo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()
    page.get_by_role("navigation", name="ERP Integrations sections").get_by_role(
        "link", name="Connection"
    ).click()
    preview = page.get_by_role("region", name="Mapping preview")
    preview.get_by_role("textbox", name="ERP job").fill(project.project_id)
    preview.get_by_role("button", name="Preview mapping").click()

    table = preview.get_by_role("table", name="Mapped lines")
    expect(table).to_be_visible(timeout=JOB_TIMEOUT_MS)
    first = next(line for line in lines if line["kind"] == "cost")
    expect(table.get_by_role("cell", name=first["cost_code"], exact=True).first).to_be_visible()
    expect(preview).to_contain_text(f"of {project.project_id}")
