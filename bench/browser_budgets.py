"""The web app at scale in Chromium: `python -m bench.browser_budgets [--budgets 5000] [--lines 100000]`.

It starts the local stack (devstack.stack.LocalStack) on free ports, writes through the app's
DynamoDB budget store (the seeder's `devstack.seed.project_budget`) `--budgets` extra budgets for
company demo (half synced with a few lines each, half ready to import) and one synced budget of
`--lines` lines, signs in as standard@demo.test in Debian's Chromium and measures, on a fresh page
each run:

The Budgets list (ERP Integrations -> Budgets):
- first page: from navigating to `#/companies/demo/erp/budgets?filter=synced` (a full page load)
  to its first page of rows painted;
- filter switch: from the click on "Ready to Import" to its first page painted.

The Budget tab of the large budget:
- first paint: from navigating to the tab (a full page load) to its first line painted;
- every line read: until the tab has all `--lines` lines (read in the background);
- each way of finding lines, on every line: a Sub Job (the middle line's), a Cost Code and a Cost Type filter, a text
  search, and a sort by each column: from the input event to the next frame painted after it;
- a jump to the middle of the table: from the scroll to the rows there painted.

Every figure is read in the page (`performance.now()`; a MutationObserver notes when the rows are
in the document, then waits for the next frame), so none holds test-driver latency. The bars are in
docs/performance.md; nothing here asserts them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

COMPANY_ID = "demo"
EXTRA_BUDGETS = 5_000
LARGE_LINES = 100_000
LARGE_PROJECT = "B-LINES"
LINES_PER_SYNCED_BUDGET = 4
LIST_PAGE_ROWS = 50  # the Budgets list's page (BudgetsView.PAGE_SIZE)
FIRST_PAGE_MS = 1000.0
FILTER_SWITCH_MS = 500.0
FIRST_PAINT_MS = 1000.0
FIND_MS = 200.0
SIGN_IN = "standard@demo.test"
VIEWPORT = {"width": 1280, "height": 800}

# Runs in every document before the app: notes (performance.now(), after the next paint) when a
# Budgets table first holds `want` rows, when "Ready to Import" is pressed, and when the Budget
# tab's line table first holds a line.
MARKS_SCRIPT = """
(() => {
  const marks = (window.__marks = {});
  const wanted = { "Budgets: Synced": %(synced)d, "Budgets: Ready to Import": %(ready)d, "Line items": 1 };
  const painted = (name) =>
    requestAnimationFrame(() => setTimeout(() => (marks[name] = performance.now()), 0));
  new MutationObserver(() => {
    for (const [label, want] of Object.entries(wanted)) {
      if (marks[label] !== undefined || marks[label + ":seen"]) continue;
      const table = document.querySelector(`table[aria-label="${label}"]`);
      const rows = table && table.tBodies[0] ? table.tBodies[0].querySelectorAll("tr:not([aria-hidden])") : [];
      if (rows.length > 0 && rows.length >= want && rows[0].cells.length > 1) {
        marks[label + ":seen"] = performance.now();
        painted(label);
      }
    }
  }).observe(document, { childList: true, subtree: true });
  document.addEventListener(
    "pointerdown",
    (event) => {
      const label = event.target.closest && event.target.closest("label");
      if (label && label.textContent.includes("Ready to Import")) marks.click = performance.now();
    },
    true,
  );
  // Each input, change or click: the time from the event to the next frame painted after it.
  marks.answers = [];
  marks.pending = false;
  for (const type of ["input", "change", "click"]) {
    document.addEventListener(
      type,
      () => {
        if (marks.pending) return;
        marks.pending = true;
        const start = performance.now();
        requestAnimationFrame(() =>
          setTimeout(() => {
            marks.answers.push(performance.now() - start);
            marks.pending = false;
          }, 0),
        );
      },
      true,
    );
  }
})();
"""


def _company_and_catalog() -> tuple[Any, Any]:
    from chalicelib.domain.model import CostCatalog
    from devstack import demo_data

    company = demo_data.company(COMPANY_ID)
    return company, CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))


def seed_budgets(count: int) -> tuple[int, int]:
    """`count` budgets for company demo, written by the app's store; answers (synced, ready)."""
    from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
    from chalicelib.domain.model import utc_now
    from devstack import demo_data
    from devstack.seed import project_budget

    company, catalog = _company_and_catalog()
    store = DynamoBudgetStore()
    when = utc_now() - timedelta(days=1)

    def create(number: int) -> str:
        status = "synced" if number % 2 else "ready_to_import"
        project = dataclasses.replace(
            demo_data.large_project(
                f"B-{number:05d}", LINES_PER_SYNCED_BUDGET, number, COMPANY_ID,
                f"Bench Site {number:05d}",
            ),
            status=status,
        )  # fmt: skip
        store.create_budget(*project_budget(company, project, catalog, when))
        return status

    # One writer: moto's TransactWriteItems is not safe to call from several threads at once.
    statuses = [create(number) for number in range(1, count + 1)]
    synced = statuses.count("synced")
    return synced, count - synced


def seed_large_budget(lines: int) -> None:
    """One synced budget of `lines` lines (project B-LINES) for company demo."""
    from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
    from chalicelib.domain.model import utc_now
    from devstack import demo_data
    from devstack.seed import project_budget

    company, catalog = _company_and_catalog()
    project = demo_data.large_project(LARGE_PROJECT, lines, 7, COMPANY_ID, "Bench Large Budget")
    when = utc_now() - timedelta(days=1)
    DynamoBudgetStore().create_budget(*project_budget(company, project, catalog, when))


def machine() -> str:
    from bench.run import machine as facts

    m = facts()
    load = ", ".join(f"{figure:.2f}" for figure in m["load_average"])
    return f"{m['cpu']}, {m['cores']} cores, {m['platform']}, load {load}"


def sign_in(page: Any, web_url: str) -> None:
    from devstack import demo_data

    page.goto(f"{web_url}/")
    page.get_by_role("textbox", name="Email").fill(SIGN_IN)
    page.get_by_role("textbox", name="Password").fill(demo_data.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def fresh_page(browser: Any, web_url: str, synced_rows: int, ready_rows: int) -> tuple[Any, Any]:
    """A signed-in page of its own context, about to make a measured full page load."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sign_in(page, web_url)
    page.wait_for_load_state("networkidle")  # no request of the sign-in left in flight
    page.add_init_script(MARKS_SCRIPT % {"synced": synced_rows, "ready": ready_rows})
    page.goto("about:blank")  # the measured navigation is a full page load
    return context, page


def list_run(browser: Any, web_url: str, synced_rows: int, ready_rows: int) -> dict[str, float]:
    context, page = fresh_page(browser, web_url, synced_rows, ready_rows)
    try:
        page.goto(f"{web_url}/#/companies/{COMPANY_ID}/erp/budgets?filter=synced")
        page.wait_for_function("() => window.__marks['Budgets: Synced'] !== undefined")
        load = page.evaluate("() => window.__marks['Budgets: Synced']")
        load_api, load_render = api_and_render_ms(page, "Budgets: Synced")

        page.get_by_role("radio", name="Ready to Import").click()
        page.wait_for_function("() => window.__marks['Budgets: Ready to Import'] !== undefined")
        marks = page.evaluate("() => window.__marks")
        shown = page.get_by_role("table", name="Budgets: Ready to Import").locator("tbody tr")
        if shown.count() < ready_rows:
            raise RuntimeError(f"the Ready to Import table shows {shown.count()} rows")
        filter_api, filter_render = api_and_render_ms(page, "Budgets: Ready to Import")
        page.wait_for_load_state("networkidle")
        return {
            "load_ms": load,
            "load_api_ms": load_api,
            "load_render_ms": load_render,
            "filter_ms": marks["Budgets: Ready to Import"] - marks["click"],
            "filter_api_ms": filter_api,
            "filter_render_ms": filter_render,
        }
    finally:
        context.close()


def api_and_render_ms(page: Any, table: str) -> tuple[float, float]:
    """The page's latest budgets-list request: its duration, and from its answer to the rows
    painted (resource timing), i.e. what the API costs and what the browser costs."""
    return tuple(
        page.evaluate(
            """(table) => {
              const calls = performance.getEntriesByType('resource')
                .filter((e) => e.name.includes('/erp/budgets'));
              const call = calls[calls.length - 1];
              return [call.duration, window.__marks[table] - call.responseEnd];
            }""",
            table,
        )
    )


def _answer_ms(page: Any, act: Any, settled: str) -> float:
    """Runs `act` (a person's input) and answers the page's time from its event to the next
    painted frame; `settled` is a page expression true once the table shows the answer."""
    page.wait_for_function("() => !window.__marks.pending")  # the previous input's frame is done
    page.evaluate("() => { window.__marks.answers = []; }")
    act()
    page.wait_for_function(settled)
    page.wait_for_function("() => window.__marks.answers.length > 0")
    return float(page.evaluate("() => window.__marks.answers[0]"))


def _rows_count_is(n: int) -> str:
    return f"() => document.querySelector('table[aria-label=\"Line items\"]').ariaRowCount === '{n + 2}'"


SORTS = (
    ("Sub Job", "sub_job"), ("Cost Code", "cost_code"), ("Cost Type", "cost_type"),
    ("Description", "description"), ("Amount", "original_budget_amount"), ("UOM", "uom"),
    ("Quantity", "quantity"), ("Unit Cost", "unit_cost"),
)  # fmt: skip


def lines_run(browser: Any, web_url: str, lines: int, expected: dict[str, Any]) -> dict[str, Any]:
    """The Budget tab of the large budget: first paint, all lines read, each filter and sort."""
    context, page = fresh_page(browser, web_url, 0, 0)
    try:
        page.goto(f"{web_url}/#/companies/{COMPANY_ID}/projects/{LARGE_PROJECT}/budget")
        page.wait_for_function("() => window.__marks['Line items'] !== undefined")
        first_paint = page.evaluate("() => window.__marks['Line items']")
        page.get_by_text(f"{lines:,} lines.", exact=True).wait_for(timeout=180_000)
        all_read = page.evaluate("() => performance.now()")
        table = page.get_by_role("table", name="Line items")
        held = table.locator("tbody").get_by_role("row").count()
        answers: dict[str, float] = {}

        def pick(label: str, value: str, key: str) -> None:
            answers[f"{label} filter"] = _answer_ms(
                page, lambda: page.get_by_label(label).select_option(value),
                _rows_count_is(expected[key]),
            )  # fmt: skip
            page.get_by_label(label).select_option(label="All")

        pick("Sub Job", expected["task"], "sub_job")
        pick("Cost Code", "03-300", "cost_code")
        pick("Cost Type", "M", "cost_type")
        answers["text search"] = _answer_ms(
            page, lambda: page.get_by_label("Search lines").fill("drywall - equip"),
            _rows_count_is(expected["text"]),
        )  # fmt: skip
        page.get_by_label("Search lines").fill("")
        page.wait_for_function(_rows_count_is(lines))
        for label, _column in SORTS:
            header = table.get_by_role("columnheader", name=label)
            answers[f"sort by {label}"] = _answer_ms(
                page, lambda header=header, label=label: header.get_by_role(
                    "button", name=label).click(),
                f"() => [...document.querySelectorAll('th[aria-sort]')].some(th => "
                f"th.textContent.startsWith({json.dumps(label)}))",
            )  # fmt: skip
        header = table.get_by_role("columnheader", name="Amount")
        header.get_by_role("button", name="Amount").click()  # ascending again, then measured:
        page.wait_for_function("() => document.querySelector('th[aria-sort=\"ascending\"]')"
                               "?.textContent.startsWith('Amount')")  # fmt: skip
        answers["sort by Amount, descending"] = _answer_ms(
            page, lambda: header.get_by_role("button", name="Amount").click(),
            "() => document.querySelector('th[aria-sort=\"descending\"]') !== null",
        )  # fmt: skip
        scroll = page.evaluate(
            """async (lines) => {
              const body = document.querySelector('table[aria-label="Line items"]').tBodies[0];
              const middle = Math.floor(lines / 2);
              const start = performance.now();
              window.scrollTo(0, window.scrollY + body.getBoundingClientRect().top
                + body.scrollHeight / 2);
              const there = () => [...body.rows].some((row) => {
                const at = Number(row.ariaRowIndex);
                return at > middle - 50 && at < middle + 50;
              });
              while (!there()) await new Promise((done) => requestAnimationFrame(done));
              await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
              return performance.now() - start;
            }""",
            lines,
        )
        return {
            "first_paint_ms": first_paint,
            "all_lines_ms": all_read,
            "rows_in_document": held,
            "answers_ms": answers,
            "scroll_to_middle_ms": scroll,
        }
    finally:
        context.close()


def expected_counts(lines: int) -> dict[str, Any]:
    """The sub job the bench filters on (the middle line's), and how many of the large budget's
    lines each measured filter keeps."""
    from devstack import demo_data

    project = demo_data.large_project(LARGE_PROJECT, lines, 7, COMPANY_ID)
    erp = project.erp_lines
    task = erp[len(erp) // 2].task
    return {
        "task": task,
        "sub_job": sum(1 for e in erp if e.task == task),
        "cost_code": sum(1 for e in erp if e.cost_code == "03-300"),
        "cost_type": sum(1 for e in erp if e.account_group == "M"),
        "text": sum(1 for e in erp if "drywall - equip" in e.description.lower()),
    }


def verdict(ms: float, bar: float) -> str:
    return "PASS" if ms <= bar else "MISS"


def summarize(list_runs: list[dict[str, float]], line_runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the runs, as bench.run reports them."""
    out: dict[str, Any] = {}
    if list_runs:
        out["budgets_list"] = {
            key: statistics.median(run[key] for run in list_runs) for key in list_runs[0]
        }
    if line_runs:
        names = list(line_runs[0]["answers_ms"])
        out["budget_tab"] = {
            "first_paint_ms": statistics.median(r["first_paint_ms"] for r in line_runs),
            "all_lines_ms": statistics.median(r["all_lines_ms"] for r in line_runs),
            "rows_in_document": max(r["rows_in_document"] for r in line_runs),
            "scroll_to_middle_ms": statistics.median(r["scroll_to_middle_ms"] for r in line_runs),
            "answers_ms": {
                name: statistics.median(r["answers_ms"][name] for r in line_runs) for name in names
            },
        }
    return out


def print_summary(summary: dict[str, Any], budgets: int, lines: int, runs: int) -> None:
    print(f"Medians of {runs} runs")
    if "budgets_list" in summary:
        s = summary["budgets_list"]
        print(f"  Budgets list of {budgets:,} budgets, first page: {s['load_ms']:.0f} ms "
              f"(API {s['load_api_ms']:.0f} ms, render {s['load_render_ms']:.0f} ms)  "
              f"{verdict(s['load_ms'], FIRST_PAGE_MS)}")  # fmt: skip
        print(f"  filter switch: {s['filter_ms']:.0f} ms (API {s['filter_api_ms']:.0f} ms, "
              f"render {s['filter_render_ms']:.0f} ms)  "
              f"{verdict(s['filter_ms'], FILTER_SWITCH_MS)}")  # fmt: skip
    if "budget_tab" in summary:
        s = summary["budget_tab"]
        print(f"  Budget tab of {lines:,} lines, first paint: {s['first_paint_ms']:.0f} ms  "
              f"{verdict(s['first_paint_ms'], FIRST_PAINT_MS)}; every line read after "
              f"{s['all_lines_ms'] / 1000:.1f} s; at most {s['rows_in_document']} rows in the "
              f"document; a jump to the middle painted in {s['scroll_to_middle_ms']:.0f} ms")  # fmt: skip
        for name, ms in s["answers_ms"].items():
            print(f"    {name}: {ms:.0f} ms  {verdict(ms, FIND_MS)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budgets", type=int, default=EXTRA_BUDGETS)
    parser.add_argument("--lines", type=int, default=LARGE_LINES, help="0: no Budget tab run")
    parser.add_argument("--out", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from devstack.chromium import launch_chromium
    from devstack.stack import LocalStack

    with LocalStack(port=0, aws_port=0, erp_port=0, schedule_interval=3600.0) as stack:
        if not stack.serves_web_app:
            raise SystemExit("The web app is not built: `make web` (cd frontend && npm run build).")
        started = time.perf_counter()
        synced, ready = seed_budgets(args.budgets)
        if args.lines:
            seed_large_budget(args.lines)
        print(f"Seeded {synced:,} synced and {ready:,} ready-to-import budgets and one of "
              f"{args.lines:,} lines for company {COMPANY_ID} in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        # The first page of each filter (the demo's own budgets and the large one count too).
        synced_rows = min(LIST_PAGE_ROWS, synced)
        ready_rows = min(LIST_PAGE_ROWS, ready + 1)
        expected = expected_counts(args.lines) if args.lines else {}
        list_runs: list[dict[str, float]] = []
        line_runs: list[dict[str, Any]] = []
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            print(f"Machine: {machine()}; Chromium {browser.version}")
            list_run(browser, stack.web_url, synced_rows, ready_rows)  # warm-up: caches
            for number in range(1, args.runs + 1):
                run = list_run(browser, stack.web_url, synced_rows, ready_rows)
                list_runs.append(run)
                print(f"  list run {number}: first page {run['load_ms']:.0f} ms, filter switch "
                      f"{run['filter_ms']:.0f} ms")  # fmt: skip
                if args.lines:
                    lines = lines_run(browser, stack.web_url, args.lines, expected)
                    line_runs.append(lines)
                    slowest = max(lines["answers_ms"].values())
                    print(f"  Budget tab run {number}: first paint "
                          f"{lines['first_paint_ms']:.0f} ms, all lines "
                          f"{lines['all_lines_ms'] / 1000:.1f} s, slowest answer {slowest:.0f} ms")  # fmt: skip
            browser.close()
    summary = summarize(list_runs, line_runs)
    summary.update({"budgets": args.budgets, "lines": args.lines, "runs": args.runs})
    print_summary(summary, args.budgets, args.lines, args.runs)
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
