"""A new company's first day in the web app, step by step, as its admin and then its first invitee do it.

Shared by the browser test (`test_adoption.py`) and the README's screenshots (`screenshots.py`):
each step is what a person clicks and types; `shot` is called where the README shows the page.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from playwright.sync_api import Page, expect

from devstack import demo_data
from tests.browser.conftest import JOB_TIMEOUT_MS, budget_row, money, sign_in
from tests.e2e.conftest import RunningStack, request
from tests.fixtures.erp import SandboxClient

Shot = Callable[[str], None]

ADMIN = "admin@fresh.test"
MEMBER = "pm@fresh.test"
TENANT = "Fresh"
JOB_ID = "F-3001"
PROJECT_NAME = "Fresh Tower"
WRONG_ERP_PASSWORD = "not-the-sandbox-password"
NEW_PASSWORD = "Fresh-Start-pass-2026!"


def no_shot(_name: str) -> None:
    """The test's `shot`: the walk is the same, nothing is written."""


def main_nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def erp_tab(page: Page, name: str) -> None:
    main_nav(page, "ERP Integrations")
    page.get_by_role("navigation", name="ERP Integrations sections").get_by_role(
        "link", name=name, exact=True
    ).click()


def settings_tab(page: Page, name: str) -> None:
    main_nav(page, "Company Settings")
    page.get_by_role("navigation", name="Company Settings sections").get_by_role(
        "link", name=name, exact=True
    ).click()


def connect_the_erp(page: Page, stack: RunningStack, shot: Shot) -> None:
    """Budgets says where to go; Connection: a wrong ERP password is saved and fails its test, then the right one."""
    expect(page.get_by_text("No ERP is connected to this company yet")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Connect your ERP").click()
    expect(page.get_by_role("heading", name="Connection", level=1)).to_be_visible()

    page.get_by_label("ERP System").select_option(label="Acumatica")
    page.get_by_label("Base URL").fill(stack.erp_url)
    page.get_by_label("Company", exact=True).fill(TENANT)
    expect(page.get_by_label("Endpoint Version")).to_have_value("23.200.001")
    page.get_by_label("ERP Username").fill(demo_data.SANDBOX_USERNAME)
    page.get_by_label("ERP Password").fill(WRONG_ERP_PASSWORD)
    page.get_by_role("button", name="Save Connection").click()
    expect(page.get_by_role("status")).to_contain_text("Connection saved")

    page.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_role("alert")).to_contain_text("Connection test failed")
    facts = page.get_by_role("region", name="Saved connection")
    expect(facts).to_contain_text("Failing")
    expect(facts).not_to_contain_text("Working")
    # The stored password is never shown again: the field is empty and says it is set.
    expect(page.get_by_label("ERP Password")).to_have_value("")
    expect(page.get_by_text("Set. Leave empty to keep it.").first).to_be_visible()
    assert WRONG_ERP_PASSWORD not in page.content()

    page.get_by_label("ERP Username").fill(demo_data.SANDBOX_USERNAME)
    page.get_by_label("ERP Password").fill(demo_data.SANDBOX_PASSWORD)
    page.get_by_role("button", name="Save Connection").click()
    expect(page.get_by_role("status")).to_contain_text("Connection saved")
    page.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_role("status")).to_contain_text("Connection works")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(facts).to_contain_text("Working")
    assert demo_data.SANDBOX_PASSWORD not in page.content()
    # The picture shows the top of the page: the result, the status and the first fields.
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    shot("adoption-connection.png")


def sync_the_catalog(page: Page) -> None:
    settings_tab(page, "Cost Codes")
    page.get_by_role("button", name="Sync from ERP").click()
    expect(page.get_by_role("status")).to_contain_text("Added")
    expect(page.get_by_role("table", name="Cost codes").get_by_role("rowheader")).not_to_have_count(
        0
    )
    expect(page.get_by_role("table", name="Cost types").get_by_role("rowheader")).not_to_have_count(
        0
    )


def link_and_import(page: Page, shot: Shot) -> None:
    erp_tab(page, "Projects")
    table = page.get_by_role("table", name="ERP projects")
    row = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=JOB_ID, exact=True)
    )
    expect(row).to_contain_text(PROJECT_NAME)
    expect(row).to_contain_text("Not linked")
    row.get_by_role("button", name="Link", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"{JOB_ID} is linked to the new project")
    expect(row.get_by_role("link", name=PROJECT_NAME)).to_be_visible()
    expect(row.get_by_role("button", name="Link", exact=True)).to_have_count(0)
    shot("adoption-projects.png")

    page.get_by_role("status").get_by_role("link").click()
    budget = budget_row(page, PROJECT_NAME, "Ready to Import")
    budget.get_by_role("button", name="Import", exact=True).click()
    page.get_by_role("dialog", name="Please Confirm").get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text(
        "Successfully Imported to Budget Bridge", timeout=JOB_TIMEOUT_MS
    )


def invite_the_project_manager(page: Page, shot: Shot) -> None:
    settings_tab(page, "Members")
    page.get_by_role("button", name="Invite Member").click()
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    page.get_by_label("Email", exact=True).fill(MEMBER)
    page.get_by_label("ERP Integrations Permission").select_option("standard")
    page.get_by_label("Budget Permission").select_option("standard")
    page.get_by_role("button", name="Send Invitation").click()
    expect(page.get_by_role("status")).to_have_text(f"Invitation sent to {MEMBER}.")
    row = page.get_by_role("table", name="Members").get_by_role("row").filter(has_text=MEMBER)
    expect(row).to_contain_text("Invited")
    expect(row.get_by_role("combobox", name=f"ERP Integrations access for {MEMBER}")).to_have_value(
        "standard"
    )
    expect(row.get_by_role("combobox", name=f"Budget access for {MEMBER}")).to_have_value(
        "standard"
    )
    page.evaluate("() => document.activeElement?.blur()")
    shot("adoption-members.png")


def temporary_password(stack: RunningStack, email: str) -> str:
    """The invitation's temporary password, from the local stack's outbox (newest first)."""
    # Asked as the company's admin: the outbox is a local-stack aid, but still behind sign-in.
    answer = request("GET", f"{stack.api_url}/dev/outbox", token=stack.sign_in(ADMIN))
    assert answer.status == 200, (answer.status, answer.body)
    mails = [mail for mail in answer.body if mail["to"] == email]
    assert mails, f"no invitation to {email} in the outbox: {answer.body}"
    return str(mails[0]["temporary_password"])


def sign_in_with_temporary_password(page: Page, email: str, password: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    new_password = page.get_by_label("New Password")
    expect(new_password).to_be_focused()
    new_password.fill("short")
    page.get_by_role("button", name="Set Password").click()
    expect(page.get_by_role("alert")).to_be_visible()
    new_password.fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set Password").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def change_a_line_in_the_erp(stack: RunningStack) -> tuple[tuple[str, str, str], Decimal]:
    """Raises one Expense line that is alone on its key; answers the key and its new amount."""
    erp = SandboxClient(stack.erp_url, tenant=TENANT)

    def key(line: dict[str, Any]) -> tuple[str, str, str]:
        return (
            line["ProjectTaskID"]["value"],
            line["CostCode"]["value"],
            line["AccountGroup"]["value"],
        )

    expense = [line for line in erp.lines(JOB_ID) if line["Type"]["value"] == demo_data.EXPENSE]
    alone = [line for line in expense if sum(key(other) == key(line) for other in expense) == 1]
    assert alone, "every Expense line of F-3001 shares its key"
    entity = alone[0]
    amount = Decimal(str(entity["OriginalBudgetedAmount"]["value"])) + Decimal("4321.09")
    erp.put_line(id=entity["id"], OriginalBudgetedAmount=amount)
    return key(entity), amount


def reimport_and_see_the_change(page: Page, key: tuple[str, str, str], amount: Decimal) -> None:
    erp_tab(page, "Budgets")
    page.get_by_role("radiogroup", name="Filter Estimates By").get_by_role(
        "radio", name="Synced"
    ).check()
    row = budget_row(page, PROJECT_NAME)
    row.get_by_role("button", name="Re-import").click()
    page.get_by_role("dialog", name="Please Confirm").get_by_role("button", name="OK").click()
    expect(page.get_by_role("status")).to_have_text(
        "Successfully Re-imported to Budget Bridge", timeout=JOB_TIMEOUT_MS
    )
    expect(page.get_by_role("region", name="Job status")).to_contain_text("1 updated")
    row.get_by_role("link", name=PROJECT_NAME).click()
    label = " / ".join(key)
    line = (
        page.get_by_role("table", name="Line items")
        .get_by_role("row")
        .filter(has=page.get_by_role("button", name=f"Edit {label}", exact=True))
    )
    expect(line).to_contain_text(money(amount))


def walk(page: Page, stack: RunningStack, shot: Shot = no_shot) -> None:
    sign_in(page, ADMIN)
    connect_the_erp(page, stack, shot)
    sync_the_catalog(page)
    link_and_import(page, shot)
    invite_the_project_manager(page, shot)
    password = temporary_password(stack, MEMBER)
    sign_in_with_temporary_password(page, MEMBER, password)
    key, amount = change_a_line_in_the_erp(stack)
    reimport_and_see_the_change(page, key, amount)
