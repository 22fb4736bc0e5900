// The app as a person meets it, against a scripted API: sign-in, Budgets, the re-import flow, the Budget tab.
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeFetch } from "../test/fakeApi";
import { budgetRowOf } from "../test/fixtures";
import type { ErpBudget, Job, Permission, ProjectBudget } from "../types";
import { App } from "./App";

function me(erp: Permission, budget: Permission = erp, extra: object[] = []) {
  return {
    email: `${erp}@demo.test`,
    companies: [
      { company_id: "demo", name: "Demo Construction Co.", erp_permission: erp, budget_permission: budget },
      ...extra,
    ],
  };
}

const synced: ErpBudget = budgetRowOf({
  budget_id: "b-1001",
  project_id: "P-1001",
  project_name: "Harbor Office",
  erp_job_id: "P-1001",
  erp_system: "Acumatica",
  status: "synced",
  locked: false,
  current_procore_total: "1234567.80",
  last_synced_at: "2026-11-26T10:45:00Z",
  can_reimport: true,
});
const locked: ErpBudget = { ...synced, budget_id: "b-1002", project_id: "P-1002", project_name: "Riverside School", erp_job_id: "P-1002", locked: true, can_reimport: false };

function signedIn(hash: string) {
  sessionStorage.setItem("budgetBridge.token", "token-1");
  window.location.hash = hash;
}

function start(routes: Parameters<typeof fakeFetch>[0]) {
  const fake = fakeFetch(routes);
  vi.stubGlobal("fetch", fake.fetchImpl);
  render(<App config={{ apiBase: "" }} />);
  return fake;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("sign-in", () => {
  it("announces the API's message on a wrong password", async () => {
    start({ "POST /session": () => ({ status: 401, body: { error: { code: "invalid_credentials", message: "Email or password is wrong." } } }) });
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "standard@demo.test" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "nope" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Email or password is wrong.");
  });

  it("sends the token it received with every later call", async () => {
    window.location.hash = "#/companies/demo/erp/budgets";
    const fake = start({
      "POST /session": () => ({ body: { token: "jwt-abc", expires_in: 3600 } }),
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": () => ({ body: { budgets: [synced], next_cursor: null } }),
    });
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "standard@demo.test" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "Demo-pass-1" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByRole("heading", { name: "Budgets" });
    expect(fake.requests.find((r) => r.path === "/me")?.headers.Authorization).toBe("Bearer jwt-abc");
    expect(sessionStorage.getItem("budgetBridge.token")).toBe("jwt-abc");
  });

  it("sends the user back to sign in when the session expires", async () => {
    signedIn("#/companies/demo/erp/budgets");
    start({
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": () => ({ status: 401, body: { error: { code: "unauthorized", message: "Token expired." } } }),
    });
    expect((await screen.findByRole("alert")).textContent).toBe("Your session has expired. Please sign in again.");
    expect(screen.getByRole("button", { name: "Sign in" })).toBeTruthy();
    expect(sessionStorage.getItem("budgetBridge.token")).toBeNull();
  });

  it("leaves an address opened while /me loads alone instead of sending it to Budgets", async () => {
    signedIn("");
    start({
      "GET /me": () => {
        // A link followed before the app's first screen: the address has moved, its hashchange
        // event is not handled yet (replaceState sends none), so the route still says home.
        window.history.replaceState(null, "", "#/companies/demo/settings/cost-codes");
        return { body: me("admin") };
      },
      "GET /companies/demo/cost-catalog": () => ({ body: { cost_codes: [], cost_types: [] } }),
    });
    await screen.findByRole("link", { name: "ERP Integrations" });
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    expect(window.location.hash).toBe("#/companies/demo/settings/cost-codes");
    act(() => {
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    expect(await screen.findByRole("heading", { name: "Cost Codes", level: 1 })).toBeTruthy();
  });

  it("offers a company switcher to members of several companies", async () => {
    signedIn("#/companies/demo/erp/budgets");
    start({
      "GET /me": () => ({ body: me("standard", "standard", [{ company_id: "other", name: "Other Builders", erp_permission: "admin", budget_permission: "admin" }]) }),
      "GET /companies/\\w+/erp/budgets": () => ({ body: { budgets: [], next_cursor: null } }),
    });
    const select = (await screen.findByLabelText("Company")) as HTMLSelectElement;
    expect(select.value).toBe("demo");
    fireEvent.change(select, { target: { value: "other" } });
    await waitFor(() => expect(window.location.hash).toBe("#/companies/other/erp/budgets?filter=ready_to_import"));
  });
});

describe("Budgets list", () => {
  it("shows the rows with money formatted and the project linked to its Budget tab", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    const fake = start({
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": () => ({ body: { budgets: [synced, locked], next_cursor: null } }),
    });
    const link = await screen.findByRole("link", { name: "Harbor Office" });
    expect(link.getAttribute("href")).toBe("#/companies/demo/projects/P-1001/budget?budget_id=b-1001");
    expect(within(link.closest("tr")!).getByText("1,234,567.80")).toBeTruthy();
    expect((screen.getByRole("radio", { name: "Synced" }) as HTMLInputElement).checked).toBe(true);
    expect(fake.requests.find((r) => r.path.endsWith("/erp/budgets"))?.query.get("filter")).toBe("synced");
    for (const name of ["Project Name", "ERP Job ID", "ERP System", "Current Budget Bridge Total", "Last Synced", "Status"]) {
      expect(screen.getByRole("columnheader", { name })).toBeTruthy();
    }
  });

  it("switches the filter at once and keeps it in the address", async () => {
    signedIn("#/companies/demo/erp/budgets");
    const fake = start({
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": (r) => ({
        body: { budgets: r.query.get("filter") === "synced" ? [synced] : [], next_cursor: null },
      }),
    });
    const radio = (await screen.findByRole("radio", { name: "Synced" })) as HTMLInputElement;
    fireEvent.click(radio);
    expect(radio.checked).toBe(true);
    await screen.findByRole("link", { name: "Harbor Office" });
    expect(window.location.hash).toBe("#/companies/demo/erp/budgets?filter=synced");
    const filters = fake.requests.filter((r) => r.path.endsWith("/erp/budgets")).map((r) => r.query.get("filter"));
    expect(filters[0]).toBe("ready_to_import");
    expect(filters).toContain("synced");
  });

  it("shows the other filter's first page at once from the page read ahead, then reads it again", async () => {
    signedIn("#/companies/demo/erp/budgets");
    let read = 0;
    const fake = start({
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": (r) => {
        if (r.query.get("filter") !== "synced") return { body: { budgets: [], next_cursor: null } };
        read += 1;
        return { body: { budgets: [{ ...synced, project_name: `Harbor Office ${read}` }], next_cursor: null } };
      },
    });
    const bySynced = () => fake.requests.filter((r) => r.query.get("filter") === "synced");
    await waitFor(() => expect(bySynced()).toHaveLength(1)); // read ahead once Ready to Import is shown
    await screen.findByRole("heading", { name: "No budgets ready to import" });
    fireEvent.click(screen.getByRole("radio", { name: "Synced" }));
    // The rows read ahead, on screen within the click, while the same page is read again.
    expect(screen.getByRole("link", { name: "Harbor Office 1" })).toBeTruthy();
    expect(screen.getByRole("table", { name: "Budgets: Synced" }).getAttribute("aria-busy")).toBe("true");
    await screen.findByRole("link", { name: "Harbor Office 2" });
    expect(screen.queryByRole("link", { name: "Harbor Office 1" })).toBeNull();
    expect(screen.getByRole("table", { name: "Budgets: Synced" }).getAttribute("aria-busy")).toBe("false");
  });

  it("disables Re-import on a locked budget and shows why", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    start({
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": () => ({ body: { budgets: [synced, locked], next_cursor: null } }),
    });
    const row = (await screen.findByRole("link", { name: "Riverside School" })).closest("tr")!;
    const button = within(row).getByRole("button", { name: "Re-import" }) as HTMLButtonElement;
    // aria-disabled, not disabled: a row made so under the focus (a reload) keeps it.
    expect(button.getAttribute("aria-disabled")).toBe("true");
    expect(within(row).getByText("Unlock the budget to re-import")).toBeTruthy();
    const open = within(screen.getByRole("link", { name: "Harbor Office" }).closest("tr")!);
    expect(open.getByRole("button", { name: "Re-import" }).getAttribute("aria-disabled")).toBeNull();
  });

  it("offers no Re-import to a read-only user", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    start({
      "GET /me": () => ({ body: me("read_only") }),
      "GET /companies/demo/erp/budgets": () => ({ body: { budgets: [{ ...synced, can_reimport: false }], next_cursor: null } }),
    });
    await screen.findByRole("link", { name: "Harbor Office" });
    expect(screen.queryByRole("button", { name: "Re-import" })).toBeNull();
  });

  it("says what to do when the list is empty", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    start({
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": () => ({ body: { budgets: [], next_cursor: null } }),
    });
    expect(await screen.findByText(/Import one from Ready to Import first/)).toBeTruthy();
  });

  it("pages forward with next_cursor and back again", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    const fake = start({
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": (r) =>
        r.query.get("cursor") === "c2"
          ? { body: { budgets: [locked], next_cursor: null } }
          : { body: { budgets: [synced], next_cursor: "c2" } },
    });
    fireEvent.click(await screen.findByRole("button", { name: "Next page" }));
    await screen.findByRole("link", { name: "Riverside School" });
    expect(fake.requests.at(-1)?.query.get("cursor")).toBe("c2");
    fireEvent.click(screen.getByRole("button", { name: "Previous page" }));
    await screen.findByRole("link", { name: "Harbor Office" });
  });

  it("renders ERP text containing HTML as text", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    start({
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": () => ({
        body: { budgets: [{ ...synced, project_name: '<img src=x onerror="alert(1)">Tower' }], next_cursor: null },
      }),
    });
    const link = await screen.findByRole("link", { name: '<img src=x onerror="alert(1)">Tower' });
    expect(link.querySelector("img")).toBeNull();
  });
});

describe("re-import flow", () => {
  async function openDialog() {
    const row = (await screen.findByRole("link", { name: "Harbor Office" })).closest("tr")!;
    const button = within(row).getByRole("button", { name: "Re-import" });
    button.focus();
    fireEvent.click(button);
    return { button, dialog: screen.getByRole("dialog", { name: "Please Confirm" }) };
  }

  /** Opens Please Confirm and waits for the preview to finish, so OK can be pressed. */
  async function openPreviewed() {
    const opened = await openDialog();
    const ok = within(opened.dialog).getByRole("button", { name: "OK" }) as HTMLButtonElement;
    await waitFor(() => expect(ok.disabled).toBe(false), { timeout: 3000 });
    return opened;
  }

  const preview: Partial<Job> = {
    status: "succeeded",
    totals: { current_erp_total: "1235000.00", current_total: "1234567.80", new_total: "1235000.00" },
    summary: { lines_updated: 1, lines_added: 0, lines_zeroed: 0, lines_unchanged: 20 },
    changes: [{ line_item_id: "li-1", sub_job: "0001", cost_code: "01-100", cost_type: "L", kind: "updated", old_amount: "1000.00", new_amount: "1432.20" }],
    change_count: 1,
    errors: [],
  };

  function routes(job: (n: number) => Partial<Job>, post?: () => { status: number; body: unknown }) {
    let polls = 0;
    return {
      "GET /me": () => ({ body: me("standard") }),
      "GET /companies/demo/erp/budgets": () => ({ body: { budgets: [synced], next_cursor: null } }),
      "POST /companies/demo/erp/budgets/b-1001/preview": () => ({ status: 202, body: { job_id: "p-1", status: "queued" } }),
      "GET /companies/demo/erp/jobs/p-1": () => ({ body: { job_id: "p-1", budget_id: "b-1001", kind: "preview", ...preview } }),
      "POST /companies/demo/erp/budgets/b-1001/reimport": () => post?.() ?? { status: 202, body: { job_id: "j-1", status: "queued" } },
      "GET /companies/demo/erp/jobs/j-1": () => ({
        body: { job_id: "j-1", budget_id: "b-1001", kind: "reimport", status: "in_progress", ...job(polls++) },
      }),
    };
  }

  it("cancels with Escape and gives focus back to the row's button", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    const fake = start(routes(() => ({})));
    const { button, dialog } = await openDialog();
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(dialog.contains(document.activeElement)).toBe(true);
    fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(button));
    expect(fake.requests.some((r) => r.method === "POST" && !r.path.endsWith("/preview"))).toBe(false);
  });

  it("cancels with Escape and brings Tab back inside even once the focus has fallen to the page", async () => {
    // A focused button that turns disabled (Next page on the last page) drops the focus to <body>.
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    start(routes(() => ({})));
    const { dialog } = await openPreviewed();
    (document.activeElement as HTMLElement).blur();
    expect(document.activeElement).toBe(document.body);
    fireEvent.keyDown(document.body, { key: "Tab" });
    expect(dialog.contains(document.activeElement)).toBe(true);
    (document.activeElement as HTMLElement).blur();
    fireEvent.keyDown(document.body, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("keeps Tab inside the dialog", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    start(routes(() => ({})));
    const { dialog } = await openPreviewed();
    const ok = within(dialog).getByRole("button", { name: "OK" });
    const cancel = within(dialog).getByRole("button", { name: "Cancel" });
    cancel.focus();
    fireEvent.keyDown(cancel, { key: "Tab" });
    expect(document.activeElement).toBe(ok);
    fireEvent.keyDown(ok, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(cancel);
  });

  it("sends one idempotent request, shows progress, then the success message and the refreshed row", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    const fake = start(
      routes((n) =>
        n === 0
          ? { progress: { phase: "applying", done: 12, total: 40 } }
          : { status: "succeeded", message: "Successfully Re-imported to Budget Bridge" },
      ),
    );
    const { dialog } = await openPreviewed();
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    const bar = await screen.findByRole("progressbar", { name: "Applying" }, { timeout: 3000 });
    expect(bar.getAttribute("aria-valuenow")).toBe("12");
    expect(bar.getAttribute("aria-valuemax")).toBe("40");
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Successfully Re-imported to Budget Bridge"), {
      timeout: 3000,
    });
    const posts = fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/reimport"));
    expect(posts).toHaveLength(1);
    expect(posts[0].body).toEqual({ preview_job_id: "p-1" });
    expect(posts[0].headers["Idempotency-Key"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Read once, then again when the job finished (the other filter's page is read ahead besides).
    const syncedReads = () => fake.requests.filter((r) => r.path.endsWith("/erp/budgets") && r.query.get("filter") === "synced");
    await waitFor(() => expect(syncedReads()).toHaveLength(2));
  });

  it("shows a failed job's message and its failing lines", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    start(
      routes(() => ({
        status: "failed",
        message: "The ERP budget has 1 invalid line; nothing was changed.",
        errors: [{ line: 7, field: "CostCode", message: "Cost code 99-999 is not known to the company." }],
      })),
    );
    const { dialog } = await openPreviewed();
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    const alert = await screen.findByRole("alert", {}, { timeout: 3000 });
    expect(alert.textContent).toBe("The ERP budget has 1 invalid line; nothing was changed.");
    const table = screen.getByRole("table", { name: "ERP lines that could not be accepted" });
    expect(within(table).getByText("Cost code 99-999 is not known to the company.")).toBeTruthy();
  });

  it("pages through a failed job's line errors, fetching those beyond the job's first 100", async () => {
    const all = Array.from({ length: 250 }, (_, i) => ({ line: i + 1, field: "CostCode", message: `Cost code 99-${i + 1} is unknown.` }));
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    const fake = start({
      ...routes(() => ({ status: "failed", message: "250 lines of the ERP budget are invalid.", errors: all.slice(0, 100), error_count: 250 })),
      "GET /companies/demo/erp/jobs/j-1/errors": (r) => {
        const start = Number(r.query.get("cursor") ?? 0);
        const end = start + Number(r.query.get("limit"));
        return { body: { errors: all.slice(start, end), next_cursor: end < all.length ? String(end) : null } };
      },
    });
    const { dialog } = await openPreviewed();
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    await screen.findByRole("alert", {}, { timeout: 3000 });
    const panel = screen.getByRole("region", { name: "Job status" });
    const table = within(panel).getByRole("table", { name: "ERP lines that could not be accepted" });
    expect(within(table).getAllByRole("row")).toHaveLength(101);
    expect(within(panel).getByText(/Errors 1–100 of 250/)).toBeTruthy();
    const next = within(panel).getByRole("button", { name: "Next page" }) as HTMLButtonElement;

    fireEvent.click(next);
    await within(panel).findByText(/Errors 101–200 of 250/);
    expect(within(table).getByText("Cost code 99-101 is unknown.")).toBeTruthy();
    expect(within(table).queryByText("Cost code 99-100 is unknown.")).toBeNull();
    await waitFor(() => expect(next.getAttribute("aria-disabled")).toBeNull());
    fireEvent.click(next);
    await within(panel).findByText(/Errors 201–250 of 250/);
    expect(within(table).getAllByRole("row")).toHaveLength(51);
    expect(within(table).getByText("Cost code 99-250 is unknown.")).toBeTruthy();
    expect(next.getAttribute("aria-disabled")).toBe("true");
    fireEvent.click(within(panel).getByRole("button", { name: "Previous page" }));
    await within(panel).findByText(/Errors 101–200 of 250/);

    // Each error fetched once beyond the job answer's 100: the first call skips those it carried.
    const calls = fake.requests.filter((r) => r.path.endsWith("/errors")).map((r) => [r.query.get("cursor"), r.query.get("limit")]);
    expect(calls).toEqual([
      [null, "200"],
      ["200", "100"],
    ]);
  });

  it("announces a refused request with the API's message", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    start(
      routes(
        () => ({}),
        () => ({ status: 409, body: { error: { code: "job_in_progress", message: "A re-import of this budget is already running." } } }),
      ),
    );
    const { dialog } = await openPreviewed();
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    expect((await screen.findByRole("alert")).textContent).toBe("A re-import of this budget is already running.");
  });

  it("reads the row again after a refusal, so a budget locked meanwhile shows as locked", async () => {
    signedIn("#/companies/demo/erp/budgets?filter=synced");
    let lockedNow = false;
    start({
      ...routes(
        () => ({}),
        () => {
          lockedNow = true;
          return { status: 409, body: { error: { code: "budget_locked", message: "The budget for Harbor Office is locked. Unlock the budget to re-import." } } };
        },
      ),
      "GET /companies/demo/erp/budgets": () => ({
        body: { budgets: [lockedNow ? { ...synced, locked: true, can_reimport: false } : synced], next_cursor: null },
      }),
    });
    const { dialog } = await openPreviewed();
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    await screen.findByRole("alert");
    const row = (await screen.findByRole("link", { name: "Harbor Office" })).closest("tr")!;
    await waitFor(() => expect(within(row).getByRole("button", { name: "Re-import" }).getAttribute("aria-disabled")).toBe("true"));
    expect(within(row).getByText("Unlock the budget to re-import")).toBeTruthy();
  });
});

describe("project Budget tab", () => {
  const budget: ProjectBudget = {
    budget_id: "b-1001",
    project_id: "P-1001",
    project_name: "Harbor Office",
    locked: false,
    locked_in_target: false,
    status: "synced",
    version: 3,
    total: "51250.5",
    line_count: 1,
    next_cursor: null,
    line_items: [
      {
        line_item_id: "li-1",
        sub_job: "01",
        cost_code: "03-300",
        cost_type: "M",
        description: "<b>Concrete</b>",
        original_budget_amount: "51250.50",
        uom: "CY",
        quantity: "120",
        unit_cost: "427.09",
      },
    ],
  };

  function projectRoutes(perm: Permission, overrides: Partial<ProjectBudget> = {}) {
    return {
      "GET /me": () => ({ body: me("standard", perm) }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: { ...budget, ...overrides } }),
      "GET /companies/demo/erp/jobs": () => ({ body: { jobs: [], next_cursor: null } }),
      "PATCH /companies/demo/projects/P-1001/budget/line_items/li-1": () => ({ body: {} }),
      "POST /companies/demo/projects/P-1001/budget/lock": () => ({ status: 204 }),
    };
  }

  it("shows the lines, the total and the lock state; ERP text stays text", async () => {
    signedIn("#/companies/demo/projects/P-1001/budget?budget_id=b-1001");
    const fake = start(projectRoutes("read_only"));
    expect((await screen.findByRole("heading", { level: 1 })).textContent).toBe("Harbor Office Budget");
    expect(screen.getByText("<b>Concrete</b>")).toBeTruthy();
    expect(screen.getAllByText("51,250.50").length).toBeGreaterThan(0);
    expect(screen.getByText("Unlocked")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Lock Budget" })).toBeNull();
    expect(screen.queryByRole("button", { name: /^Edit/ })).toBeNull();
    await waitFor(() => expect(fake.requests.some((r) => r.query.get("budget_id") === "b-1001")).toBe(true));
  });

  it("lets a budget admin lock the budget", async () => {
    signedIn("#/companies/demo/projects/P-1001/budget");
    const fake = start(projectRoutes("admin"));
    fireEvent.click(await screen.findByRole("button", { name: "Lock Budget" }));
    await waitFor(() => expect(fake.requests.some((r) => r.method === "POST" && r.path.endsWith("/lock"))).toBe(true));
  });

  it("edits units and sends only the fields that changed", async () => {
    signedIn("#/companies/demo/projects/P-1001/budget");
    const fake = start(projectRoutes("standard"));
    fireEvent.click(await screen.findByRole("button", { name: "Edit 01 / 03-300 / M" }));
    fireEvent.change(screen.getByLabelText("UOM for 01 / 03-300 / M"), { target: { value: "M3" } });
    fireEvent.change(screen.getByLabelText("Quantity for 01 / 03-300 / M"), { target: { value: "91.75" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Save" }));
    });
    await waitFor(() => expect(fake.requests.some((r) => r.method === "PATCH")).toBe(true));
    expect(fake.requests.find((r) => r.method === "PATCH")?.body).toEqual({ uom: "M3", quantity: "91.75" });
  });

  it("says a budget locked in Procore is unlocked there, not with Unlock Budget", async () => {
    signedIn("#/companies/demo/projects/P-1001/budget");
    const procore = { ...me("admin").companies[0], target: "procore", target_name: "Procore" };
    start({
      ...projectRoutes("admin", { locked: true, locked_in_target: true }),
      "GET /me": () => ({ body: { email: "admin@demo.test", companies: [procore] } }),
    });
    expect(await screen.findByText("This budget is locked in Procore. Unlock it there to re-import or restore.")).toBeTruthy();
    expect(screen.getByText("Locked")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Unlock Budget" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Lock Budget" })).toBeNull();
  });

  it("offers no editing on a locked budget", async () => {
    signedIn("#/companies/demo/projects/P-1001/budget");
    start(projectRoutes("admin", { locked: true }));
    expect(await screen.findByRole("button", { name: "Unlock Budget" })).toBeTruthy();
    expect(screen.getByText("Locked")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /^Edit/ })).toBeNull();
  });
});
