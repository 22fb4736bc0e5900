// Budget -> Project Budgets: every project budget of the company by name, for anyone with Budget
// access, ERP access or not: where the Budget tool starts (the ERP Budgets list needs ERP access).

import { useCallback } from "react";
import { listProjectBudgets } from "../api";
import { useApp } from "../context";
import { formatMoney } from "../money";
import { projectBudgetHash } from "../routes";
import type { BudgetStatus, ProjectBudgetRow } from "../types";
import { Pager, usePagedList } from "./Pager";

export const PROJECTS_PAGE_SIZE = 50;

const STATUS_LABELS: Record<BudgetStatus, string> = { ready_to_import: "Ready to Import", synced: "Synced" };

function lockText(row: ProjectBudgetRow): string {
  if (row.locked_in_target) return `Locked in ${row.target_name}`;
  return row.locked ? "Locked" : "";
}

export function ProjectBudgetsView({ pageSize = PROJECTS_PAGE_SIZE }: { pageSize?: number }) {
  const { api, company } = useApp();
  const load = useCallback(
    (cursor: string | null) => listProjectBudgets(api, company.company_id, { limit: pageSize, cursor }),
    [api, company.company_id, pageSize],
  );
  const { pages, page, error, loading } = usePagedList(load, "Could not load the project budgets.");

  const rows = page?.projects ?? [];
  return (
    <div>
      <div className="page-head">
        <div>
          <p className="eyebrow">Budget</p>
          <h1>Project Budgets</h1>
        </div>
      </div>
      {error && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
      {loading && !page ? (
        <p className="muted">Loading the project budgets…</p>
      ) : rows.length === 0 && !error ? (
        <p className="empty card">This company has no project budgets yet.</p>
      ) : (
        rows.length > 0 && (
          <div className="table-wrap">
            <table className="table" aria-label="Project budgets" aria-busy={loading}>
              <thead>
                <tr>
                  <th scope="col">Project Name</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Current {rows[0].target_name} Total
                  </th>
                  <th scope="col" className="num">
                    Lines
                  </th>
                  <th scope="col">Lock</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.budget_id}>
                    <td>
                      <a href={projectBudgetHash(company.company_id, row.project_id, row.budget_id)}>{row.project_name}</a>
                    </td>
                    <td>
                      <span className={`badge badge-${row.status}`}>{STATUS_LABELS[row.status]}</span>
                    </td>
                    <td className="num">{formatMoney(row.total)}</td>
                    <td className="num">{row.line_count.toLocaleString("en-US")}</td>
                    <td>{lockText(row)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      <Pager
        label="Pages of the project budgets"
        page={pages.page}
        nextCursor={page?.next_cursor}
        loading={loading}
        onBack={pages.back}
        onForward={pages.forward}
      />
    </div>
  );
}
