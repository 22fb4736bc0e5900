// Complete API answers for the tests: what the server sends, with each test naming only what it is about.

import type { ErpBudget, Job, ProjectBudget } from "../types";

/** A job as GET /erp/jobs/{job_id} answers it; `change_count` follows `changes`, `error_count` `errors`, unless given. */
export function jobOf(fields: Partial<Job> & Pick<Job, "job_id" | "budget_id" | "kind" | "status">): Job {
  return {
    progress: null,
    message: "",
    error_code: null,
    summary: null,
    changes: [],
    change_count: fields.changes?.length ?? 0,
    errors: [],
    error_count: fields.errors?.length ?? 0,
    requested_by: "admin@demo.test",
    requested_at: "2026-11-26T10:40:00Z",
    started_at: null,
    finished_at: null,
    totals: null,
    preview_job_id: null,
    restore_version: null,
    ...fields,
  };
}

/** A row of the Budgets list as GET /erp/budgets answers it, in a company whose budgets live in Budget Bridge. */
export function budgetRowOf(
  fields: Partial<ErpBudget> &
    Pick<ErpBudget, "budget_id" | "project_id" | "project_name" | "erp_job_id" | "erp_system" | "status" | "locked">,
): ErpBudget {
  return {
    current_procore_total: "0.00",
    current_erp_total: null,
    erp_total_as_of: null,
    last_synced_at: null,
    can_import: true,
    can_reimport: true,
    active_job_id: null,
    line_count: 0,
    locked_in_target: false,
    target: "budget_bridge",
    target_name: "Budget Bridge",
    procore_project_id: null,
    ...fields,
  };
}

/** The Budget tab's answer (GET /projects/{project_id}/budget) for Harbor Office, synced and unlocked, one page of no lines. */
export function projectBudgetOf(fields: Partial<ProjectBudget> = {}): ProjectBudget {
  return {
    project_id: "P-1001",
    project_name: "Harbor Office",
    budget_id: "b-1001",
    locked: false,
    locked_in_target: false,
    status: "synced",
    version: 3,
    total: "1250.50",
    line_count: 0,
    line_items: [],
    next_cursor: null,
    ...fields,
  };
}
