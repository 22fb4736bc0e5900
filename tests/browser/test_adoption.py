"""A company adopts Budget Bridge through the web app alone: its admin connects the ERP (a wrong
password first), syncs the cost codes, links and imports a job and invites a project manager, who
signs in with the temporary password, chooses a new one and re-imports a change made in the ERP.
Also: the adoption pages follow the permissions, and a refused Base URL is announced."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.adoption import walk
from tests.browser.conftest import press_until_focused, sign_in
from tests.e2e.conftest import RunningStack


def test_a_new_company_connects_its_erp_links_a_job_and_its_invitee_reimports_a_change(
    page: Page, stack: RunningStack
) -> None:
    walk(page, stack)


def test_below_erp_admin_neither_connection_nor_settings_is_offered(page: Page) -> None:
    sign_in(page, "standard@demo.test")
    sections = page.get_by_role("navigation", name="ERP Integrations sections")
    expect(sections.get_by_role("link")).to_have_text(["Budgets", "Projects"])
    page.goto("/#/companies/demo/erp/connection")
    expect(page.get_by_role("heading", name="No access")).to_be_visible()
    expect(page.get_by_role("button", name="Save Connection")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Company Settings").click()
    settings = page.get_by_role("navigation", name="Company Settings sections")
    expect(settings.get_by_role("link")).to_have_text(["Cost Codes"])


def test_a_refused_base_url_is_announced_by_keyboard_alone_and_nothing_changes(page: Page) -> None:
    sign_in(page, "admin@demo.test")
    page.goto("/#/companies/demo/erp/connection")
    base_url = page.get_by_label("Base URL")
    expect(base_url).not_to_have_value("")
    saved = base_url.input_value()
    press_until_focused(page, base_url)
    page.keyboard.press("Control+A")
    page.keyboard.type("http://169.254.169.254")
    press_until_focused(page, page.get_by_role("button", name="Save Connection"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(base_url).to_have_attribute("aria-invalid", "true")
    expect(base_url).to_be_focused()
    page.reload()
    expect(page.get_by_label("Base URL")).to_have_value(saved)
