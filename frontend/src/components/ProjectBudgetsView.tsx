// Budget -> Project Budgets: every project budget of the company by name, for anyone with Budget
// access, ERP access or not: where the Budget tool starts (the ERP Budgets list needs ERP access).

import { useCallback } from "react";
import { listProjectBudgets } from "../api";
import { useApp } from "../context";
import { formatMoney } from "../money";
import { projectBudgetHash } from "../routes";
import type { BudgetStatus, ProjectBudgetRow } from "../types";
import { PagedListPage } from "./PagedListPage";
import { usePagedList } from "./Pager";

export const PROJECTS_PAGE_SIZE = 50;

const STATUS_LABELS: Record<BudgetStatus, string> = { ready_to_import: "Ready to Import", synced: "Synced" };

function lockText(row: ProjectBudgetRow): string {
  if (row.locked_in_target) return `Locked in ${row.target_name}`;
  return row.locked ? "Locked" : "Unlocked";
}

export function ProjectBudgetsView({ pageSize = PROJECTS_PAGE_SIZE }: { pageSize?: number }) {
  const { api, company } = useApp();
  const load = useCallback(
    (cursor: string | null) => listProjectBudgets(api, company.company_id, { limit: pageSize, cursor }),
    [api, company.company_id, pageSize],
  );
  const list = usePagedList(load, "Could not load the project budgets.");
  const rows = list.page?.projects ?? [];
  return (
    <PagedListPage
      eyebrow="Budget"
      title="Project Budgets"
      list={list}
      rows={rows.length}
      loadingText="Loading the project budgets…"
      emptyText="This company has no project budgets yet."
      pagerLabel="Pages of the project budgets"
    >
      <table className="table" aria-label="Project budgets" aria-busy={list.loading}>
        <thead>
          <tr>
            <th scope="col">Project Name</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Current {rows[0]?.target_name} Total
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
    </PagedListPage>
  );
}
