import { describe, expect, it } from "vitest";
import {
  budgetsHash,
  companySettingsHash,
  erpSectionHash,
  parseHash,
  projectBudgetHash,
  projectBudgetsHash,
  projectHistoryHash,
} from "./routes";

describe("routes", () => {
  it("reads the Project Budgets list, distinct from a project's Budget tab", () => {
    expect(parseHash(projectBudgetsHash("demo co"))).toEqual({ view: "projectBudgets", companyId: "demo co" });
    expect(parseHash("#/companies/demo/projects/P-1/budget").view).toBe("projectBudget");
  });

  it("reads the Budgets list with its filter, defaulting to Ready to Import", () => {
    expect(parseHash(budgetsHash("demo", "synced"))).toEqual({ view: "budgets", companyId: "demo", filter: "synced" });
    expect(parseHash("#/companies/demo/erp/budgets")).toEqual({
      view: "budgets",
      companyId: "demo",
      filter: "ready_to_import",
    });
  });

  it("takes a page size within the API's limit and ignores others", () => {
    expect(parseHash("#/companies/demo/erp/budgets?filter=synced&limit=500")).toMatchObject({ limit: 500 });
    expect(parseHash("#/companies/demo/erp/budgets?limit=5000")).not.toHaveProperty("limit");
  });

  it("round-trips a project Budget tab whose ids need escaping", () => {
    expect(parseHash(projectBudgetHash("demo co", "P/1001", "b-1"))).toEqual({
      view: "projectBudget",
      companyId: "demo co",
      projectId: "P/1001",
      budgetId: "b-1",
    });
  });

  it("round-trips a project's History tab", () => {
    expect(parseHash(projectHistoryHash("demo", "P-1001", "b-1"))).toEqual({
      view: "projectHistory",
      companyId: "demo",
      projectId: "P-1001",
      budgetId: "b-1",
    });
    expect(parseHash("#/companies/demo/projects/P-1001/budget/history")).toMatchObject({ view: "projectHistory" });
  });

  it("knows the home page and nothing else", () => {
    expect(parseHash("")).toEqual({ view: "home" });
    expect(parseHash("#/")).toEqual({ view: "home" });
    expect(parseHash("#/nowhere")).toEqual({ view: "notFound" });
  });

  it("reads the ERP Integrations and Company Settings sections and refuses unknown ones", () => {
    expect(parseHash(erpSectionHash("fresh", "connection"))).toEqual({ view: "erpConnection", companyId: "fresh" });
    expect(parseHash(erpSectionHash("fresh", "projects"))).toEqual({ view: "erpProjects", companyId: "fresh" });
    expect(erpSectionHash("fresh", "target")).toBe("#/companies/fresh/erp/target");
    expect(parseHash(erpSectionHash("fresh", "target"))).toEqual({ view: "erpTarget", companyId: "fresh" });
    expect(parseHash(companySettingsHash("fresh", "cost-codes"))).toEqual({ view: "costCodes", companyId: "fresh" });
    expect(parseHash(companySettingsHash("fresh"))).toEqual({ view: "members", companyId: "fresh" });
    expect(parseHash("#/companies/fresh/settings/toString")).toEqual({ view: "notFound" });
    expect(parseHash("#/companies/fresh/erp/secrets")).toEqual({ view: "notFound" });
  });
});
