// Preview in Please Confirm, the History tab with Restore This Version, and Download CSV, against a scripted API.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeFetch } from "../test/fakeApi";
import { budgetRowOf, jobOf, projectBudgetOf } from "../test/fixtures";
import type { Change, ErpBudget, Job, Permission, ProjectBudget } from "../types";
import { App } from "./App";

function me(erp: Permission, budget: Permission = erp) {
  return {
    email: `${budget}@demo.test`,
    companies: [{ company_id: "demo", name: "Demo Construction Co.", erp_permission: erp, budget_permission: budget }],
  };
}

const row: ErpBudget = budgetRowOf({
  budget_id: "b-1001",
  project_id: "P-1001",
  project_name: "Harbor Office",
  erp_job_id: "P-1001",
  erp_system: "acumatica",
  status: "synced",
  locked: false,
  current_procore_total: "1000.00",
  current_erp_total: null,
  erp_total_as_of: null,
  last_synced_at: "2026-11-26T10:45:00Z",
  can_reimport: true,
});

function change(n: number, old: string | null, next: string): Change {
  return {
    line_item_id: `li-${n}`,
    sub_job: "0001",
    cost_code: `01-${String(n).padStart(3, "0")}`,
    cost_type: "L",
    kind: old === null ? "added" : "updated",
    old_amount: old,
    new_amount: next,
  };
}

const totals = { current_erp_total: "1250.50", current_total: "1000.00", new_total: "1250.50" };

function previewJob(overrides: Partial<Job> = {}): Job {
  return jobOf({
    job_id: "p-1",
    budget_id: "b-1001",
    kind: "preview",
    status: "succeeded",
    totals,
    summary: { lines_updated: 1, lines_added: 1, lines_zeroed: 0, lines_unchanged: 4 },
    changes: [change(1, "400.00", "650.50"), change(2, null, "0.10")],
    change_count: 2,
    errors: [],
    error_code: null,
    ...overrides,
  });
}

function start(routes: Parameters<typeof fakeFetch>[0]) {
  const fake = fakeFetch(routes);
  vi.stubGlobal("fetch", fake.fetchImpl);
  render(<App config={{ apiBase: "" }} />);
  return fake;
}

beforeEach(() => sessionStorage.setItem("budgetBridge.token", "token-1"));
afterEach(() => vi.unstubAllGlobals());

async function openReimport() {
  const link = await screen.findByRole("link", { name: "Harbor Office" }, { timeout: 3000 });
  fireEvent.click(within(link.closest("tr")!).getByRole("button", { name: "Re-import" }));
  return screen.getByRole("dialog", { name: "Please Confirm" });
}

function budgetsRoutes(preview: (n: number, body: unknown) => Partial<Job>) {
  let previews = 0;
  const bodies: unknown[] = [];
  return {
    bodies,
    routes: {
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": () => ({ body: { budgets: [row], next_cursor: null } }),
      "POST /companies/demo/erp/budgets/b-1001/preview": (r: { body: unknown }) => {
        bodies.push(r.body);
        previews += 1;
        return { status: 202, body: { job_id: `p-${previews}`, status: "queued" } };
      },
      "GET /companies/demo/erp/jobs/p-\\d+": (r: { path: string; body: unknown }) => {
        const id = r.path.split("/").pop()!;
        return { body: previewJob({ job_id: id, ...preview(Number(id.slice(2)), bodies.at(-1)) }) };
      },
    },
  };
}

describe("the preview in Please Confirm", () => {
  beforeEach(() => {
    window.location.hash = "#/companies/demo/erp/budgets?filter=synced";
  });

  it("shows progress, then the three totals named after the ERP and the target, and the changed lines", async () => {
    const { routes } = budgetsRoutes(() => ({}));
    start(routes);
    const dialog = await openReimport();
    expect(within(dialog).getByRole("progressbar")).toBeTruthy();
    const ok = within(dialog).getByRole("button", { name: "OK" }) as HTMLButtonElement;
    expect(ok.disabled).toBe(true);

    await waitFor(() => expect(ok.disabled).toBe(false), { timeout: 3000 });
    const facts = within(dialog);
    expect(facts.getByText("Current Acumatica Total").nextElementSibling?.textContent).toBe("1,250.50");
    expect(facts.getByText("Current Budget Bridge Total").nextElementSibling?.textContent).toBe("1,000.00");
    expect(facts.getByText("New Budget Bridge Total On Re-Import").nextElementSibling?.textContent).toBe("1,250.50");

    const table = within(dialog).getByRole("table", { name: "Changed lines" });
    const headers = within(table).getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["Sub Job", "Cost Code", "Cost Type", "Current", "New", "Difference"]);
    const rows = within(table).getAllByRole("row").slice(1).map((r) => within(r).getAllByRole("cell").map((c) => c.textContent));
    expect(rows).toEqual([
      ["0001", "01-001", "L", "400.00", "650.50", "+250.50"],
      ["0001", "01-002", "L", "—", "0.10", "+0.10"],
    ]);
  });

  it("OK applies exactly that preview", async () => {
    const { routes } = budgetsRoutes(() => ({}));
    const fake = start({
      ...routes,
      "POST /companies/demo/erp/budgets/b-1001/reimport": () => ({ status: 202, body: { job_id: "j-1", status: "queued" } }),
      "GET /companies/demo/erp/jobs/j-1": () => ({
        body: { job_id: "j-1", budget_id: "b-1001", kind: "reimport", status: "succeeded", message: "Successfully Re-imported to Budget Bridge" },
      }),
    });
    const dialog = await openReimport();
    const ok = within(dialog).getByRole("button", { name: "OK" }) as HTMLButtonElement;
    await waitFor(() => expect(ok.disabled).toBe(false), { timeout: 3000 });
    fireEvent.click(ok);
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Successfully Re-imported to Budget Bridge"), { timeout: 3000 });
    const apply = fake.requests.find((r) => r.path.endsWith("/reimport"));
    expect(apply?.body).toEqual({ preview_job_id: "p-1" });
    expect(fake.requests.filter((r) => r.path.endsWith("/preview"))[0].body).toBeUndefined();
  });

  it("pages through many changed lines, fetching those beyond the job's first 100", async () => {
    const all = Array.from({ length: 130 }, (_, i) => change(i + 1, "1.00", "2.00"));
    const { routes } = budgetsRoutes(() => ({ changes: all.slice(0, 100), change_count: 130 }));
    const fake = start({
      ...routes,
      "GET /companies/demo/erp/jobs/p-1/changes": (r) =>
        r.query.get("cursor") === "c2"
          ? { body: { changes: all.slice(100), next_cursor: null } }
          : { body: { changes: all.slice(0, 100), next_cursor: "c2" } },
    });
    const dialog = await openReimport();
    const table = await within(dialog).findByRole("table", { name: "Changed lines" }, { timeout: 3000 });
    expect(within(table).getAllByRole("row")).toHaveLength(11);
    expect(within(dialog).getByText(/Lines 1–10 of 130/)).toBeTruthy();
    const next = within(dialog).getByRole("button", { name: "Next page" }) as HTMLButtonElement;
    for (let page = 1; page < 13; page += 1) {
      await waitFor(() => expect(next.getAttribute("aria-disabled")).toBeNull());
      fireEvent.click(next);
    }
    await within(dialog).findByText(/Lines 121–130 of 130/);
    expect(within(table).getByText("01-130")).toBeTruthy();
    expect(next.getAttribute("aria-disabled")).toBe("true");
    expect(fake.requests.filter((r) => r.path.endsWith("/changes")).map((r) => r.query.get("cursor"))).toEqual([null, "c2"]);
  });

  it("lists bad ERP lines with OK disabled", async () => {
    const errors = [{ line: 6, field: "OriginalBudgetedAmount", message: "0001 / 01-100 / L: abc is not an amount" }];
    const { routes } = budgetsRoutes(() => ({ status: "failed", errors, changes: [], change_count: 0, message: "The ERP budget has 1 invalid line; nothing would be applied." }));
    const fake = start(routes);
    const dialog = await openReimport();
    const alert = await within(dialog).findByRole("alert", {}, { timeout: 3000 });
    expect(alert.textContent).toBe("The ERP budget has 1 invalid line; nothing would be applied.");
    const table = within(dialog).getByRole("table", { name: "ERP lines that could not be accepted" });
    expect(within(table).getByText(/abc is not an amount/)).toBeTruthy();
    expect((within(dialog).getByRole("button", { name: "OK" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    expect(fake.requests.some((r) => r.path.endsWith("/reimport"))).toBe(false);
  });

  it("pages through every bad ERP line of a preview, beyond the first 100 the job carries", async () => {
    const all = Array.from({ length: 130 }, (_, i) => ({ line: i + 1, field: "amount", message: `line ${i + 1}: abc is not an amount` }));
    const { routes } = budgetsRoutes(() => ({ status: "failed", errors: all.slice(0, 100), error_count: 130, changes: [], change_count: 0 }));
    const fake = start({
      ...routes,
      "GET /companies/demo/erp/jobs/p-1/errors": (r) => {
        const end = Number(r.query.get("limit"));
        return { body: { errors: all.slice(0, end), next_cursor: end < all.length ? String(end) : null } };
      },
    });
    const dialog = await openReimport();
    const table = await within(dialog).findByRole("table", { name: "ERP lines that could not be accepted" }, { timeout: 3000 });
    expect(within(table).getAllByRole("row")).toHaveLength(101);
    expect(within(dialog).getByText(/Errors 1–100 of 130/)).toBeTruthy();

    fireEvent.click(within(dialog).getByRole("button", { name: "Next page" }));

    await within(dialog).findByText(/Errors 101–130 of 130/);
    expect(within(table).getAllByRole("row")).toHaveLength(31);
    expect(within(table).getByText("line 130: abc is not an amount")).toBeTruthy();
    expect(within(dialog).getByRole("button", { name: "Next page" }).getAttribute("aria-disabled")).toBe("true");
    expect((within(dialog).getByRole("button", { name: "OK" }) as HTMLButtonElement).disabled).toBe(true);
    expect(fake.requests.filter((r) => r.path.endsWith("/errors"))).toHaveLength(1);
  });

  it("shows a failed preview's totals, the ERP's as not known when the ERP answered no valid total", async () => {
    const errors = [{ line: 6, field: "amount", message: "0001 / 01-100 / L: 1.005 has more than 2 decimal places." }];
    const unchanged = { current_erp_total: null, current_total: "1000.00", new_total: "1000.00" };
    const { routes } = budgetsRoutes(() => ({ status: "failed", errors, totals: unchanged, summary: null, changes: [], change_count: 0 }));
    start(routes);
    const dialog = await openReimport();
    await within(dialog).findByRole("alert", {}, { timeout: 3000 });
    const facts = within(dialog);
    expect(facts.getByText("Current Acumatica Total").nextElementSibling?.textContent).toBe("Not known");
    expect(facts.getByText("Current Budget Bridge Total").nextElementSibling?.textContent).toBe("1,000.00");
    expect(facts.getByText("New Budget Bridge Total On Re-Import").nextElementSibling?.textContent).toBe("1,000.00");
  });

  it("asks before zeroing a budget the ERP answered empty, then previews and applies with allow_empty", async () => {
    const { routes, bodies } = budgetsRoutes((n) =>
      n === 1
        ? { status: "failed", error_code: "erp_budget_empty", message: "The ERP answered no cost lines for this budget.", changes: [], change_count: 0 }
        : { totals: { ...totals, new_total: "0.00" }, changes: [change(1, "1000.00", "0.00")], change_count: 1 },
    );
    const fake = start({
      ...routes,
      "POST /companies/demo/erp/budgets/b-1001/reimport": () => ({ status: 202, body: { job_id: "j-1", status: "queued" } }),
    });
    const dialog = await openReimport();
    expect((await within(dialog).findByRole("alert", {}, { timeout: 3000 })).textContent).toBe(
      "The ERP answered no cost lines for this budget.",
    );
    const ok = within(dialog).getByRole("button", { name: "OK" }) as HTMLButtonElement;
    expect(ok.disabled).toBe(true);
    fireEvent.click(within(dialog).getByRole("button", { name: "Zero the Budget Anyway" }));
    await waitFor(() => expect(ok.disabled).toBe(false), { timeout: 3000 });
    expect(bodies).toEqual([undefined, { allow_empty: true }]);
    expect(within(dialog).getByText("New Budget Bridge Total On Re-Import").nextElementSibling?.textContent).toBe("0.00");
    fireEvent.click(ok);
    await waitFor(() => expect(fake.requests.find((r) => r.path.endsWith("/reimport"))?.body).toEqual({ preview_job_id: "p-2", allow_empty: true }));
  });

  it("offers a fresh preview when the apply is refused as stale", async () => {
    const { routes } = budgetsRoutes(() => ({}));
    const fake = start({
      ...routes,
      "POST /companies/demo/erp/budgets/b-1001/reimport": () => ({
        status: 409,
        body: { error: { code: "preview_stale", message: "The budget has changed since the preview. Preview again." } },
      }),
    });
    const dialog = await openReimport();
    const ok = within(dialog).getByRole("button", { name: "OK" }) as HTMLButtonElement;
    await waitFor(() => expect(ok.disabled).toBe(false), { timeout: 3000 });
    fireEvent.click(ok);
    expect((await screen.findByRole("alert")).textContent).toBe("The budget has changed since the preview. Preview again.");
    fireEvent.click(screen.getByRole("button", { name: "Preview Again" }));
    expect(screen.getByRole("dialog", { name: "Please Confirm" })).toBeTruthy();
    await waitFor(() => expect(fake.requests.filter((r) => r.path.endsWith("/preview"))).toHaveLength(2));
  });

  it("says On Import for a Ready to Import budget", async () => {
    window.location.hash = "#/companies/demo/erp/budgets";
    const ready = { ...row, status: "ready_to_import" as const, can_import: true };
    start({
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": () => ({ body: { budgets: [ready], next_cursor: null } }),
      "POST /companies/demo/erp/budgets/b-1001/preview": () => ({ status: 202, body: { job_id: "p-1", status: "queued" } }),
      "GET /companies/demo/erp/jobs/p-1": () => ({ body: previewJob() }),
    });
    const link = await screen.findByRole("link", { name: "Harbor Office" });
    fireEvent.click(within(link.closest("tr")!).getByRole("button", { name: "Import" }));
    const dialog = screen.getByRole("dialog", { name: "Please Confirm" });
    expect(await within(dialog).findByText("New Budget Bridge Total On Import", {}, { timeout: 3000 })).toBeTruthy();
  });
});

const budget: ProjectBudget = projectBudgetOf({ line_count: 2 });

const versions = [
  { version: 3, at: "2026-11-28T09:00:00Z", by: "standard@demo.test", source: "reimport", job_id: "j-3", total: "1250.50", summary: null },
  { version: 2, at: "2026-11-27T09:00:00Z", by: "admin@demo.test", source: "edit", job_id: null, total: "1000.00", summary: null },
  { version: 1, at: "2026-11-26T09:00:00Z", by: "admin@demo.test", source: "import", job_id: "j-1", total: "1000.00", summary: null },
];

function historyRoutes(permission: Permission, extra: Parameters<typeof fakeFetch>[0] = {}) {
  return {
    "GET /me": () => ({ body: me(permission) }),
    "GET /companies/demo/projects/P-1001/budget": () => ({ body: budget }),
    "GET /companies/demo/projects/P-1001/budget/history": () => ({ body: { versions, next_cursor: null } }),
    "GET /companies/demo/projects/P-1001/budget/history/1": () => ({
      body: { ...budget, version: 1, total: "1000.00", changes: [change(1, null, "400.00")] },
    }),
    "GET /companies/demo/projects/P-1001/budget/history/3": () => ({
      body: { ...budget, changes: [change(1, "400.00", "650.50")] },
    }),
    ...extra,
  };
}

describe("the History tab", () => {
  it("lists every version and shows the changes of the one chosen", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget/history";
    start(historyRoutes("read_only"));
    const table = await screen.findByRole("table", { name: "Budget versions" });
    expect(within(table).getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["Version", "When", "Who", "Source", "Total"]);
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("cell").map((c) => c.textContent))).toEqual([
      ["28 Nov 2026, 09:00 UTC", "standard@demo.test", "Re-import", "1,250.50"],
      ["27 Nov 2026, 09:00 UTC", "admin@demo.test", "Edit", "1,000.00"],
      ["26 Nov 2026, 09:00 UTC", "admin@demo.test", "Import", "1,000.00"],
    ]);
    expect(screen.getByRole("link", { name: "History" }).getAttribute("aria-current")).toBe("page");

    fireEvent.click(within(table).getByRole("button", { name: "Version 3" }));
    const changes = await screen.findByRole("table", { name: "Changes in version 3" });
    expect(within(changes).getByText("+250.50")).toBeTruthy();
    // Read-only users see the history but cannot restore.
    expect(screen.queryByRole("button", { name: "Restore This Version" })).toBeNull();
  });

  it("pages through every change of a version beyond the 1,000 its answer carries, fetching the rest from its job", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget/history";
    const all = Array.from({ length: 1030 }, (_, i) => change(i + 1, "1.00", "2.00"));
    const fake = start(
      historyRoutes("read_only", {
        "GET /companies/demo/projects/P-1001/budget/history/3": () => ({
          body: { ...budget, changes: all.slice(0, 1000), change_count: all.length, next_cursor: "lines-2" },
        }),
        "GET /companies/demo/erp/jobs/j-3/changes": (r) => {
          const from = Number(r.query.get("cursor") ?? 0);
          const to = from + Number(r.query.get("limit"));
          return { body: { changes: all.slice(from, to), next_cursor: to < all.length ? String(to) : null } };
        },
      }),
    );
    fireEvent.click(await screen.findByRole("button", { name: "Version 3" }));
    const table = await screen.findByRole("table", { name: "Changes in version 3" });
    const section = table.closest("section")!;
    expect(within(section).getByText(/Lines 1–10 of 1,030/)).toBeTruthy();
    expect(within(section).queryByText(/Showing the first/)).toBeNull();
    const next = within(section).getByRole("button", { name: "Next page" });
    for (let page = 1; page < 103; page += 1) {
      await waitFor(() => expect(next.getAttribute("aria-disabled")).toBeNull());
      fireEvent.click(next);
    }

    await within(section).findByText(/Lines 1,021–1,030 of 1,030/);
    expect(within(table).getByText("01-1030")).toBeTruthy();
    expect(next.getAttribute("aria-disabled")).toBe("true");
    // The job's changes are read on from the version answer's last, and each only once beyond it.
    const calls = fake.requests.filter((r) => r.path.endsWith("/changes")).map((r) => [r.query.get("cursor"), r.query.get("limit")]);
    expect(calls).toEqual([
      [null, "1000"],
      ["1000", "100"],
    ]);
  });

  it("says how many changes it shows when the reader may not read the job that has the rest", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget/history";
    const all = Array.from({ length: 1030 }, (_, i) => change(i + 1, "1.00", "2.00"));
    const fake = start({
      ...historyRoutes("read_only"),
      "GET /me": () => ({ body: me("none", "read_only") }),
      "GET /companies/demo/projects/P-1001/budget/history/3": () => ({
        body: { ...budget, changes: all.slice(0, 1000), change_count: all.length },
      }),
    });
    fireEvent.click(await screen.findByRole("button", { name: "Version 3" }));
    const table = await screen.findByRole("table", { name: "Changes in version 3" });
    const section = table.closest("section")!;
    expect(within(section).getByText(/Lines 1–10 of 1,000/)).toBeTruthy();
    expect(within(section).getByText("Showing the first 1,000 of 1,030 changes; reading the others needs ERP Integrations access.")).toBeTruthy();
    expect(fake.requests.some((r) => r.path.endsWith("/changes"))).toBe(false);
  });

  it("restores an older version for a budget admin: Please Confirm, progress, the success message", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget/history";
    let polls = 0;
    const fake = start(
      historyRoutes("admin", {
        "POST /companies/demo/projects/P-1001/budget/history/1/restore": () => ({ status: 202, body: { job_id: "r-1", status: "queued" } }),
        "GET /companies/demo/erp/jobs/r-1": () => ({
          body:
            polls++ === 0
              ? { job_id: "r-1", budget_id: "b-1001", kind: "restore", status: "in_progress", progress: { phase: "applying", done: 1, total: 2 } }
              : { job_id: "r-1", budget_id: "b-1001", kind: "restore", status: "succeeded", message: "Successfully Restored version 1" },
        }),
      }),
    );
    const table = await screen.findByRole("table", { name: "Budget versions" });
    fireEvent.click(within(table).getByRole("button", { name: "Version 3" }));
    const restore = (await screen.findByRole("button", { name: "Restore This Version" })) as HTMLButtonElement;
    expect(restore.disabled).toBe(true);
    expect(screen.getByText("This is the current version.")).toBeTruthy();

    fireEvent.click(within(table).getByRole("button", { name: "Version 1" }));
    await screen.findByRole("table", { name: "Changes in version 1" });
    const button = screen.getByRole("button", { name: "Restore This Version" }) as HTMLButtonElement;
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    fireEvent.click(within(screen.getByRole("dialog", { name: "Please Confirm" })).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(document.activeElement).toBe(button));
    fireEvent.click(button);
    const dialog = screen.getByRole("dialog", { name: "Please Confirm" });
    expect(dialog.textContent).toContain("version 1");
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    expect(await screen.findByRole("progressbar", { name: "Applying" }, { timeout: 3000 })).toBeTruthy();
    // Restore This Version is disabled while the job runs: the focus goes to the job's status, not the page's body.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("region", { name: "Job status" })));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Successfully Restored version 1"), { timeout: 3000 });
    expect(fake.requests.filter((r) => r.path.endsWith("/restore"))).toHaveLength(1);
    // The history is read again, so the restore's own version appears.
    await waitFor(() => expect(fake.requests.filter((r) => r.path.endsWith("/history"))).toHaveLength(2));
  });

  it("chooses the restore's own version once it succeeded, with one Download CSV on the page", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget/history";
    const restored = { version: 4, at: "2026-11-29T09:00:00Z", by: "admin@demo.test", source: "restore", job_id: "r-1", total: "1000.00", summary: null };
    let restoredYet = false;
    start(
      historyRoutes("admin", {
        "GET /companies/demo/projects/P-1001/budget/history": () => ({
          body: { versions: restoredYet ? [restored, ...versions] : versions, next_cursor: null },
        }),
        "GET /companies/demo/projects/P-1001/budget/history/4": () => ({
          body: { ...budget, version: 4, total: "1000.00", changes: [change(1, "650.50", "400.00")] },
        }),
        "POST /companies/demo/projects/P-1001/budget/history/1/restore": () => {
          restoredYet = true;
          return { status: 202, body: { job_id: "r-1", status: "queued" } };
        },
        "GET /companies/demo/erp/jobs/r-1": () => ({
          body: { job_id: "r-1", budget_id: "b-1001", kind: "restore", status: "succeeded", message: "Successfully Restored version 1" },
        }),
      }),
    );
    const table = await screen.findByRole("table", { name: "Budget versions" });
    fireEvent.click(within(table).getByRole("button", { name: "Version 1" }));
    await screen.findByRole("table", { name: "Changes in version 1" });
    fireEvent.click(screen.getByRole("button", { name: "Restore This Version" }));
    fireEvent.click(within(screen.getByRole("dialog", { name: "Please Confirm" })).getByRole("button", { name: "OK" }));

    expect(await screen.findByRole("table", { name: "Changes in version 4" }, { timeout: 3000 })).toBeTruthy();
    expect(screen.getAllByRole("button", { name: "Download CSV" })).toHaveLength(1);
  });

  it("announces a refused restore", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget/history";
    start(
      historyRoutes("admin", {
        "POST /companies/demo/projects/P-1001/budget/history/1/restore": () => ({
          status: 409,
          body: { error: { code: "budget_locked", message: "The budget is locked. Unlock it to restore a version." } },
        }),
      }),
    );
    fireEvent.click(await screen.findByRole("button", { name: "Version 1" }));
    fireEvent.click(await screen.findByRole("button", { name: "Restore This Version" }));
    fireEvent.click(within(screen.getByRole("dialog", { name: "Please Confirm" })).getByRole("button", { name: "OK" }));
    expect((await screen.findByRole("alert")).textContent).toBe("The budget is locked. Unlock it to restore a version.");
  });
});

describe("Download CSV", () => {
  it("fetches the budget's CSV with the token and saves it under the server's name", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget";
    const created: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (b: Blob) => (created.push(b), "blob:csv"), revokeObjectURL: () => undefined }));
    const clicked: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(`${this.download} ${this.href}`);
    });
    const fake = start({
      "GET /me": () => ({ body: me("read_only") }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: budget }),
      "GET /companies/demo/erp/jobs": () => ({ body: { jobs: [], next_cursor: null } }),
      "GET /companies/demo/projects/P-1001/budget.csv": () => ({
        text: "sub_job,cost_code\r\n0001,01-100\r\n",
        headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="budget-P-1001.csv"' },
      }),
    });
    fireEvent.click(await screen.findByRole("button", { name: "Download CSV" }));
    await waitFor(() => expect(clicked).toEqual(["budget-P-1001.csv blob:csv"]));
    expect(await created[0].text()).toBe("sub_job,cost_code\r\n0001,01-100\r\n");
    expect(fake.requests.find((r) => r.path.endsWith("budget.csv"))?.headers.Authorization).toBe("Bearer token-1");
    click.mockRestore();
  });

  it("asks for the file compressed and saves it unpacked, without the .gz", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget";
    const created: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (b: Blob) => (created.push(b), "blob:csv"), revokeObjectURL: () => undefined }));
    const clicked: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    const csv = "sub_job,cost_code\r\n0001,01-100\r\n";
    const packed = await new Response(new Response(csv).body!.pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    const fake = start({
      "GET /me": () => ({ body: me("read_only") }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: budget }),
      "GET /companies/demo/erp/jobs": () => ({ body: { jobs: [], next_cursor: null } }),
      "GET /companies/demo/projects/P-1001/budget.csv": () => ({
        bytes: packed,
        headers: { "Content-Type": "application/gzip", "Content-Disposition": 'attachment; filename="budget-P-1001.csv.gz"' },
      }),
    });
    fireEvent.click(await screen.findByRole("button", { name: "Download CSV" }));
    await waitFor(() => expect(clicked).toEqual(["budget-P-1001.csv"]));
    expect(await created[0].text()).toBe(csv);
    expect(fake.requests.find((r) => r.path.endsWith("budget.csv"))?.headers.Accept).toMatch(/^application\/gzip\b/);
    click.mockRestore();
  });

  it("keeps the button focusable while the file is fetched: aria-disabled, not disabled", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget";
    let release: (value: Response) => void = () => undefined;
    const fake = fakeFetch({
      "GET /me": () => ({ body: me("read_only") }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: budget }),
      "GET /companies/demo/erp/jobs": () => ({ body: { jobs: [], next_cursor: null } }),
    });
    vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit) =>
      String(input).endsWith("budget.csv") ? new Promise<Response>((resolve) => (release = resolve)) : fake.fetchImpl(input, init),
    );
    render(<App config={{ apiBase: "" }} />);
    const button = await screen.findByRole("button", { name: "Download CSV" });
    button.focus();
    fireEvent.click(button);
    await waitFor(() => expect(button.getAttribute("aria-disabled")).toBe("true"));
    expect(button.hasAttribute("disabled")).toBe(false);
    expect(document.activeElement).toBe(button);
    release(new Response("a,b\r\n", { headers: { "Content-Type": "text/csv" } }));
    await waitFor(() => expect(button.getAttribute("aria-disabled")).toBeNull());
  });

  it("announces a refused download", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget";
    start({
      "GET /me": () => ({ body: me("read_only") }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: budget }),
      "GET /companies/demo/erp/jobs": () => ({ body: { jobs: [], next_cursor: null } }),
    });
    fireEvent.click(await screen.findByRole("button", { name: "Download CSV" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Not found.");
  });
});

describe("announcing the preview", () => {
  it("tells a screen reader how many lines change and the new total", async () => {
    const { readyAnnouncement } = await import("./PreviewConfirm");
    expect(readyAnnouncement(previewJob())).toBe(
      "Preview ready: 2 lines change. The total after applying it: 1,250.50. Press OK to apply it.",
    );
    expect(readyAnnouncement(previewJob({ change_count: 1, totals: null }))).toBe("Preview ready: 1 line changes. Press OK to apply it.");
  });
});

describe("Recent re-imports on the Budget tab", () => {
  it("leaves previews out, names restores, and offers a finished job's CSV inside its changes", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget?budget_id=b-1001";
    const job = (id: string, kind: Job["kind"]): Job =>
      jobOf({
      job_id: id,
      budget_id: "b-1001",
      kind,
      status: "succeeded",
      message: `${kind} done`,
      changes: [change(1, "1.00", "2.00")],
      change_count: 1,
      requested_by: "admin@demo.test",
      requested_at: "2026-11-28T09:00:00Z",
    });
    start({
      "GET /me": () => ({ body: me("admin") }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: budget }),
      "GET /companies/demo/erp/jobs": () => ({ body: { jobs: [job("p-9", "preview"), job("r-1", "restore"), job("j-1", "reimport")], next_cursor: null } }),
    });
    const recent = (await screen.findByRole("heading", { name: "Recent re-imports" })).closest("section")!;
    await within(recent).findByText("restore done");
    expect(within(recent).queryByText("preview done")).toBeNull();
    expect(within(recent).getByText("Restore")).toBeTruthy();
    expect(within(recent).getAllByText("Changes (1)")).toHaveLength(2);
    // Each job's Download CSV waits inside its closed Changes details, so the page shows only the budget's.
    const jobButtons = within(recent).getAllByRole("button", { name: "Download CSV" });
    expect(jobButtons).toHaveLength(2);
    expect(jobButtons.every((b) => b.closest("details")?.open === false)).toBe(true);
    expect(screen.getAllByRole("button", { name: "Download CSV" })).toHaveLength(3);
    expect(screen.getByRole("link", { name: "History" }).getAttribute("href")).toBe(
      "#/companies/demo/projects/P-1001/budget/history?budget_id=b-1001",
    );
  });

  it("pages a failed job's line errors beyond the first 100 the list carries", async () => {
    window.location.hash = "#/companies/demo/projects/P-1001/budget?budget_id=b-1001";
    const all = Array.from({ length: 150 }, (_, i) => ({ line: i + 1, field: "CostCode", message: `Cost code 99-${i + 1} is unknown.` }));
    const failed = jobOf({
      job_id: "f-1",
      budget_id: "b-1001",
      kind: "reimport",
      status: "failed",
      message: "150 lines of the ERP budget are invalid.",
      errors: all.slice(0, 100),
      error_count: 150,
      requested_by: "admin@demo.test",
      requested_at: "2026-11-28T09:00:00Z",
    });
    start({
      "GET /me": () => ({ body: me("admin") }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: budget }),
      "GET /companies/demo/erp/jobs": () => ({ body: { jobs: [failed], next_cursor: null } }),
      "GET /companies/demo/erp/jobs/f-1/errors": (r) => {
        const from = Number(r.query.get("cursor") ?? 0);
        const to = from + Number(r.query.get("limit"));
        return { body: { errors: all.slice(from, to), next_cursor: to < all.length ? String(to) : null } };
      },
    });
    const recent = (await screen.findByRole("heading", { name: "Recent re-imports" })).closest("section")!;
    await within(recent).findByText(/Errors 1–100 of 150/);

    fireEvent.click(within(recent).getByRole("button", { name: "Next page" }));

    await within(recent).findByText(/Errors 101–150 of 150/);
    expect(within(recent).getByText("Cost code 99-150 is unknown.")).toBeTruthy();
  });
});
