// The Budget tab of a long budget, against a scripted API: the first page at once, the rest read in
// the background, filters and sorting over every line, and only a screenful of rows in the table.
import { fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeFetch } from "../test/fakeApi";
import { projectBudgetOf } from "../test/fixtures";
import type { LineItem, ProjectBudget } from "../types";
import { App } from "./App";
import { BACKGROUND_PAGE_SIZE, FIRST_PAGE_SIZE } from "./ProjectBudgetView";

const LINES = 1200;
const CODES = ["01-100", "03-300", "09-200"];

function lineAt(n: number): LineItem {
  return {
    line_item_id: `li-${n}`,
    sub_job: String(1 + Math.floor(n / 30)).padStart(4, "0"),
    cost_code: CODES[n % 3],
    cost_type: n % 2 ? "L" : "M",
    description: n === 1100 ? "Tower crane rental" : `Line ${n}`,
    original_budget_amount: ((n * 7919) % 10000).toFixed(2),
    uom: null,
    quantity: null,
    unit_cost: null,
  };
}

const ALL = Array.from({ length: LINES }, (_, n) => lineAt(n));

function budgetPage(offset: number, limit: number): ProjectBudget {
  const end = Math.min(LINES, offset + limit);
  return projectBudgetOf({
    total: "123.45",
    line_count: LINES,
    line_items: ALL.slice(offset, end),
    next_cursor: end < LINES ? `at-${end}` : null,
  });
}

function start() {
  sessionStorage.setItem("budgetBridge.token", "token-1");
  window.location.hash = "#/companies/demo/projects/P-1001/budget";
  const fake = fakeFetch({
    "GET /me": () => ({
      body: {
        email: "pm@demo.test",
        companies: [{ company_id: "demo", name: "Demo", erp_permission: "read_only", budget_permission: "read_only" }],
      },
    }),
    "GET /companies/demo/projects/P-1001/budget": (r) => {
      const cursor = r.query.get("cursor");
      return { body: budgetPage(cursor ? Number(cursor.slice(3)) : 0, Number(r.query.get("limit"))) };
    },
    "GET /companies/demo/erp/jobs": () => ({ body: { jobs: [], next_cursor: null } }),
  });
  vi.stubGlobal("fetch", fake.fetchImpl);
  render(<App config={{ apiBase: "" }} />);
  return fake;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const table = () => screen.getByRole("table", { name: "Line items" }) as HTMLTableElement;
const bodyRows = () => within(table().tBodies[0]).queryAllByRole("row");

describe("a long Budget tab", () => {
  it("shows the first page, then reads the rest through next_cursor in the largest pages", async () => {
    const fake = start();
    await screen.findByText(`${LINES.toLocaleString("en-US")} lines.`);
    const reads = fake.requests.filter((r) => r.path.endsWith("/budget"));
    expect(reads.map((r) => [r.query.get("limit"), r.query.get("cursor")])).toEqual([
      [String(FIRST_PAGE_SIZE), null],
      [String(BACKGROUND_PAGE_SIZE), `at-${FIRST_PAGE_SIZE}`],
    ]);
    expect(table().getAttribute("aria-rowcount")).toBe(String(LINES + 2));
    // A screenful and a margin, not every line.
    expect(bodyRows().length).toBeGreaterThan(10);
    expect(bodyRows().length).toBeLessThan(100);
    expect(bodyRows()[0].getAttribute("aria-rowindex")).toBe("2");
  });

  it("finds a line of a later page by its text, and filters by cost code", async () => {
    start();
    await screen.findByText(`${LINES.toLocaleString("en-US")} lines.`);
    fireEvent.change(screen.getByRole("searchbox", { name: "Search lines" }), { target: { value: "CRANE" } });
    expect(screen.getByText(`1 of ${LINES.toLocaleString("en-US")} lines match.`)).toBeTruthy();
    expect(bodyRows()).toHaveLength(1);
    expect(within(bodyRows()[0]).getByText("Tower crane rental")).toBeTruthy();

    fireEvent.change(screen.getByRole("searchbox", { name: "Search lines" }), { target: { value: "" } });
    fireEvent.change(screen.getByRole("combobox", { name: "Cost Code" }), { target: { value: "09-200" } });
    expect(table().getAttribute("aria-rowcount")).toBe(String(LINES / 3 + 2));
    for (const row of bodyRows()) expect(within(row).getAllByRole("cell")[1].textContent).toBe("09-200");
  });

  it("sorts by a column from its header button, ascending then descending", async () => {
    start();
    await screen.findByText(`${LINES.toLocaleString("en-US")} lines.`);
    const header = screen.getByRole("columnheader", { name: "Amount" });
    fireEvent.click(within(header).getByRole("button", { name: "Amount" }));
    expect(header.getAttribute("aria-sort")).toBe("ascending");
    const amounts = () => bodyRows().map((row) => Number(within(row).getAllByRole("cell")[4].textContent!.replace(/,/g, "")));
    const ascending = amounts();
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    expect(ascending[0]).toBe(Math.min(...ALL.map((l) => Number(l.original_budget_amount))));

    fireEvent.click(within(header).getByRole("button", { name: "Amount" }));
    expect(header.getAttribute("aria-sort")).toBe("descending");
    const descending = amounts();
    expect(descending).toEqual([...descending].sort((a, b) => b - a));
    expect(descending[0]).toBe(Math.max(...ALL.map((l) => Number(l.original_budget_amount))));
  });
});
