// Where a keyboard or screen reader user's focus goes through an action (frontend/README.md, "Keyboard
// and screen readers"). In Chromium a focused button that turns `disabled`, or a focused element that
// leaves the page, drops the focus to the page's body; jsdom does the latter but not the former, so a
// busy button is checked to be aria-disabled (focusable, announced as unavailable) rather than disabled.
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { adoptionRoutes, adoptionState, fakeFetch, type AdoptionState } from "../test/fakeApi";
import { budgetRowOf, jobOf, projectBudgetOf } from "../test/fixtures";
import type { ErpBudget, ProjectBudget } from "../types";
import { App } from "./App";
import { Pager } from "./Pager";

interface Asked {
  method: string;
  path: string;
  query: URLSearchParams;
}

/**
 * Stubs `fetch` with `routes`; a request `held` matches (asked when it is sent) waits until `release()`.
 * `sent(method, path)` counts the requests sent so far, held ones included.
 */
function serve(routes: Parameters<typeof fakeFetch>[0], held: (request: Asked) => boolean = () => false) {
  const fake = fakeFetch(routes);
  const asked: Asked[] = [];
  let open = () => {};
  let gate = new Promise<void>((resolve) => (open = resolve));
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), "http://app.test/");
    // The file storage a budget export is posted to (a presigned form, not the API) takes it.
    if (url.origin === "https://storage.test") return new Response(null, { status: 204 });
    const request = { method: (init.method ?? "GET").toUpperCase(), path: url.pathname.replace(/^\/api\/v1/, ""), query: url.searchParams };
    asked.push(request);
    if (held(request)) await gate;
    return fake.fetchImpl(input, init);
  });
  return {
    fake,
    sent: (method: string, path: RegExp) => asked.filter((r) => r.method === method && path.test(r.path)).length,
    release: () =>
      act(async () => {
        open();
        gate = new Promise<void>((resolve) => (open = resolve));
      }),
  };
}

function signedIn(hash: string) {
  sessionStorage.setItem("budgetBridge.token", "token-1");
  window.location.hash = hash;
}

const admin = {
  email: "admin@fresh.test",
  companies: [{ company_id: "fresh", name: "Fresh Start Builders", erp_permission: "admin", budget_permission: "admin" }],
};

function connected(erpSystem = "acumatica"): NonNullable<AdoptionState["connection"]> {
  return {
    erp_system: erpSystem,
    base_url: erpSystem === "spreadsheet" ? "" : "http://127.0.0.1:8001",
    settings: erpSystem === "spreadsheet" ? {} : { company: "Fresh", endpoint_version: "23.200.001" },
    credentials_set: erpSystem !== "spreadsheet",
    credentials_fields: erpSystem === "spreadsheet" ? [] : ["username", "password"],
    status: "ok",
    last_tested_at: null,
    last_error: null,
  };
}

/** A page of the adoption API (connection, settings, catalog, projects) as an ERP and Budget admin. */
function adoption(hash: string, state: AdoptionState, held?: (request: Asked) => boolean, extra: Parameters<typeof fakeFetch>[0] = {}) {
  signedIn(hash);
  const api = serve({ "GET /me": () => ({ body: admin }), ...extra, ...adoptionRoutes(state) }, held);
  render(<App config={{ apiBase: "" }} />);
  return api;
}

/**
 * Presses `button` with the focus on it while its request (counted by `sent`) is held: it keeps the
 * focus, says it is unavailable and ignores a second press; once answered it is available again.
 */
async function pressWhileHeld(button: HTMLElement, sent: () => number, release: () => Promise<void>) {
  button.focus();
  fireEvent.click(button);
  await waitFor(() => expect(sent()).toBe(1));
  expect(button.getAttribute("aria-disabled")).toBe("true");
  expect((button as HTMLButtonElement).disabled).toBe(false);
  expect(document.activeElement).toBe(button);
  fireEvent.click(button);
  await release();
  await waitFor(() => expect(button.getAttribute("aria-disabled")).toBeNull());
  expect(document.activeElement).toBe(button);
  expect(sent()).toBe(1);
}

afterEach(() => vi.unstubAllGlobals());

describe("a button pressed keeps the focus while its request runs", () => {
  it("Save Connection", async () => {
    const api = adoption("#/companies/fresh/erp/connection", adoptionState({ connection: connected() }), (r) => r.method === "PUT");
    const save = await screen.findByRole("button", { name: "Save Connection" });
    await pressWhileHeld(save, () => api.sent("PUT", /\/erp\/connection$/), api.release);
    expect(screen.getByRole("status").textContent).toContain("Connection saved.");
  });

  it("Test Connection", async () => {
    const api = adoption("#/companies/fresh/erp/connection", adoptionState({ connection: connected() }), (r) => r.path.endsWith("/test"));
    const test = await screen.findByRole("button", { name: "Test Connection" });
    await pressWhileHeld(test, () => api.sent("POST", /\/erp\/connection\/test$/), api.release);
  });

  it("Preview mapping, whose words say the ERP is being read", async () => {
    const api = adoption(
      "#/companies/fresh/erp/connection",
      adoptionState({ connection: connected() }),
      (r) => r.path.endsWith("/mapping-preview"),
      { "GET /companies/fresh/erp/mapping-preview": () => ({ body: { erp_job_id: "F-3001", erp_system: "acumatica", total_lines: 0, lines: [] } }) },
    );
    fireEvent.change(await screen.findByLabelText("ERP job"), { target: { value: "F-3001" } });
    const preview = screen.getByRole("button", { name: "Preview mapping" });
    await pressWhileHeld(preview, () => api.sent("GET", /\/mapping-preview$/), api.release);
    expect(preview.textContent).toBe("Preview mapping");
  });

  it("Save Settings", async () => {
    const api = adoption("#/companies/fresh/erp/settings", adoptionState(), (r) => r.method === "PUT");
    const save = await screen.findByRole("button", { name: "Save Settings" });
    await pressWhileHeld(save, () => api.sent("PUT", /\/erp\/settings$/), api.release);
    expect(screen.getByRole("status").textContent).toBe("Settings saved.");
  });

  it("Sync from ERP", async () => {
    const api = adoption("#/companies/fresh/settings/cost-codes", adoptionState({ connection: connected() }), (r) => r.path.endsWith("/sync"));
    const sync = await screen.findByRole("button", { name: "Sync from ERP" });
    await pressWhileHeld(sync, () => api.sent("POST", /\/cost-catalog\/sync$/), api.release);
  });

  it("Add Cost Code", async () => {
    const api = adoption("#/companies/fresh/settings/cost-codes", adoptionState(), (r) => r.method === "PUT");
    fireEvent.change(await screen.findByLabelText("New Cost Code"), { target: { value: "02-200" } });
    const add = screen.getByRole("button", { name: "Add Cost Code" });
    await pressWhileHeld(add, () => api.sent("PUT", /\/cost-catalog$/), api.release);
    expect(screen.getByRole("rowheader", { name: "02-200" })).toBeTruthy();
  });

  describe("on Upload Export", () => {
    const row = budgetRowOf({
      budget_id: "b-s1",
      project_id: "p-S-1",
      project_name: "Sheet Job",
      erp_job_id: "S-1",
      erp_system: "spreadsheet",
      status: "ready_to_import",
      locked: false,
    });
    const mapping = {
      cost_code_column: "Code",
      cost_type_column: "Type",
      amount_column: "Amount",
      sub_job_column: "",
      kind_column: "",
      description_column: "",
    };
    const routes = {
      "GET /companies/fresh/erp/budgets": () => ({ body: { budgets: [row], next_cursor: null } }),
      "GET /companies/fresh/erp/spreadsheet/mapping": () => ({ body: mapping }),
      "PUT /companies/fresh/erp/spreadsheet/mapping": () => ({ body: mapping }),
      "POST /companies/fresh/erp/budgets/b-s1/exports": () => ({ status: 201, body: { url: "https://storage.test/", fields: { key: "k" } } }),
    };

    async function openPanel(held: (request: Asked) => boolean) {
      const api = adoption("#/companies/fresh/erp/budgets", adoptionState({ connection: connected("spreadsheet") }), held, routes);
      const opener = await screen.findByRole("button", { name: "Upload Export" });
      opener.focus();
      fireEvent.click(opener);
      const panel = screen.getByRole("region", { name: "Upload Export for Sheet Job" });
      await within(panel).findByRole("button", { name: "Save Mapping" });
      return { api, opener, panel };
    }

    it("Save Mapping", async () => {
      const { api, panel } = await openPanel((r) => r.method === "PUT");
      const save = within(panel).getByRole("button", { name: "Save Mapping" });
      await pressWhileHeld(save, () => api.sent("PUT", /\/spreadsheet\/mapping$/), api.release);
      expect(within(panel).getByRole("status").textContent).toBe("Column mapping saved.");
    });

    it("Upload", async () => {
      const { api, panel } = await openPanel((r) => r.path.endsWith("/exports"));
      const file = new File(["Code,Type,Amount\n01-100,L,5\n"], "budget.csv", { type: "text/csv" });
      fireEvent.change(within(panel).getByLabelText(/Budget export \(CSV or XLSX/), { target: { files: [file] } });
      const upload = within(panel).getByRole("button", { name: "Upload" });
      await pressWhileHeld(upload, () => api.sent("POST", /\/exports$/), api.release);
      expect(within(panel).getByRole("status").textContent).toBe("Uploaded budget.csv. Re-import the budget to apply it.");
    });

    it("Close gives the focus back to the row's Upload Export, which the panel's Close leaves with", async () => {
      const { opener, panel } = await openPanel(() => false);
      const close = within(panel).getByRole("button", { name: "Close" });
      close.focus();
      fireEvent.click(close);
      expect(screen.queryByRole("region", { name: "Upload Export for Sheet Job" })).toBeNull();
      expect(document.activeElement).toBe(opener);
    });
  });

  it("Lock Budget, which becomes Unlock Budget under the focus, and back", async () => {
    let locked = false;
    const budget: ProjectBudget = {
      budget_id: "b-1",
      project_id: "P-1",
      project_name: "Harbor Office",
      locked: false,
      locked_in_target: false,
      status: "synced",
      version: 1,
      total: "0.00",
      line_count: 0,
      next_cursor: null,
      line_items: [],
    };
    signedIn("#/companies/fresh/projects/P-1/budget");
    const api = serve(
      {
        "GET /me": () => ({ body: admin }),
        "GET /companies/fresh/projects/P-1/budget": () => ({ body: { ...budget, locked } }),
        "GET /companies/fresh/erp/jobs": () => ({ body: { jobs: [], next_cursor: null } }),
        "POST /companies/fresh/projects/P-1/budget/lock": () => ((locked = true), { status: 204 }),
        "DELETE /companies/fresh/projects/P-1/budget/lock": () => ((locked = false), { status: 204 }),
      },
      (r) => r.path.endsWith("/lock"),
    );
    render(<App config={{ apiBase: "" }} />);
    const lock = await screen.findByRole("button", { name: "Lock Budget" });
    await pressWhileHeld(lock, () => api.sent("POST", /\/lock$/), api.release);
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("The budget is locked."));
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Unlock Budget" }));

    const unlock = screen.getByRole("button", { name: "Unlock Budget" });
    await pressWhileHeld(unlock, () => api.sent("DELETE", /\/lock$/), api.release);
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("The budget is unlocked."));
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Lock Budget" }));
  });
});

describe("the focus when the control pressed leaves the page", () => {
  it("Cost Codes: Remove's row is gone, and the cost codes table has the focus", async () => {
    const state = adoptionState({
      catalog: { cost_codes: [{ code: "01-100", description: "General" }, { code: "02-200", description: "Sitework" }], cost_types: [] },
    });
    adoption("#/companies/fresh/settings/cost-codes", state);
    const table = await screen.findByRole("table", { name: /Cost codes/ });
    const remove = within(within(table).getByRole("rowheader", { name: "01-100" }).closest("tr")!).getByRole("button", { name: "Remove" });
    remove.focus();
    fireEvent.click(remove);

    await waitFor(() => expect(within(table).queryByRole("rowheader", { name: "01-100" })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(table));
    expect(screen.getByRole("status").textContent).toBe("Removed cost code 01-100.");
  });

  it("Cost Codes: a refused Remove leaves its row, and the focus, where they were", async () => {
    const state = adoptionState({ catalog: { cost_codes: [{ code: "01-100", description: "General" }], cost_types: [] }, usedCostCodes: ["01-100"] });
    adoption("#/companies/fresh/settings/cost-codes", state);
    const remove = await screen.findByRole("button", { name: "Remove" });
    remove.focus();
    fireEvent.click(remove);
    await screen.findByRole("alert");
    expect(document.activeElement).toBe(remove);
  });

  it("Projects: Link's row is linked, and its Linked Project link has the focus", async () => {
    adoption("#/companies/fresh/erp/projects", adoptionState({ connection: connected() }));
    const table = await screen.findByRole("table", { name: "ERP projects" });
    const row = within(table).getByRole("rowheader", { name: "F-3001" }).closest("tr")!;
    const link = within(row).getByRole("button", { name: "Link" });
    link.focus();
    fireEvent.click(link);

    await waitFor(() => expect(within(row).queryByRole("button", { name: "Link" })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(within(row).getByRole("link", { name: "Fresh Tower" })));
  });

  it("Projects in Procore: OK in the Procore project's dialog links the row, and its Linked Project link has the focus", async () => {
    const state = adoptionState({ connection: connected(), target: "procore", procoreProjects: ["2001"] });
    const api = adoption("#/companies/fresh/erp/projects", state);
    const table = await screen.findByRole("table", { name: "ERP projects" });
    await waitFor(() => expect(api.sent("GET", /\/target$/)).toBe(1));
    const row = within(table).getByRole("rowheader", { name: "F-3001" }).closest("tr")!;
    const link = within(row).getByRole("button", { name: "Link" });
    link.focus();
    fireEvent.click(link);

    const dialog = await screen.findByRole("dialog", { name: "Link F-3001 to a Procore Project" });
    fireEvent.change(within(dialog).getByLabelText("Procore Project ID"), { target: { value: "2001" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(within(row).getByRole("link", { name: "Fresh Tower" })));
  });
});

describe("the focus when the control pressed leaves the page, further", () => {
  it("Connection: Delete Connection leaves with the connection, and Save Connection has the focus", async () => {
    const state = adoptionState({ connection: connected() });
    adoption("#/companies/fresh/erp/connection", state);
    const remove = await screen.findByRole("button", { name: "Delete Connection" });
    remove.focus();
    fireEvent.click(remove);
    fireEvent.click(within(screen.getByRole("dialog", { name: "Please Confirm" })).getByRole("button", { name: "OK" }));

    await waitFor(() => expect(screen.queryByRole("button", { name: "Delete Connection" })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Save Connection" })));
    expect(state.connection).toBeNull();
  });

  it("Budget tab: a line's Save keeps the focus while it saves, and by the alert when refused", async () => {
    const budget: ProjectBudget = {
      budget_id: "b-1",
      project_id: "P-1",
      project_name: "Harbor Office",
      locked: false,
      locked_in_target: false,
      status: "synced",
      version: 1,
      total: "10.00",
      line_count: 1,
      next_cursor: null,
      line_items: [
        {
          line_item_id: "li-1",
          sub_job: "01",
          cost_code: "03-300",
          cost_type: "M",
          description: "Concrete",
          original_budget_amount: "10.00",
          uom: "CY",
          quantity: "1",
          unit_cost: "10",
        },
      ],
    };
    signedIn("#/companies/fresh/projects/P-1/budget");
    const api = serve(
      {
        "GET /me": () => ({ body: admin }),
        "GET /companies/fresh/projects/P-1/budget": () => ({ body: budget }),
        "GET /companies/fresh/erp/jobs": () => ({ body: { jobs: [], next_cursor: null } }),
        "PATCH /companies/fresh/projects/P-1/budget/line_items/li-1": () => ({
          status: 409,
          body: { error: { code: "budget_locked", message: "The budget is locked." } },
        }),
      },
      (r) => r.method === "PATCH",
    );
    render(<App config={{ apiBase: "" }} />);
    fireEvent.click(await screen.findByRole("button", { name: "Edit 01 / 03-300 / M" }));
    fireEvent.change(screen.getByLabelText("UOM for 01 / 03-300 / M"), { target: { value: "M3" } });
    const save = screen.getByRole("button", { name: "Save" });
    await pressWhileHeld(save, () => api.sent("PATCH", /\/line_items\/li-1$/), api.release);
    expect(screen.getByRole("alert").textContent).toBe("The budget is locked.");
  });
});

describe("the pager", () => {
  it("stays, with the focus on Previous page, while page 1 loads after the last page", () => {
    const props = { label: "Pages of things", onBack: () => undefined, onForward: () => undefined };
    const { rerender } = render(<Pager {...props} page={1} nextCursor="c2" loading={false} />);
    rerender(<Pager {...props} page={2} nextCursor={null} loading={false} />);
    const previous = screen.getByRole("button", { name: "Previous page" });
    previous.focus();

    // Page 1 asked for: the last page's answer (no next cursor) is still the one shown.
    rerender(<Pager {...props} page={1} nextCursor={null} loading={true} />);
    expect(screen.getByRole("navigation", { name: "Pages of things" })).toBeTruthy();
    expect(document.activeElement).toBe(previous);
    expect(previous.getAttribute("aria-disabled")).toBe("true");

    rerender(<Pager {...props} page={1} nextCursor="c2" loading={false} />);
    expect(document.activeElement).toBe(previous);
  });

  it("is not shown while a list's first page loads, nor for a list of one page", () => {
    const props = { label: "Pages of things", onBack: () => undefined, onForward: () => undefined };
    const { rerender } = render(<Pager {...props} page={1} nextCursor={undefined} loading={true} />);
    expect(screen.queryByRole("navigation")).toBeNull();
    rerender(<Pager {...props} page={1} nextCursor={null} loading={false} />);
    expect(screen.queryByRole("navigation")).toBeNull();
  });

  it("on Budgets keeps Previous page, and the focus, while page 1 is read again", async () => {
    const first = budgetRowOf({ budget_id: "b-1", project_id: "P-1", project_name: "Harbor Office", erp_job_id: "P-1", erp_system: "acumatica", status: "synced", locked: false });
    const last = { ...first, budget_id: "b-2", project_id: "P-2", project_name: "Riverside School", erp_job_id: "P-2" };
    let holdFirst = false;
    signedIn("#/companies/fresh/erp/budgets?filter=synced");
    const api = serve(
      {
        "GET /me": () => ({ body: admin }),
        "GET /companies/fresh/erp/connection": () => ({ body: { connection: connected() } }),
        "GET /companies/fresh/erp/budgets": (r) =>
          r.query.get("filter") !== "synced"
            ? { body: { budgets: [], next_cursor: null } }
            : r.query.get("cursor") === "c2"
              ? { body: { budgets: [last], next_cursor: null } }
              : { body: { budgets: [first], next_cursor: "c2" } },
      },
      (r) => holdFirst && r.path.endsWith("/erp/budgets") && r.query.get("filter") === "synced" && !r.query.get("cursor"),
    );
    render(<App config={{ apiBase: "" }} />);
    fireEvent.click(await screen.findByRole("button", { name: "Next page" }));
    await screen.findByRole("link", { name: "Riverside School" });
    const previous = screen.getByRole("button", { name: "Previous page" });
    previous.focus();
    holdFirst = true;

    fireEvent.click(previous);

    expect(screen.getByRole("navigation", { name: "Pages of budgets" })).toBeTruthy();
    expect(document.activeElement).toBe(previous);
    await api.release();
    await screen.findByRole("link", { name: "Harbor Office" });
    expect(document.activeElement).toBe(previous);
  });
});

describe("the focus when a link leads to another page", () => {
  function budgetsOf(state: AdoptionState) {
    const row = budgetRowOf({ budget_id: "b-1", project_id: "P-1", project_name: "Harbor Office", erp_job_id: "P-1", erp_system: "acumatica", status: "synced", locked: false });
    return adoption("#/companies/fresh/erp/budgets?filter=synced", state, undefined, {
      "GET /companies/fresh/erp/budgets": (r) => ({ body: { budgets: r.query.get("filter") === "synced" ? [row] : [], next_cursor: null } }),
    });
  }

  it("goes to the new page's content, not the body, and the pager says which page it shows", async () => {
    budgetsOf(adoptionState({ connection: connected() }));
    await screen.findByRole("link", { name: "Harbor Office" });
    const link = screen.getByRole("link", { name: "Company Settings" });
    link.focus();

    act(() => {
      window.location.hash = link.getAttribute("href") ?? "";
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });

    await waitFor(() => expect(document.title).not.toContain("Budgets"));
    expect(document.activeElement).toBe(document.getElementById("main"));
    render(<Pager label="Pages" page={2} nextCursor="c3" loading={false} onBack={() => {}} onForward={() => {}} />);
    expect(screen.getByText("Page 2").getAttribute("aria-live")).toBe("polite");
  });

  it("stays on the filter chosen on the same page", async () => {
    budgetsOf(adoptionState({ connection: connected() }));
    await screen.findByRole("link", { name: "Harbor Office" });
    const ready = screen.getByRole("radio", { name: /Ready to Import/ });
    ready.focus();

    act(() => {
      fireEvent.click(ready);
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });

    await waitFor(() => expect(window.location.hash).toContain("filter=ready_to_import"));
    await waitFor(() => expect(screen.queryByRole("link", { name: "Harbor Office" })).toBeNull());
    expect(document.activeElement).toBe(ready);
  });
});

describe("Budgets after Please Confirm is closed", () => {
  const row: ErpBudget = budgetRowOf({
    budget_id: "b-1001",
    project_id: "P-1001",
    project_name: "Harbor Office",
    erp_job_id: "P-1001",
    erp_system: "acumatica",
    status: "synced",
    locked: false,
    target: "procore",
    target_name: "Procore",
  });

  it("reads the row again when the preview failed (locked in Procore meanwhile): Re-import is no longer offered, and keeps the focus", async () => {
    let lockedInProcore = false;
    signedIn("#/companies/fresh/erp/budgets?filter=synced");
    const message = "The budget of Harbor Office is locked in Procore. Unlock the budget to re-import.";
    const api = serve({
      "GET /me": () => ({ body: admin }),
      "GET /companies/fresh/erp/connection": () => ({ body: { connection: connected() } }),
      "GET /companies/fresh/erp/budgets": (r) => ({
        body: {
          budgets:
            r.query.get("filter") !== "synced" ? [] : [lockedInProcore ? { ...row, locked: true, locked_in_target: true, can_reimport: false } : row],
          next_cursor: null,
        },
      }),
      "POST /companies/fresh/erp/budgets/b-1001/preview": () => {
        lockedInProcore = true;
        return { status: 202, body: { job_id: "p-1", status: "queued" } };
      },
      "GET /companies/fresh/erp/jobs/p-1": () => ({
        body: jobOf({ job_id: "p-1", budget_id: "b-1001", kind: "preview", status: "failed", message, error_code: "budget_locked" }),
      }),
    });
    render(<App config={{ apiBase: "" }} />);
    const tableRow = (await screen.findByRole("link", { name: "Harbor Office" })).closest("tr")!;
    const reimport = within(tableRow).getByRole("button", { name: "Re-import" });
    reimport.focus();
    fireEvent.click(reimport);
    const dialog = screen.getByRole("dialog", { name: "Please Confirm" });
    expect((await within(dialog).findByRole("alert", {}, { timeout: 3000 })).textContent).toBe(message);
    const readsBefore = api.sent("GET", /\/erp\/budgets$/);

    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));

    await waitFor(() => expect(api.sent("GET", /\/erp\/budgets$/)).toBeGreaterThan(readsBefore));
    await waitFor(() => expect(reimport.getAttribute("aria-disabled")).toBe("true"));
    expect(within(tableRow).getByText("Unlock the budget to re-import (it is locked in Procore)")).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(reimport));
    // Unavailable now: pressing it opens no dialog.
    fireEvent.click(reimport);
    expect(screen.queryByRole("dialog")).toBeNull();
  });
});

describe("the focus when a job's row or panel leaves", () => {
  const demoAdmin = {
    email: "admin@demo.test",
    companies: [{ company_id: "demo", name: "Demo Construction Co.", erp_permission: "admin", budget_permission: "admin" }],
  };
  const ready: ErpBudget = budgetRowOf({
    budget_id: "b-1004",
    project_id: "P-1004",
    project_name: "Riverside Depot",
    erp_job_id: "P-1004",
    erp_system: "acumatica",
    status: "ready_to_import",
    locked: false,
    can_import: true,
    can_reimport: false,
  });
  const other: ErpBudget = { ...ready, budget_id: "b-1005", project_id: "P-1005", project_name: "Hill School", erp_job_id: "P-1005" };

  /** Budgets, where `rows` answers the list as it stands; preview and apply of `budget` succeed. */
  function budgets(hash: string, rows: () => ErpBudget[], budget: ErpBudget, kind: "import" | "reimport", onApplied: () => void) {
    signedIn(hash);
    const done = kind === "import" ? "Successfully Imported to Budget Bridge" : "Successfully Re-imported to Budget Bridge";
    serve({
      "GET /me": () => ({ body: demoAdmin }),
      "GET /companies/demo/erp/connection": () => ({ body: { connection: connected() } }),
      "GET /companies/demo/erp/budgets": (r) => ({
        body: { budgets: rows().filter((b) => b.status === (r.query.get("filter") ?? "ready_to_import")), next_cursor: null },
      }),
      [`POST /companies/demo/erp/budgets/${budget.budget_id}/preview`]: () => ({ status: 202, body: { job_id: "p-1", status: "queued" } }),
      "GET /companies/demo/erp/jobs/p-1": () => ({ body: jobOf({ job_id: "p-1", budget_id: budget.budget_id, kind: "preview", status: "succeeded" }) }),
      [`POST /companies/demo/erp/budgets/${budget.budget_id}/${kind}`]: () => {
        onApplied();
        return { status: 202, body: { job_id: "j-1", status: "queued" } };
      },
      "GET /companies/demo/erp/jobs/j-1": () => ({
        body: jobOf({ job_id: "j-1", budget_id: budget.budget_id, kind, status: "succeeded", message: done }),
      }),
    });
    render(<App config={{ apiBase: "" }} />);
  }

  /** Opens Please Confirm from `button` by keyboard and presses OK once the preview is ready. */
  async function confirmFrom(button: HTMLElement) {
    button.focus();
    fireEvent.click(button);
    const dialog = screen.getByRole("dialog", { name: "Please Confirm" });
    const ok = within(dialog).getByRole("button", { name: "OK" }) as HTMLButtonElement;
    await waitFor(() => expect(ok.disabled).toBe(false), { timeout: 3000 });
    fireEvent.click(ok);
  }

  it("Import: the imported row leaves Ready to Import, and the table of the rows left has the focus", async () => {
    let imported = false;
    budgets("#/companies/demo/erp/budgets", () => [imported ? { ...ready, status: "synced" as const } : ready, other], ready, "import", () => {
      imported = true;
    });
    const row = (await screen.findByRole("link", { name: "Riverside Depot" })).closest("tr")!;
    await confirmFrom(within(row).getByRole("button", { name: "Import" }));

    await waitFor(() => expect(screen.queryByRole("link", { name: "Riverside Depot" })).toBeNull(), { timeout: 3000 });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("table", { name: "Budgets: Ready to Import" })));
  });

  it("Import of the last row: the list is empty, and the job's status has the focus", async () => {
    let imported = false;
    budgets("#/companies/demo/erp/budgets", () => [imported ? { ...ready, status: "synced" as const } : ready], ready, "import", () => {
      imported = true;
    });
    const row = (await screen.findByRole("link", { name: "Riverside Depot" })).closest("tr")!;
    await confirmFrom(within(row).getByRole("button", { name: "Import" }));

    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Successfully Imported to Budget Bridge"), { timeout: 3000 });
    await waitFor(() => expect(screen.queryByRole("table", { name: "Budgets: Ready to Import" })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("region", { name: "Job status" })));
  });

  it("Dismiss after a re-import gives the focus back to the row's Re-import", async () => {
    const synced = { ...ready, status: "synced" as const, can_import: false, can_reimport: true };
    budgets("#/companies/demo/erp/budgets?filter=synced", () => [synced], synced, "reimport", () => undefined);
    const row = (await screen.findByRole("link", { name: "Riverside Depot" })).closest("tr")!;
    const reimport = within(row).getByRole("button", { name: "Re-import" });
    await confirmFrom(reimport);
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Successfully Re-imported to Budget Bridge"), { timeout: 3000 });

    const panel = screen.getByRole("region", { name: "Job status" });
    const dismiss = within(panel).getByRole("button", { name: "Dismiss" });
    dismiss.focus();
    fireEvent.click(dismiss);

    await waitFor(() => expect(screen.queryByRole("region", { name: "Job status" })).toBeNull());
    expect(document.activeElement).toBe(within(screen.getByRole("link", { name: "Riverside Depot" }).closest("tr")!).getByRole("button", { name: "Re-import" }));
  });

  it("Dismiss after a restore gives the focus to the restored version's row, whose Restore is unavailable", async () => {
    const version = (n: number, source: string) => ({
      version: n,
      at: `2026-11-2${n}T09:00:00Z`,
      by: "admin@demo.test",
      source,
      job_id: `j-${n}`,
      total: "1000.00",
      summary: null,
    });
    let restored = false;
    const budget = projectBudgetOf({ version: 2, total: "1000.00" });
    signedIn("#/companies/demo/projects/P-1001/budget/history");
    serve({
      "GET /me": () => ({ body: demoAdmin }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: { ...budget, version: restored ? 3 : 2 } }),
      "GET /companies/demo/projects/P-1001/budget/history": () => ({
        body: { versions: [...(restored ? [version(3, "restore")] : []), version(2, "reimport"), version(1, "import")], next_cursor: null },
      }),
      "GET /companies/demo/projects/P-1001/budget/history/\\d": (r) => ({
        body: { ...budget, version: Number(r.path.split("/").pop()), changes: [] },
      }),
      "POST /companies/demo/projects/P-1001/budget/history/1/restore": () => {
        restored = true;
        return { status: 202, body: { job_id: "r-1", status: "queued" } };
      },
      "GET /companies/demo/erp/jobs/r-1": () => ({
        body: jobOf({ job_id: "r-1", budget_id: "b-1001", kind: "restore", status: "succeeded", message: "Successfully Restored version 1" }),
      }),
    });
    render(<App config={{ apiBase: "" }} />);
    const table = await screen.findByRole("table", { name: "Budget versions" });
    fireEvent.click(within(table).getByRole("button", { name: "Version 1" }));
    await screen.findByRole("heading", { name: "Version 1" });
    fireEvent.click(screen.getByRole("button", { name: "Restore This Version" }));
    fireEvent.click(within(screen.getByRole("dialog", { name: "Please Confirm" })).getByRole("button", { name: "OK" }));
    await screen.findByRole("heading", { name: "Version 3" }, { timeout: 3000 });

    const dismiss = within(screen.getByRole("region", { name: "Job status" })).getByRole("button", { name: "Dismiss" });
    dismiss.focus();
    fireEvent.click(dismiss);

    await waitFor(() => expect(screen.queryByRole("region", { name: "Job status" })).toBeNull());
    expect(document.activeElement).toBe(within(screen.getByRole("table", { name: "Budget versions" })).getByRole("button", { name: "Version 3" }));
  });
});
