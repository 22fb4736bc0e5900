import { describe, expect, it } from "vitest";
import { canEditLines, canLock, hasCompanySettings, LOCKED_REASON, rowAction, RUNNING_REASON, sectionAccess } from "./permissions";
import { budgetRowOf } from "./test/fixtures";
import type { ErpBudget } from "./types";

const synced: ErpBudget = budgetRowOf({
  budget_id: "b-1",
  project_id: "P-1001",
  project_name: "Harbor Office",
  erp_job_id: "P-1001",
  erp_system: "Acumatica",
  status: "synced",
  locked: false,
  current_procore_total: "1000.00",
  last_synced_at: "2026-11-26T10:45:00Z",
  can_reimport: true,
});

describe("row action", () => {
  it("offers Re-import to standard users on a synced, unlocked budget", () => {
    expect(rowAction(synced, "standard")).toEqual({ kind: "reimport", label: "Re-import", disabled: false });
  });

  it("offers Import on a budget ready to import", () => {
    expect(rowAction({ ...synced, status: "ready_to_import", can_reimport: false, can_import: true }, "admin")).toMatchObject({
      label: "Import",
      disabled: false,
    });
  });

  it("disables Re-import on a locked budget and says why", () => {
    expect(rowAction({ ...synced, locked: true, can_reimport: false }, "admin")).toEqual({
      kind: "reimport",
      label: "Re-import",
      disabled: true,
      reason: LOCKED_REASON,
    });
  });

  it("says a budget locked in Procore is unlocked there", () => {
    const procore = { ...synced, target: "procore" as const, target_name: "Procore" };
    expect(rowAction({ ...procore, locked: true, locked_in_target: true, can_reimport: false }, "admin")).toEqual({
      kind: "reimport",
      label: "Re-import",
      disabled: true,
      reason: "Unlock the budget to re-import (it is locked in Procore)",
    });
  });

  it("disables Re-import while a job holds the budget and says so", () => {
    expect(rowAction({ ...synced, can_reimport: false, active_job_id: "j-9" }, "standard")).toMatchObject({
      disabled: true,
      reason: RUNNING_REASON,
    });
  });

  it("disables Import when the API says it cannot be done now", () => {
    expect(rowAction({ ...synced, status: "ready_to_import", can_import: false }, "standard")).toMatchObject({
      label: "Import",
      disabled: true,
    });
  });

  it("offers nothing below ERP standard", () => {
    expect(rowAction(synced, "read_only")).toEqual({ kind: "none" });
    expect(rowAction(synced, "none")).toEqual({ kind: "none" });
    expect(rowAction(synced, undefined)).toEqual({ kind: "none" });
  });
});

describe("budget tool", () => {
  it("lets standard users edit only unlocked budgets", () => {
    expect(canEditLines("standard", false)).toBe(true);
    expect(canEditLines("admin", true)).toBe(false);
    expect(canEditLines("read_only", false)).toBe(false);
  });

  it("lets only admins lock", () => {
    expect(canLock("admin")).toBe(true);
    expect(canLock("standard")).toBe(false);
  });
});

describe("who sees which adoption page", () => {
  it("opens Connection, Settings and linking to ERP admins only, Projects from ERP standard", () => {
    const standard = sectionAccess({ erp_permission: "standard", budget_permission: "standard" });
    expect(standard).toMatchObject({ budgets: true, projects: true, linkProjects: false, erpSettings: false, connection: false });
    const admin = sectionAccess({ erp_permission: "admin", budget_permission: "none" });
    expect(admin).toMatchObject({ projects: true, linkProjects: true, erpSettings: true, connection: true, editCostCodes: true });
    expect(sectionAccess({ erp_permission: "read_only", budget_permission: "none" }).projects).toBe(false);
  });

  it("opens Members and the Audit Log to an admin of either tool, the catalog to any reader", () => {
    const budgetAdmin = sectionAccess({ erp_permission: "none", budget_permission: "admin" });
    expect(budgetAdmin).toMatchObject({ budgets: false, members: true, audit: true, costCodes: true, editCostCodes: false });
    const reader = sectionAccess({ erp_permission: "none", budget_permission: "read_only" });
    expect(reader).toMatchObject({ members: false, audit: false, costCodes: true });
    expect(hasCompanySettings(reader)).toBe(true);
    expect(hasCompanySettings(sectionAccess({ erp_permission: "none", budget_permission: "none" }))).toBe(false);
  });
});
