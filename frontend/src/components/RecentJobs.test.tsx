// Recent re-imports on the Budget tab: shown to ERP Integrations users only, and never crowded out by previews.
import { fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeFetch } from "../test/fakeApi";
import { jobOf, projectBudgetOf } from "../test/fixtures";
import type { Job, Permission, ProjectBudget } from "../types";
import { App } from "./App";

function me(erp: Permission, budget: Permission) {
  return {
    email: "someone@demo.test",
    companies: [{ company_id: "demo", name: "Demo Construction Co.", erp_permission: erp, budget_permission: budget }],
  };
}

const budget: ProjectBudget = projectBudgetOf();

function job(id: string, kind: Job["kind"]): Job {
  return jobOf({ job_id: id, budget_id: "b-1001", kind, status: "succeeded", message: `${kind} ${id} done` });
}

function start(routes: Parameters<typeof fakeFetch>[0]) {
  const fake = fakeFetch(routes);
  vi.stubGlobal("fetch", fake.fetchImpl);
  render(<App config={{ apiBase: "" }} />);
  return fake;
}

beforeEach(() => {
  sessionStorage.setItem("budgetBridge.token", "token-1");
  window.location.hash = "#/companies/demo/projects/P-1001/budget?budget_id=b-1001";
});
afterEach(() => vi.unstubAllGlobals());

describe("Recent re-imports", () => {
  it("are not shown, nor asked for, to someone with Budget access and no ERP Integrations access", async () => {
    const fake = start({
      "GET /me": () => ({ body: me("none", "read_only") }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: budget }),
    });
    await screen.findByRole("heading", { name: /Harbor Office/ });
    expect(screen.queryByRole("heading", { name: "Recent re-imports" })).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(fake.requests.some((r) => r.path.endsWith("/erp/jobs"))).toBe(false);
  });

  it("reads past pages of previews to the budget's import", async () => {
    // Eleven previews (each opening of Please Confirm makes one), then the import, ten jobs a page.
    const all = [...Array.from({ length: 11 }, (_, i) => job(`p-${i}`, "preview")), job("i-1", "import")];
    start({
      "GET /me": () => ({ body: me("read_only", "read_only") }),
      "GET /companies/demo/projects/P-1001/budget": () => ({ body: budget }),
      "GET /companies/demo/erp/jobs": (r) => {
        const from = Number(r.query.get("cursor") ?? 0);
        const to = from + Number(r.query.get("limit"));
        return { body: { jobs: all.slice(from, to), next_cursor: to < all.length ? String(to) : null } };
      },
    });
    const recent = (await screen.findByRole("heading", { name: "Recent re-imports" })).closest("section")!;
    expect(await within(recent).findByText("import i-1 done")).toBeTruthy();
    expect(within(recent).queryByText(/No imports or re-imports yet/)).toBeNull();
    expect(within(recent).queryByText(/preview/)).toBeNull();
  });
});

const projects = {
  projects: [
    {
      project_id: "P-1001",
      project_name: "Harbor Office",
      budget_id: "b-1001",
      status: "synced",
      locked: false,
      locked_in_target: false,
      total: "1250.50",
      line_count: 12,
      target_name: "Budget Bridge",
    },
    {
      project_id: "P-1002",
      project_name: "Quay <b>Lofts</b>",
      budget_id: "b-1002",
      status: "ready_to_import",
      locked: true,
      locked_in_target: false,
      total: "0.00",
      line_count: 0,
      target_name: "Budget Bridge",
    },
  ],
  next_cursor: null,
};

describe("someone with Budget access alone", () => {
  it("lands on No access for ERP Integrations with a link to the Project Budgets list", async () => {
    window.location.hash = "#/companies/demo/erp/budgets";
    start({ "GET /me": () => ({ body: me("none", "read_only") }) });
    expect(await screen.findByRole("heading", { name: "No access" })).toBeTruthy();
    const hint = within(screen.getByRole("main")).getByRole("link", { name: "Project Budgets" });
    expect(hint.getAttribute("href")).toBe("#/companies/demo/projects");
    // ...and the main navigation has it too, since the ERP Budgets list is not theirs.
    const nav = within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "Project Budgets" });
    expect(nav.getAttribute("href")).toBe("#/companies/demo/projects");
  });

  it("starts on Project Budgets, each project a link to its Budget tab", async () => {
    window.location.hash = "";
    const fake = start({
      "GET /me": () => ({ body: me("none", "read_only") }),
      "GET /companies/demo/projects": () => ({ body: projects }),
    });
    expect(await screen.findByRole("heading", { name: "Project Budgets" })).toBeTruthy();
    expect(window.location.hash).toBe("#/companies/demo/projects");
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Project Budgets" }).getAttribute("aria-current")).toBe("page");
    const table = screen.getByRole("table", { name: "Project budgets" });
    expect(within(table).getByRole("columnheader", { name: "Current Budget Bridge Total" })).toBeTruthy();
    expect(within(table).getByRole("link", { name: "Harbor Office" }).getAttribute("href")).toBe(
      "#/companies/demo/projects/P-1001/budget?budget_id=b-1001",
    );
    // ERP text is text: the name shows its angle brackets, no bold element is made of it.
    expect(within(table).getByRole("link", { name: "Quay <b>Lofts</b>" }).querySelector("b")).toBeNull();
    expect(within(table).getByText("1,250.50")).toBeTruthy();
    expect(within(table).getByText("Locked")).toBeTruthy();
    expect(within(table).getByText("Ready to Import")).toBeTruthy();
    expect(fake.requests.some((r) => r.path.includes("/erp/"))).toBe(false);
  });

  it("keeps the page on screen when the next one cannot be read, and reads it on the next press", async () => {
    window.location.hash = "#/companies/demo/projects";
    let asked = 0;
    start({
      "GET /me": () => ({ body: me("none", "read_only") }),
      "GET /companies/demo/projects": (request) => {
        if (!request.query.get("cursor")) return { body: { projects: [projects.projects[0]], next_cursor: "c2" } };
        asked += 1;
        if (asked === 1) return { status: 503, body: { error: { code: "service_unavailable", message: "Try again." } } };
        return { body: { projects: [projects.projects[1]], next_cursor: null } };
      },
    });
    const table = await screen.findByRole("table", { name: "Project budgets" });
    const next = screen.getByRole("button", { name: "Next page" });
    next.focus();
    fireEvent.click(next);
    expect((await screen.findByRole("alert")).textContent).toBe("Try again.");
    expect(screen.getByText("Page 1")).toBeTruthy();
    expect(within(table).getByRole("link", { name: "Harbor Office" })).toBeTruthy();
    expect(document.activeElement).toBe(next);
    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    expect(await within(table).findByRole("link", { name: "Quay <b>Lofts</b>" })).toBeTruthy();
    expect(screen.getByText("Page 2")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(asked).toBe(2);
  });

  it("is No access for someone without Budget access, and not in their navigation", async () => {
    window.location.hash = "#/companies/demo/projects";
    const fake = start({ "GET /me": () => ({ body: me("admin", "none") }) });
    expect(await screen.findByRole("heading", { name: "No access" })).toBeTruthy();
    expect(within(screen.getByRole("navigation", { name: "Main" })).queryByRole("link", { name: "Project Budgets" })).toBeNull();
    expect(fake.requests.some((r) => r.path === "/companies/demo/projects")).toBe(false);
  });
});
