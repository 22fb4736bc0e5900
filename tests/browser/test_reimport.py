"""The re-import in Chromium as a person does it: the seed's steps by mouse and by keyboard alone,
a job that fails on bad ERP lines, and ERP text that carries HTML."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from playwright.sync_api import Locator, Page, expect

from devstack import demo_data
from tests.browser.conftest import (
    JOB_TIMEOUT_MS,
    budget_row,
    erp_total,
    money,
    open_synced_budgets,
    press_until_focused,
    sign_in,
)
from tests.fixtures.erp import SandboxClient

SUCCESS = "Successfully Re-imported to Budget Bridge"


def line_label(key: tuple[str, str, str]) -> str:
    return " / ".join(key)


def erp_entity(erp: SandboxClient, project_id: str, key: tuple[str, str, str]) -> dict[str, Any]:
    """The ERP's only Expense line on `key` (a key fed by one ERP line)."""
    found = [
        line
        for line in erp.lines(project_id)
        if line["Type"]["value"] == demo_data.EXPENSE
        and (
            line["ProjectTaskID"]["value"],
            line["CostCode"]["value"],
            line["AccountGroup"]["value"],
        )
        == key
    ]
    assert len(found) == 1, found
    return found[0]


def amount_of(entity: dict[str, Any]) -> Decimal:
    return Decimal(str(entity["OriginalBudgetedAmount"]["value"]))


def line_row(page: Page, key: tuple[str, str, str]) -> Locator:
    """The Budget tab's row of one line, found by its Edit button (standard users and up)."""
    edit = page.get_by_role("button", name=f"Edit {line_label(key)}", exact=True)
    return page.get_by_role("table", name="Line items").get_by_role("row").filter(has=edit)


def total_cell(row: Locator) -> Locator:
    # Cells after the Project Name row header: ERP Job ID, ERP System, Current Procore Total, ...
    return row.get_by_role("cell").nth(2)


def confirm_and_wait_for_success(page: Page) -> None:
    dialog = page.get_by_role("dialog", name="Please Confirm")
    expect(dialog).to_be_visible()
    # OK waits for the preview: it applies exactly what the dialog shows.
    ok = dialog.get_by_role("button", name="OK")
    expect(ok).to_be_enabled(timeout=JOB_TIMEOUT_MS)
    ok.click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(SUCCESS, timeout=JOB_TIMEOUT_MS)


def test_standard_user_reimports_a_changed_erp_amount_and_sees_it_on_the_budget_tab(
    page: Page, erp: SandboxClient
) -> None:
    project = demo_data.company("demo").project("P-1001")
    summed_key = project.erp_lines[0].key  # fed by two ERP lines: not the one to change
    key, (uom, quantity, _unit_cost) = next(
        (key, units) for key, units in project.project_units.items() if key != summed_key
    )
    entity = erp_entity(erp, "P-1001", key)
    new_amount = amount_of(entity) + Decimal("1111.11")
    erp.put_line(id=entity["id"], OriginalBudgetedAmount=new_amount)
    new_total = erp_total(erp, "P-1001")

    sign_in(page, "standard@demo.test")
    open_synced_budgets(page)
    row = budget_row(page, project.name)
    expect(row).to_contain_text("P-1001")
    expect(total_cell(row)).not_to_have_text(money(new_total))

    row.get_by_role("button", name="Re-import").click()
    dialog = page.get_by_role("dialog", name="Please Confirm")
    expect(dialog).to_contain_text(project.name)
    confirm_and_wait_for_success(page)
    expect(total_cell(row)).to_have_text(money(new_total))

    row.get_by_role("link", name=project.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{project.name} Budget")
    cells = line_row(page, key).get_by_role("cell")
    expect(cells.nth(4)).to_have_text(money(new_amount))
    expect(cells.nth(5)).to_have_text(uom)
    expect(cells.nth(6)).to_have_text(f"{quantity:,}")


def focus_is_in_dialog(page: Page) -> bool:
    return page.evaluate(
        "() => !!document.querySelector('[role=dialog]')?.contains(document.activeElement)"
    )


def test_the_reimport_works_by_keyboard_alone_with_focus_kept_in_the_dialog(
    page: Page, erp: SandboxClient, add_synced_project: Any
) -> None:
    project = add_synced_project("Keyboard Plaza")
    key = ("0001", "01-100", "M")
    entity = erp_entity(erp, project.project_id, key)
    new_amount = amount_of(entity) + Decimal("2222.22")
    erp.put_line(id=entity["id"], OriginalBudgetedAmount=new_amount)
    new_total = erp_total(erp, project.project_id)

    page.goto("/")
    email = page.get_by_role("textbox", name="Email")
    press_until_focused(page, email)
    page.keyboard.type("standard@demo.test")
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name="Password")).to_be_focused()
    page.keyboard.type(demo_data.DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    erp_link = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="ERP Integrations"
    )
    press_until_focused(page, erp_link)
    page.keyboard.press("Enter")
    budgets_link = page.get_by_role("navigation", name="ERP Integrations sections").get_by_role(
        "link", name="Budgets"
    )
    press_until_focused(page, budgets_link)
    page.keyboard.press("Enter")

    # A radio group is one Tab stop; the arrow keys choose within it.
    filters = page.get_by_role("radiogroup", name="Filter Estimates By")
    synced = filters.get_by_role("radio", name="Synced")
    press_until_focused(page, filters.get_by_role("radio", name="Ready to Import"))
    page.keyboard.press("ArrowRight")
    expect(synced).to_be_checked()
    expect(synced).to_be_focused()

    row = budget_row(page, project.name)
    button = row.get_by_role("button", name="Re-import")
    press_until_focused(page, button)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Please Confirm")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    for key_name in ["Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]:
        page.keyboard.press(key_name)
        assert focus_is_in_dialog(page), f"focus left the dialog after {key_name}"

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    expect(page.get_by_role("progressbar")).to_have_count(0)

    page.keyboard.press("Space")
    expect(dialog).to_be_visible()
    ok = dialog.get_by_role("button", name="OK")
    expect(ok).to_be_enabled(timeout=JOB_TIMEOUT_MS)
    press_until_focused(page, ok)
    page.keyboard.press("Enter")
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(SUCCESS, timeout=JOB_TIMEOUT_MS)
    expect(total_cell(row)).to_have_text(money(new_total))

    press_until_focused(page, row.get_by_role("link", name=project.name), key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{project.name} Budget")
    expect(line_row(page, key).get_by_role("cell").nth(4)).to_have_text(money(new_amount))


def test_bad_erp_lines_are_listed_in_the_preview_with_ok_disabled_and_nothing_changes(
    page: Page, erp: SandboxClient
) -> None:
    project = demo_data.company("demo").project("P-1003")
    key = project.erp_lines[5].key
    entity = erp_entity(erp, "P-1003", key)
    erp.put_line(id=entity["id"], OriginalBudgetedAmount="abc")
    try:
        sign_in(page, "standard@demo.test")
        open_synced_budgets(page)
        row = budget_row(page, project.name)
        total_before = total_cell(row).inner_text()

        row.get_by_role("button", name="Re-import").click()
        dialog = page.get_by_role("dialog", name="Please Confirm")
        alert = dialog.get_by_role("alert")
        expect(alert).to_be_visible(timeout=JOB_TIMEOUT_MS)
        errors = dialog.get_by_role("table", name="ERP lines that could not be accepted")
        expect(errors.get_by_role("row")).to_have_count(2)  # the header and the one bad line
        bad_line = errors.get_by_role("row").nth(1)
        expect(bad_line).to_contain_text(line_label(key))
        expect(bad_line).to_contain_text("abc")
        expect(dialog.get_by_role("button", name="OK")).to_be_disabled()

        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        expect(page.get_by_role("status")).to_have_text("")
        expect(total_cell(row)).to_have_text(total_before)
        row.get_by_role("link", name=project.name).click()
        summary = page.get_by_role("region", name="Budget summary")
        expect(summary).to_contain_text(total_before)
    finally:
        erp.put_line(id=entity["id"], OriginalBudgetedAmount=amount_of(entity))


MARKUP = '<img src=x onerror="window.__xss=1">Steel <b>beams</b>'


def test_erp_text_with_html_is_shown_as_text_and_never_runs(
    page: Page, erp: SandboxClient, add_synced_project: Any
) -> None:
    project = add_synced_project("Markup Tower")
    new_key = ("0001", "26-100", "L")  # not among the generated project's first lines
    erp.put_line(
        ProjectID=project.project_id,
        ProjectTaskID=new_key[0],
        CostCode=new_key[1],
        AccountGroup=new_key[2],
        Type=demo_data.EXPENSE,
        Description=MARKUP,
        OriginalBudgetedAmount=Decimal("4321.09"),
    )

    sign_in(page, "standard@demo.test")
    open_synced_budgets(page)
    row = budget_row(page, project.name)
    row.get_by_role("button", name="Re-import").click()
    confirm_and_wait_for_success(page)
    row.get_by_role("link", name=project.name).click()

    added = line_row(page, new_key)
    expect(added.get_by_role("cell").nth(3)).to_have_text(MARKUP)
    expect(added.get_by_role("cell").nth(4)).to_have_text("4,321.09")
    assert page.evaluate("() => window.__xss") is None
    expect(page.get_by_role("table", name="Line items").locator("img")).to_have_count(0)
    expect(page.get_by_role("table", name="Line items").locator("b")).to_have_count(0)
