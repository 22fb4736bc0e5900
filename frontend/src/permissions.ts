// What a user may do, from the permissions /me reports per company and tool.

import type { ErpBudget, Permission } from "./types";

const RANK: Record<Permission, number> = { none: 0, read_only: 1, standard: 2, admin: 3 };

export function atLeast(have: Permission | undefined, need: Permission): boolean {
  return have !== undefined && (RANK[have] ?? 0) >= RANK[need];
}

export const LOCKED_REASON = "Unlock the budget to re-import";
export const UNAVAILABLE_REASON = "Re-import is not available for this budget right now";

export type RowAction =
  | { kind: "none" }
  | { kind: "import" | "reimport"; label: "Import" | "Re-import"; disabled: boolean; reason?: string };

/** The action button a Budgets row offers: none below ERP standard, disabled with a reason when refused. */
export function rowAction(budget: ErpBudget, erpPermission: Permission | undefined): RowAction {
  if (!atLeast(erpPermission, "standard")) return { kind: "none" };
  if (budget.status === "ready_to_import") {
    return { kind: "import", label: "Import", disabled: false };
  }
  if (budget.locked) {
    return { kind: "reimport", label: "Re-import", disabled: true, reason: LOCKED_REASON };
  }
  if (budget.can_reimport === false) {
    return { kind: "reimport", label: "Re-import", disabled: true, reason: UNAVAILABLE_REASON };
  }
  return { kind: "reimport", label: "Re-import", disabled: false };
}

export function canEditLines(budgetPermission: Permission | undefined, locked: boolean): boolean {
  return !locked && atLeast(budgetPermission, "standard");
}

export function canLock(budgetPermission: Permission | undefined): boolean {
  return atLeast(budgetPermission, "admin");
}
