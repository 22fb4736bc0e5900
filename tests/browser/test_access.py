"""Who may do what, as the browser shows it: a wrong password, a locked budget, a read-only user,
a budget admin locking and unlocking a budget, a member of two companies switching between them,
and someone with Budget access alone finding a project's budget."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from devstack import demo_data
from tests.browser.conftest import budget_row, budgets_table, open_synced_budgets, sign_in
from tests.e2e.conftest import RunningStack, request

LOCK_REASON = "Unlock the budget to re-import"


def test_a_wrong_password_is_refused_with_an_alert(page: Page) -> None:
    page.goto("/")
    page.get_by_role("textbox", name="Email").fill("standard@demo.test")
    page.get_by_role("textbox", name="Password").fill("Not-the-password-1")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("The email or password is incorrect.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()


def test_a_locked_budget_cannot_be_reimported_and_says_why(page: Page) -> None:
    locked = demo_data.company("demo").project("P-1002")
    assert locked.locked

    sign_in(page, "standard@demo.test")
    open_synced_budgets(page)

    row = budget_row(page, locked.name)
    expect(row.get_by_role("button", name="Re-import")).to_be_disabled()
    expect(row.get_by_text(LOCK_REASON)).to_be_visible()
    unlocked = budget_row(page, demo_data.company("demo").project("P-1001").name)
    expect(unlocked.get_by_role("button", name="Re-import")).to_be_enabled()
    expect(unlocked.get_by_text(LOCK_REASON)).to_have_count(0)


def test_a_read_only_user_can_look_but_not_reimport_lock_or_edit(page: Page) -> None:
    project = demo_data.company("demo").project("P-1001")

    sign_in(page, "readonly@demo.test")
    open_synced_budgets(page)
    table = budgets_table(page)
    expect(budget_row(page, project.name)).to_contain_text("View only")
    expect(table.locator("button:enabled", has_text="Import")).to_have_count(0)
    expect(table.get_by_role("button", name="Re-import")).to_have_count(0)

    budget_row(page, project.name).get_by_role("link", name=project.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{project.name} Budget")
    expect(page.get_by_role("table", name="Line items")).to_be_visible()
    expect(page.get_by_role("button", name="Lock Budget", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Unlock Budget")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Edit\b"))).to_have_count(0)


def test_a_budget_admin_locks_and_unlocks_a_budget_and_the_list_follows(
    page: Page, add_synced_project: Any
) -> None:
    project = add_synced_project("Lockable Depot")

    sign_in(page, "admin@demo.test")
    open_synced_budgets(page)
    row = budget_row(page, project.name)
    expect(row.get_by_role("button", name="Re-import")).to_be_enabled()

    row.get_by_role("link", name=project.name).click()
    summary = page.get_by_role("region", name="Budget summary")
    expect(summary.get_by_text("Unlocked", exact=True)).to_be_visible()
    summary.get_by_role("button", name="Lock Budget", exact=True).click()
    expect(summary.get_by_text("Locked", exact=True)).to_be_visible()
    expect(summary.get_by_role("button", name="Unlock Budget")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Edit\b"))).to_have_count(0)

    page.go_back()
    expect(row.get_by_role("button", name="Re-import")).to_be_disabled()
    expect(row.get_by_text(LOCK_REASON)).to_be_visible()

    row.get_by_role("link", name=project.name).click()
    summary.get_by_role("button", name="Unlock Budget").click()
    expect(summary.get_by_text("Unlocked", exact=True)).to_be_visible()
    expect(summary.get_by_role("button", name="Lock Budget", exact=True)).to_be_visible()

    open_synced_budgets(page)
    expect(row.get_by_role("button", name="Re-import")).to_be_enabled()
    expect(row.get_by_text(LOCK_REASON)).to_have_count(0)


def test_a_member_of_two_companies_switches_company_and_the_rights_follow(page: Page) -> None:
    demo = demo_data.company("demo")
    other = demo_data.company("other")
    synced_demo = demo.project("P-1001")
    synced_other = other.project("P-2001")
    edit = page.get_by_role("button", name=re.compile(r"^Edit\b"))

    sign_in(page, "accountant@demo.test")
    switcher = page.get_by_role("combobox", name="Company")
    expect(switcher.get_by_role("option")).to_have_text([demo.name, other.name])
    open_synced_budgets(page)
    expect(switcher).to_have_value("demo")
    # In `demo`: ERP standard may re-import, Budget read_only may not edit.
    expect(
        budget_row(page, synced_demo.name).get_by_role("button", name="Re-import")
    ).to_be_enabled()
    budget_row(page, synced_demo.name).get_by_role("link", name=synced_demo.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{synced_demo.name} Budget")
    expect(page.get_by_role("table", name="Line items")).to_be_visible()
    expect(edit).to_have_count(0)

    switcher.select_option(label=other.name)
    expect(switcher).to_have_value("other")
    open_synced_budgets(page)
    # In `other`: ERP read_only may only look, and demo's projects are nowhere.
    row = budget_row(page, synced_other.name)
    expect(row).to_contain_text(synced_other.project_id)
    expect(row).to_contain_text("View only")
    table = budgets_table(page)
    expect(table.get_by_role("button", name="Re-import")).to_have_count(0)
    for project in demo.projects:
        expect(table.get_by_role("link", name=project.name, exact=True)).to_have_count(0)
        expect(table.get_by_text(project.project_id, exact=True)).to_have_count(0)

    # ...and Budget standard may edit lines there, but not lock the budget.
    row.get_by_role("link", name=synced_other.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{synced_other.name} Budget")
    expect(edit.first).to_be_visible()
    expect(page.get_by_role("button", name="Lock Budget", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Unlock Budget")).to_have_count(0)


def _budget_only_member(stack: RunningStack, email: str, password: str) -> None:
    """A new member of `demo` with Budget read-only and no ERP access, password already chosen."""
    api = stack.api_url
    admin = stack.sign_in("admin@demo.test")
    member = {"email": email, "erp_permission": "none", "budget_permission": "read_only"}
    added = request("POST", f"{api}/companies/demo/members", member, token=admin)
    assert added.status == 201, (added.status, added.body)
    mails = request("GET", f"{api}/dev/outbox", token=admin).body
    temporary = next(m["temporary_password"] for m in mails if m["to"] == email)
    challenge = request("POST", f"{api}/session", {"email": email, "password": temporary}).body
    chosen = {"email": email, "session": challenge["session"], "new_password": password}
    answer = request("POST", f"{api}/session/new-password", chosen)
    assert answer.status == 200, (answer.status, answer.body)


def test_someone_with_budget_access_alone_starts_on_project_budgets_and_opens_one(
    page: Page, stack: RunningStack
) -> None:
    demo = demo_data.company("demo")
    synced = demo.project("P-1001")
    email, password = "site.manager@demo.test", "Budget-only-pass-1"
    _budget_only_member(stack, email, password)

    sign_in(page, email, password)

    expect(page.get_by_role("heading", name="Project Budgets")).to_be_visible()
    table = page.get_by_role("table", name="Project budgets")
    for project in demo.projects:
        expect(table.get_by_role("link", name=project.name, exact=True)).to_be_visible()
    table.get_by_role("link", name=synced.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{synced.name} Budget")
    expect(page.get_by_role("table", name="Line items")).to_be_visible()

    # The ERP Budgets list is not theirs, and says where their list is.
    page.get_by_role("link", name="ERP Integrations").click()
    expect(page.get_by_role("heading", name="No access")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Project Budgets").click()
    expect(page.get_by_role("table", name="Project budgets")).to_be_visible()
    # Their main navigation leads back from any page, and says where they are.
    budget_row_link = page.get_by_role("table", name="Project budgets").get_by_role(
        "link", name=synced.name, exact=True
    )
    budget_row_link.click()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Project Budgets").click()
    expect(nav.get_by_role("link", name="Project Budgets")).to_have_attribute(
        "aria-current", "page"
    )
