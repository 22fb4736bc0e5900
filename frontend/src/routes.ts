// The hash routes of the app: parse a location hash into a view, and build hashes for links.

import type { BudgetStatus } from "./types";

export type Route =
  | { view: "home" }
  | { view: "budgets"; companyId: string; filter: BudgetStatus; limit?: number }
  | { view: "projectBudgets"; companyId: string }
  | { view: "projectBudget"; companyId: string; projectId: string; budgetId?: string }
  | { view: ErpSection; companyId: string }
  | { view: CompanySection; companyId: string }
  | { view: "projectHistory"; companyId: string; projectId: string; budgetId?: string }
  | { view: "notFound" };

/** ERP Integrations subtabs besides Budgets, by their address segment. */
export const ERP_SECTIONS = {
  projects: "erpProjects",
  settings: "erpSettings",
  connection: "erpConnection",
  target: "erpTarget",
} as const;
/** Company Settings subtabs, by their address segment. */
export const COMPANY_SECTIONS = { members: "members", "cost-codes": "costCodes", audit: "audit" } as const;

export type ErpSection = (typeof ERP_SECTIONS)[keyof typeof ERP_SECTIONS];
export type CompanySection = (typeof COMPANY_SECTIONS)[keyof typeof COMPANY_SECTIONS];

function seg(value: string): string {
  return encodeURIComponent(value);
}

export function budgetsHash(companyId: string, filter: BudgetStatus = "ready_to_import", limit?: number): string {
  return `#/companies/${seg(companyId)}/erp/budgets?filter=${filter}${limit ? `&limit=${limit}` : ""}`;
}

/** Every project budget of the company: the Budget tool's list, open to Budget readers without ERP access. */
export function projectBudgetsHash(companyId: string): string {
  return `#/companies/${seg(companyId)}/projects`;
}

export function projectBudgetHash(companyId: string, projectId: string, budgetId?: string): string {
  const query = budgetId ? `?budget_id=${seg(budgetId)}` : "";
  return `#/companies/${seg(companyId)}/projects/${seg(projectId)}/budget${query}`;
}

export function erpSectionHash(companyId: string, section: keyof typeof ERP_SECTIONS): string {
  return `#/companies/${seg(companyId)}/erp/${section}`;
}

export function companySettingsHash(companyId: string, section: keyof typeof COMPANY_SECTIONS = "members"): string {
  return `#/companies/${seg(companyId)}/settings/${section}`;
}

/** The project's History tab: every version of its budget, and Restore This Version. */
export function projectHistoryHash(companyId: string, projectId: string, budgetId?: string): string {
  const query = budgetId ? `?budget_id=${seg(budgetId)}` : "";
  return `#/companies/${seg(companyId)}/projects/${seg(projectId)}/budget/history${query}`;
}

function sectionOf<T extends Record<string, string>>(table: T, key: string): T[keyof T] | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? (table[key] as T[keyof T]) : undefined;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [path, query = ""] = raw.split("?", 2);
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 0) return { view: "home" };
  if (parts[0] === "companies" && parts.length === 4 && parts[2] === "erp" && parts[3] === "budgets") {
    const filter = params.get("filter") === "synced" ? "synced" : "ready_to_import";
    // An optional page size (1-500, the API's limit), e.g. for measuring a page of 500 budgets.
    const limit = Number(params.get("limit"));
    if (Number.isInteger(limit) && limit >= 1 && limit <= 500) {
      return { view: "budgets", companyId: parts[1], filter, limit };
    }
    return { view: "budgets", companyId: parts[1], filter };
  }
  if (parts[0] === "companies" && parts.length === 3 && parts[2] === "projects") {
    return { view: "projectBudgets", companyId: parts[1] };
  }
  if (parts[0] === "companies" && parts.length === 5 && parts[2] === "projects" && parts[4] === "budget") {
    const budgetId = params.get("budget_id") ?? undefined;
    return { view: "projectBudget", companyId: parts[1], projectId: parts[3], budgetId };
  }
  if (parts[0] === "companies" && parts.length === 4 && parts[2] === "erp") {
    const view = sectionOf(ERP_SECTIONS, parts[3]);
    if (view) return { view, companyId: parts[1] };
  }
  if (parts[0] === "companies" && parts.length === 4 && parts[2] === "settings") {
    const view = sectionOf(COMPANY_SECTIONS, parts[3]);
    if (view) return { view, companyId: parts[1] };
  }
  if (parts[0] === "companies" && parts.length === 6 && parts[2] === "projects" && parts[4] === "budget" && parts[5] === "history") {
    const budgetId = params.get("budget_id") ?? undefined;
    return { view: "projectHistory", companyId: parts[1], projectId: parts[3], budgetId };
  }
  return { view: "notFound" };
}
