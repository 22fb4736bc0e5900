// ERP Integrations -> Budgets: filter, the paged table of budgets, and the import / re-import flow.

import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { getConnection, listErpBudgets, newIdempotencyKey } from "../api";
import { useApp } from "../context";
import { formatTimestamp } from "../dates";
import { erpSystemName } from "../erpSystems";
import { formatMoney } from "../money";
import { atLeast, rowAction, sectionAccess } from "../permissions";
import { flowReducer, initialFlow, isBusy, type FlowTarget } from "../reimportFlow";
import { budgetsHash, projectBudgetHash } from "../routes";
import type { BudgetStatus, ErpBudget, ErpBudgetPage } from "../types";
import { currentTotalLabel, targetName } from "../targets";
import { JobPanel } from "./JobPanel";
import { PreviewConfirm } from "./PreviewConfirm";
import { NoConnection } from "./ProjectsView";
import { UploadExport } from "./UploadExport";
import { useJobFlow } from "./useJobFlow";
import { Pager } from "./Pager";

export const PAGE_SIZE = 50;

const STATUS_LABELS: Record<BudgetStatus, string> = { ready_to_import: "Ready to Import", synced: "Synced" };
const FILTERS: BudgetStatus[] = ["ready_to_import", "synced"];

interface Props {
  filter: BudgetStatus;
  pageSize?: number;
}

export function BudgetsView({ filter: routeFilter, pageSize = PAGE_SIZE }: Props) {
  const { api, company } = useApp();
  const cid = company.company_id;
  // The filter answers a click at once; the URL follows, so a reload or Back keeps it.
  const [filter, setFilter] = useState<BudgetStatus>(routeFilter);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<ErpBudgetPage | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [flow, dispatch] = useReducer(flowReducer, initialFlow);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const knownProjects = useRef(new Map<string, string>());
  const knownRows = useRef(new Map<string, ErpBudget>());
  const cursor = cursors[cursors.length - 1];
  const [uploading, setUploading] = useState<ErpBudget | null>(null);

  const load = useCallback(
    async (quiet: boolean) => {
      if (!quiet) setLoading(true);
      try {
        const answer = await listErpBudgets(api, cid, { filter, limit: pageSize, cursor });
        answer.budgets.forEach((b) => {
          knownProjects.current.set(b.budget_id, b.project_id);
          knownRows.current.set(b.budget_id, b);
        });
        setPage(answer);
        setLoadError(null);
      } catch (error) {
        setLoadError(error instanceof Error ? error.message : "Could not load the budgets.");
      } finally {
        setLoading(false);
      }
    },
    [api, cid, filter, cursor, pageSize],
  );

  useEffect(() => {
    void load(false);
  }, [load]);

  // A company without an ERP connection has nothing to list yet: say where its admins connect one.
  const [connected, setConnected] = useState(true);
  useEffect(() => {
    let cancelled = false;
    getConnection(api, cid)
      .then((connection) => !cancelled && setConnected(connection !== null))
      .catch(() => undefined); // the list's own answer says what is wrong
    return () => {
      cancelled = true;
    };
  }, [api, cid]);

  const switchTo = useCallback((next: BudgetStatus) => {
    setFilter((current) => {
      if (current !== next) {
        setPage(null);
        setCursors([null]);
      }
      return next;
    });
  }, []);

  useEffect(() => switchTo(routeFilter), [routeFilter, switchTo]);

  useJobFlow(flow, dispatch, (target) => {
    const action = target.kind === "import" ? "import" : "reimport";
    return `/companies/${cid}/erp/budgets/${encodeURIComponent(target.budget_id)}/${action}`;
  });

  // A finished job changed the row (total, last synced, status): fetch the page again in place.
  const finished = flow.phase === "succeeded" || flow.phase === "failed";
  useEffect(() => {
    if (finished) void load(true);
  }, [finished]);

  function open(budget: ErpBudget, kind: "import" | "reimport") {
    const target: FlowTarget = {
      budget_id: budget.budget_id,
      project_name: budget.project_name,
      erp_system: erpSystemName(budget.erp_system),
      kind,
    };
    dispatch({ type: "open", target });
  }

  function chooseFilter(next: BudgetStatus) {
    if (next === filter) return;
    switchTo(next);
    window.location.hash = budgetsHash(company.company_id, next, pageSize === PAGE_SIZE ? undefined : pageSize);
  }

  const canAct = atLeast(company.erp_permission, "standard");
  const busy = isBusy(flow);
  const budgets = page?.budgets ?? [];
  const confirming = flow.phase === "confirming" ? flow.target : null;
  const confirmingRow = confirming ? knownRows.current.get(confirming.budget_id) : undefined;
  // A company writes to one target; its rows all name the same one.
  const target = targetName(budgets[0] ?? null);

  return (
    <div className="budgets">
      <div className="page-head">
        <div>
          <p className="eyebrow">ERP Integrations</p>
          <h1>Budgets</h1>
        </div>
      </div>

      <fieldset className="filter" role="radiogroup" aria-labelledby="filter-legend">
        <legend id="filter-legend">Filter Estimates By</legend>
        {FILTERS.map((value) => (
          <label key={value} className={`chip${value === filter ? " chip-active" : ""}`}>
            <input
              type="radio"
              name="estimate-filter"
              value={value}
              checked={value === filter}
              onChange={() => chooseFilter(value)}
            />
            {STATUS_LABELS[value]}
          </label>
        ))}
      </fieldset>

      {!connected && <NoConnection canConnect={sectionAccess(company).connection} companyId={cid} />}

      <JobPanel
        state={flow}
        companyId={company.company_id}
        projectIdOf={(id) => knownProjects.current.get(id)}
        onDismiss={() => dispatch({ type: "dismiss" })}
        onPreviewAgain={(target) => {
          dispatch({ type: "dismiss" });
          dispatch({ type: "open", target });
        }}
      />

      {loadError && (
        <p className="message message-error" role="alert">
          {loadError}
        </p>
      )}

      {loading && !page ? (
        <p className="muted" aria-live="polite">
          Loading budgets…
        </p>
      ) : budgets.length === 0 && !loadError ? (
        <EmptyState filter={filter} canAct={canAct} onSwitch={chooseFilter} />
      ) : (
        budgets.length > 0 && (
          <div className="table-wrap">
            <table className="table" aria-label={`Budgets: ${STATUS_LABELS[filter]}`} aria-busy={loading}>
              <thead>
                <tr>
                  <th scope="col">Project Name</th>
                  <th scope="col">ERP Job ID</th>
                  <th scope="col">ERP System</th>
                  <th scope="col" className="num">
                    {currentTotalLabel(target)}
                  </th>
                  <th scope="col">Last Synced</th>
                  <th scope="col">Status</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {budgets.map((budget) => {
                  const action = rowAction(budget, company.erp_permission);
                  const reasonId = `reason-${budget.budget_id}`;
                  const nameId = `name-${budget.budget_id}`;
                  return (
                    <tr key={budget.budget_id}>
                      <th scope="row" id={nameId} className="row-head">
                        <a href={projectBudgetHash(company.company_id, budget.project_id, budget.budget_id)}>
                          {budget.project_name}
                        </a>
                      </th>
                      <td>{budget.erp_job_id}</td>
                      <td>{erpSystemName(budget.erp_system)}</td>
                      <td className="num">{formatMoney(budget.current_procore_total)}</td>
                      <td>
                        {budget.last_synced_at ? (
                          <time dateTime={budget.last_synced_at}>{formatTimestamp(budget.last_synced_at)}</time>
                        ) : (
                          <span className="muted">Never</span>
                        )}
                      </td>
                      <td>
                        <span className={`badge badge-${budget.status}`}>{STATUS_LABELS[budget.status]}</span>
                        {budget.locked && <span className="badge badge-locked">Locked</span>}
                      </td>
                      <td className="action-cell">
                        {action.kind === "none" ? (
                          <span className="muted">View only</span>
                        ) : (
                          <>
                            <button
                              type="button"
                              className="button button-small"
                              ref={(el) => {
                                if (el) buttons.current.set(budget.budget_id, el);
                                else buttons.current.delete(budget.budget_id);
                              }}
                              disabled={action.disabled}
                              aria-disabled={!action.disabled && busy ? true : undefined}
                              aria-describedby={action.reason ? `${nameId} ${reasonId}` : nameId}
                              onClick={() => !busy && open(budget, action.kind)}
                            >
                              {action.label}
                            </button>
                            {action.reason && (
                              <span id={reasonId} className="reason">
                                {action.reason}
                              </span>
                            )}
                          </>
                        )}
                        {budget.erp_system === "spreadsheet" && atLeast(company.erp_permission, "admin") && (
                          <button
                            type="button"
                            className="button button-small"
                            aria-describedby={nameId}
                            onClick={() => setUploading(budget)}
                          >
                            Upload Export
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )
      )}

      {uploading && <UploadExport budget={uploading} onClose={() => setUploading(null)} />}

      <Pager
        label="Pages of budgets"
        page={cursors.length}
        nextCursor={page?.next_cursor}
        loading={loading}
        onBack={() => setCursors((stack) => stack.slice(0, -1))}
        onForward={(next) => setCursors((stack) => [...stack, next])}
      />

      {confirming && confirming.kind !== "restore" && (
        <PreviewConfirm
          key={`${confirming.budget_id}:${confirming.kind}`}
          target={{ ...confirming, kind: confirming.kind }}
          erpName={confirming.erp_system}
          targetName={targetName(confirmingRow ?? null)}
          lastErpTotal={
            confirmingRow?.current_erp_total
              ? { total: confirmingRow.current_erp_total, asOf: confirmingRow.erp_total_as_of ?? null }
              : null
          }
          onApply={(body) => dispatch({ type: "confirm", idempotencyKey: newIdempotencyKey(), body })}
          onCancel={() => dispatch({ type: "cancel" })}
          returnFocusTo={buttons.current.get(confirming.budget_id) ?? null}
        />
      )}
    </div>
  );
}

function EmptyState({
  filter,
  canAct,
  onSwitch,
}: {
  filter: BudgetStatus;
  canAct: boolean;
  onSwitch: (filter: BudgetStatus) => void;
}) {
  const other: BudgetStatus = filter === "synced" ? "ready_to_import" : "synced";
  return (
    <div className="empty card">
      <h2>{filter === "synced" ? "No synced budgets yet" : "No budgets ready to import"}</h2>
      <p>
        {filter === "synced"
          ? canAct
            ? "Budgets appear here once they are imported. Import one from Ready to Import first."
            : "Budgets appear here once someone with standard ERP permission imports them."
          : "Every ERP job with a budget has been imported, or the ERP has no budgets for your projects yet. Add a budget to a job in the ERP, or look under Synced to re-import one."}
      </p>
      <button type="button" className="button" onClick={() => onSwitch(other)}>
        Show {STATUS_LABELS[other]}
      </button>
    </div>
  );
}
