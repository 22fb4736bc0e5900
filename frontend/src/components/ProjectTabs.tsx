// The project page's tabs (Budget, History) as links, so each has its own address and Back works.

import { useApp } from "../context";
import { projectBudgetHash, projectHistoryHash } from "../routes";

interface Props {
  projectId: string;
  budgetId?: string;
  current: "budget" | "history";
}

export function ProjectTabs({ projectId, budgetId, current }: Props) {
  const { company } = useApp();
  return (
    <nav className="subnav subnav-inline" aria-label="Project tools">
      <ul>
        <li>
          <a
            href={projectBudgetHash(company.company_id, projectId, budgetId)}
            aria-current={current === "budget" ? "page" : undefined}
          >
            Budget
          </a>
        </li>
        <li>
          <a
            href={projectHistoryHash(company.company_id, projectId, budgetId)}
            aria-current={current === "history" ? "page" : undefined}
          >
            History
          </a>
        </li>
      </ul>
    </nav>
  );
}
