"""Browser fixtures: one local stack and one Debian Chromium per session, a fresh context per test.

The stack is the end-to-end tier's own (`python -m devstack.stack` on free ports, serving the
built web app at `/`). Tests that change data use their own project where they can (a synced
budget added on both sides by `add_synced_project`) or restore what they changed, so they pass in
any order. A failing test leaves a screenshot under `test-results/`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from devstack import chromium, demo_data
from tests.e2e.conftest import REPO, RunningStack, start_stack, stop_stack
from tests.fixtures.erp import SandboxClient

VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
RESULTS = REPO / "test-results"
COMPANY_ID = "demo"
# Long enough for a re-import on a busy two-core machine; short enough to fail a hung job visibly.
JOB_TIMEOUT_MS = 45_000

expect.set_options(timeout=10_000)


def launch_chromium(playwright: Playwright) -> Browser:
    try:
        return chromium.launch_chromium(playwright)
    except chromium.ChromiumMissing as missing:
        pytest.fail(str(missing))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keeps each phase's report on the test item, so `page` can tell a failed test at teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    if not (REPO / "frontend" / "dist" / "index.html").exists():
        pytest.fail("The web app is not built: `make web` (cd frontend && npm run build).")
    with tempfile.TemporaryDirectory(prefix="budget-bridge-browser-") as folder:
        # No automatic re-imports: every job in these tests is one a test asked for.
        running = start_stack(Path(folder) / "stack.log", SCHEDULE_INTERVAL_SECONDS="3600")
        try:
            yield running
        finally:
            stop_stack(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, stack: RunningStack, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=stack.web_url)
    opened = context.new_page()
    try:
        yield opened
    finally:
        failed = any(
            getattr(getattr(request.node, f"report_{when}", None), "failed", False)
            for when in ("setup", "call")
        )
        if failed:
            RESULTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            with contextlib.suppress(Exception):
                opened.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
        context.close()


@pytest.fixture
def erp(stack: RunningStack) -> SandboxClient:
    return SandboxClient(stack.erp_url)


# --- what a person does --------------------------------------------------------------------------


def sign_in(page: Page, email: str, password: str = demo_data.DEMO_PASSWORD) -> None:
    page.goto("/")
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def press_until_focused(page: Page, target: Locator, key: str = "Tab", limit: int = 80) -> None:
    """Presses `key` until `target` has the focus, as a keyboard user tabs through a page."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press(key)
    pytest.fail(f"{key} never reached {target}")


def open_synced_budgets(page: Page) -> None:
    """ERP Integrations -> Budgets -> Filter Estimates By: Synced, by clicks."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()
    page.get_by_role("navigation", name="ERP Integrations sections").get_by_role(
        "link", name="Budgets"
    ).click()
    page.get_by_role("radiogroup", name="Filter Estimates By").get_by_role(
        "radio", name="Synced"
    ).check()
    expect(budgets_table(page, "Synced")).to_be_visible()


def budgets_table(page: Page, filter_label: str = "Synced") -> Any:
    return page.get_by_role("table", name=f"Budgets: {filter_label}")


def budget_row(page: Page, project_name: str, filter_label: str = "Synced") -> Any:
    """The Budgets table's row whose Project Name link is `project_name`."""
    return (
        budgets_table(page, filter_label)
        .get_by_role("row")
        .filter(has=page.get_by_role("link", name=project_name, exact=True))
    )


def money(amount: Decimal) -> str:
    """An amount as the web app shows it: thousands separators and two decimals."""
    return f"{amount:,.2f}"


# --- data ---------------------------------------------------------------------------------------


def erp_total(erp: SandboxClient, project_id: str) -> Decimal:
    """The cost budget's total in the ERP: what a re-import makes the project's total."""
    return sum(
        (
            Decimal(str(line["OriginalBudgetedAmount"]["value"]))
            for line in erp.lines(project_id)
            if line["Type"]["value"] == demo_data.EXPENSE
        ),
        Decimal("0"),
    )


@contextlib.contextmanager
def stack_aws(stack: RunningStack) -> Iterator[None]:
    """The app's AWS adapters, built for this block against the stack's embedded AWS (moto)."""
    from chalicelib.adapters import aws

    names = ("AWS_ENDPOINT_URL",)
    saved = {name: os.environ.get(name) for name in names}
    os.environ["AWS_ENDPOINT_URL"] = stack.aws_url
    aws.reset_clients()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        aws.reset_clients()


@dataclasses.dataclass(frozen=True)
class Project:
    project_id: str
    name: str


_numbers = itertools.count(1)


@pytest.fixture
def add_synced_project(stack: RunningStack, erp: SandboxClient) -> Callable[..., Project]:
    """A synced budget of its own for a test: generated in the sandbox ERP, imported as the seed
    imports (the devstack seeder's `project_budget`, written by the app's DynamoDB budget store)."""

    def add(label: str, lines: int = 6, *, locked: bool = False) -> Project:
        from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
        from chalicelib.domain.model import CostCatalog, utc_now
        from devstack.seed import project_budget

        number = next(_numbers)
        project_id = f"T-{number:04d}"
        name = f"{label} {number}"
        erp.generate(project_id, lines, seed=number)
        company = demo_data.company(COMPANY_ID)
        project = dataclasses.replace(
            demo_data.large_project(project_id, lines, number, COMPANY_ID, name), locked=locked
        )
        catalog = CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
        budget, items = project_budget(company, project, catalog, utc_now() - timedelta(days=2))
        with stack_aws(stack):
            DynamoBudgetStore().create_budget(budget, items)
        return Project(project_id, name)

    return add
