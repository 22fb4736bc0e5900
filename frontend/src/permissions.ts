// What a user may do, from the permissions /me reports per company and tool.

import type { CompanyAccess, ErpBudget, Permission } from "./types";

const RANK: Record<Permission, number> = { none: 0, read_only: 1, standard: 2, admin: 3 };

export const PERMISSIONS: Permission[] = ["none", "read_only", "standard", "admin"];
export const PERMISSION_LABELS: Record<Permission, string> = {
  none: "None",
  read_only: "Read Only",
  standard: "Standard",
  admin: "Admin",
};

export function atLeast(have: Permission | undefined, need: Permission): boolean {
  return have !== undefined && (RANK[have] ?? 0) >= RANK[need];
}

export const LOCKED_REASON = "Unlock the budget to re-import";
export const RUNNING_REASON = "A job for this budget is already running";
export const UNAVAILABLE_REASON = "Not available for this budget right now";

export type RowAction =
  | { kind: "none" }
  | { kind: "import" | "reimport"; label: "Import" | "Re-import"; disabled: boolean; reason?: string };

/** The action button a Budgets row offers: none below ERP standard, disabled with a reason when refused. */
export function rowAction(budget: ErpBudget, erpPermission: Permission | undefined): RowAction {
  if (!atLeast(erpPermission, "standard")) return { kind: "none" };
  // The list's can_import / can_reimport is the server's word (it knows about running jobs); the
  // reasons come from the row so the person knows what to do about it.
  const refusedReason = budget.active_job_id ? RUNNING_REASON : UNAVAILABLE_REASON;
  if (budget.status === "ready_to_import") {
    return budget.can_import === false
      ? { kind: "import", label: "Import", disabled: true, reason: refusedReason }
      : { kind: "import", label: "Import", disabled: false };
  }
  if (budget.locked) {
    // A lock held in Procore is lifted there, not by Budget Bridge's Unlock Budget; the reason
    // still opens with the words every locked row shows.
    const reason = budget.locked_in_target ? `${LOCKED_REASON} (it is locked in ${budget.target_name})` : LOCKED_REASON;
    return { kind: "reimport", label: "Re-import", disabled: true, reason };
  }
  if (budget.can_reimport === false) {
    return { kind: "reimport", label: "Re-import", disabled: true, reason: refusedReason };
  }
  return { kind: "reimport", label: "Re-import", disabled: false };
}

export function canEditLines(budgetPermission: Permission | undefined, locked: boolean): boolean {
  return !locked && atLeast(budgetPermission, "standard");
}

export function canLock(budgetPermission: Permission | undefined): boolean {
  return atLeast(budgetPermission, "admin");
}

/** What each tab of ERP Integrations and Company Settings needs, as the API's routes demand it. */
export interface SectionAccess {
  budgets: boolean;
  projects: boolean;
  linkProjects: boolean;
  erpSettings: boolean;
  connection: boolean;
  members: boolean;
  costCodes: boolean;
  editCostCodes: boolean;
  audit: boolean;
}

export function sectionAccess(company: Pick<CompanyAccess, "erp_permission" | "budget_permission">): SectionAccess {
  const erp = company.erp_permission;
  const budget = company.budget_permission;
  const erpAdmin = atLeast(erp, "admin");
  const anyAdmin = erpAdmin || atLeast(budget, "admin");
  return {
    budgets: atLeast(erp, "read_only"),
    projects: atLeast(erp, "standard"),
    linkProjects: erpAdmin,
    erpSettings: erpAdmin,
    connection: erpAdmin,
    members: anyAdmin,
    costCodes: atLeast(erp, "read_only") || atLeast(budget, "read_only"),
    editCostCodes: erpAdmin,
    audit: anyAdmin,
  };
}

export function hasCompanySettings(access: SectionAccess): boolean {
  return access.members || access.costCodes || access.audit;
}
