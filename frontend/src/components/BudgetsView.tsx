// ERP Integrations -> Budgets: filter, the paged table of budgets, and the import / re-import flow.

import { useEffect, useReducer, useRef, useState } from "react";
import { getConnection, listErpBudgets, newIdempotencyKey, requestBudgetJob } from "../api";
import { useApp } from "../context";
import { formatTimestamp } from "../dates";
import { erpSystemName } from "../erpSystems";
import { formatMoney } from "../money";
import { atLeast, rowAction, sectionAccess } from "../permissions";
import { flowReducer, initialFlow, isBusy, type FlowTarget } from "../reimportFlow";
import { budgetsHash, projectBudgetHash } from "../routes";
import type { BudgetStatus, ErpBudget, ErpBudgetPage } from "../types";
import { currentTotalLabel, targetName } from "../targets";
import { ActionButton, useFocusFallback } from "./ActionButton";
import { JOB_STATUS_SELECTOR, JobPanel } from "./JobPanel";
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

/** Moves the address to another filter of the list; a reload or Back then keeps it. */
function showFilterInAddress(hash: string) {
  window.location.hash = hash;
}

interface Loaded {
  request: string; // the request this answers (see `requestOf`)
  filter: BudgetStatus;
  answer: ErpBudgetPage;
}

function requestOf(filter: BudgetStatus, cursor: string | null, reloads: number): string {
  return JSON.stringify([filter, cursor, reloads]);
}

export function BudgetsView({ filter: routeFilter, pageSize = PAGE_SIZE }: Props) {
  const { api, company } = useApp();
  const cid = company.company_id;
  // The filter answers a click at once; the URL follows, so a reload or Back keeps it.
  const [filter, setFilter] = useState<BudgetStatus>(routeFilter);
  const [routeSeen, setRouteSeen] = useState<BudgetStatus>(routeFilter);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [failure, setFailure] = useState<{ request: string; message: string } | null>(null);
  const [reloads, setReloads] = useState(0);
  const [flow, dispatch] = useReducer(flowReducer, initialFlow);
  // The row whose Import / Re-import was pressed, and that button, for the dialog and the panel.
  const [flowRow, setFlowRow] = useState<ErpBudget | null>(null);
  const [returnFocus, setReturnFocus] = useState<HTMLElement | null>(null);
  const cursor = cursors[cursors.length - 1];
  // The row whose Upload Export panel is open, and that button, which gets the focus back on Close.
  const [uploading, setUploading] = useState<{ budget: ErpBudget; opener: HTMLElement } | null>(null);
  // The list takes the focus when the control that had it leaves with its row (see below).
  const tableRef = useRef<HTMLTableElement>(null);
  const watchFocus = useFocusFallback();
  const request = requestOf(filter, cursor, reloads);

  // The other filter's first page, read once this one's is on screen, so that switching shows
  // rows at once (then reads them again, as any switch does).
  const [prefetched, setPrefetched] = useState<Loaded | null>(null);

  function showFilter(next: BudgetStatus) {
    setFilter(next);
    setCursors([null]);
    if (prefetched?.filter === next) setLoaded({ ...prefetched, request: "prefetched" });
  }

  // Back or a link moved the address to another filter: follow it (during render, not after).
  if (routeFilter !== routeSeen) {
    setRouteSeen(routeFilter);
    if (routeFilter !== filter) showFilter(routeFilter);
  }

  // The read-ahead request while it is still on its way: a switch waits for it rather than asking
  // the same page again behind it.
  const inFlight = useRef<{ filter: BudgetStatus; answer: Promise<ErpBudgetPage> } | null>(null);

  useEffect(() => {
    let cancelled = false;
    const ahead = inFlight.current;
    const read = () => listErpBudgets(api, cid, { filter, limit: pageSize, cursor });
    const answered = ahead && ahead.filter === filter && cursor === null ? ahead.answer.catch(read) : read();
    answered
      .then((answer) => {
        if (cancelled) return;
        setLoaded({ request, filter, answer });
        setFailure(null);
      })
      .catch((error: unknown) => {
        if (cancelled) return;
        setFailure({ request, message: error instanceof Error ? error.message : "Could not load the budgets." });
      });
    return () => {
      cancelled = true;
    };
  }, [api, cid, filter, cursor, pageSize, request]);

  const other: BudgetStatus = filter === "synced" ? "ready_to_import" : "synced";
  const shownFirstPage = loaded?.request === request && cursor === null;
  const prefetch = shownFirstPage ? requestOf(other, null, reloads) : null;
  useEffect(() => {
    if (prefetch === null) return;
    let cancelled = false;
    const answer = listErpBudgets(api, cid, { filter: other, limit: pageSize, cursor: null });
    const entry = { filter: other, answer };
    inFlight.current = entry;
    answer
      .then((page) => !cancelled && setPrefetched({ request: prefetch, filter: other, answer: page }))
      .catch(() => undefined) // the switch then reads the page as it always did
      .finally(() => {
        if (inFlight.current === entry) inFlight.current = null;
      });
    return () => {
      cancelled = true;
    };
  }, [api, cid, other, pageSize, prefetch]);

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

  useJobFlow(flow, dispatch, (client, target, idempotencyKey, body) =>
    requestBudgetJob(client, cid, target.budget_id, target.kind === "import" ? "import" : "reimport", idempotencyKey, body),
  );

  // A finished job changed the row (total, last synced, status): fetch the page again in place.
  // So does a refused request: the budget is no longer as the row shows it (locked, a job running,
  // no longer synced), and the row must say so instead of offering the button again.
  const finished = flow.phase === "succeeded" || flow.phase === "failed" || flow.phase === "refused";
  const [finishedSeen, setFinishedSeen] = useState(finished);
  if (finished !== finishedSeen) {
    setFinishedSeen(finished);
    if (finished) setReloads((n) => n + 1);
  }

  // Please Confirm closed without applying. Its preview may have found the budget changed (locked in
  // Procore, a job running, no longer synced: it fails with that refusal) while the row still offers
  // the button: read the page again in place, as after a refused apply. This view cannot tell a failed
  // preview from a ready one (PreviewConfirm keeps its state), so every cancel reads it: one request.
  // The row's button, which gets the focus back, may leave with its row: the table then takes it.
  function cancelled() {
    dispatch({ type: "cancel" });
    watchFocus(returnFocus, () => tableRef.current);
    setReloads((n) => n + 1);
  }

  function closeUpload() {
    const opener = uploading?.opener;
    setUploading(null);
    // The panel, and its Close with the focus, leave the page: back to the row's Upload Export.
    if (opener?.isConnected) opener.focus();
    else tableRef.current?.focus();
  }

  function open(budget: ErpBudget, kind: "import" | "reimport", button: HTMLElement | null) {
    const target: FlowTarget = {
      budget_id: budget.budget_id,
      project_name: budget.project_name,
      erp_system: erpSystemName(budget.erp_system),
      kind,
    };
    setFlowRow(budget);
    if (button) setReturnFocus(button);
    dispatch({ type: "open", target });
  }

  function chooseFilter(next: BudgetStatus) {
    if (next === filter) return;
    showFilter(next);
    showFilterInAddress(budgetsHash(company.company_id, next, pageSize === PAGE_SIZE ? undefined : pageSize));
  }

  // Rows of another filter are never shown under this one's name; a later page of the same
  // filter stays on screen (marked busy) until the next one arrives.
  const page = loaded && loaded.filter === filter ? loaded.answer : null;
  const loadError = failure?.message ?? null;
  const loading = loaded?.request !== request && failure?.request !== request;
  const canAct = atLeast(company.erp_permission, "standard");
  const busy = isBusy(flow);
  const budgets = page?.budgets ?? [];
  const confirming = flow.phase === "confirming" ? flow.target : null;
  const confirmingRow = confirming && flowRow?.budget_id === confirming.budget_id ? flowRow : undefined;
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
        projectIdOf={(id) => (flowRow?.budget_id === id ? flowRow.project_id : undefined)}
        onDismiss={() => dispatch({ type: "dismiss" })}
        focusAfterDismiss={() => (returnFocus?.isConnected ? returnFocus : tableRef.current)}
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
            <table className="table" aria-label={`Budgets: ${STATUS_LABELS[filter]}`} aria-busy={loading} ref={tableRef} tabIndex={-1}>
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
                            {/* aria-disabled, not disabled, when the row does not allow it (its reason
                                describes it): a reload after Please Confirm may make it so under the focus. */}
                            <ActionButton
                              className="button button-small"
                              unavailable={action.disabled || busy}
                              aria-describedby={action.reason ? `${nameId} ${reasonId}` : nameId}
                              onClick={(event) => open(budget, action.kind, event.currentTarget)}
                            >
                              {action.label}
                            </ActionButton>
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
                            onClick={(event) => setUploading({ budget, opener: event.currentTarget })}
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

      {uploading && <UploadExport budget={uploading.budget} onClose={closeUpload} />}

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
          onApply={(body) => {
            // The row's button gets the focus back while the job runs; an import's row leaves the Ready
            // to Import list once it succeeds: the table takes the focus, or the job's status when the
            // list is left empty.
            watchFocus(returnFocus, () => tableRef.current ?? document.querySelector<HTMLElement>(JOB_STATUS_SELECTOR));
            dispatch({ type: "confirm", idempotencyKey: newIdempotencyKey(), body });
          }}
          onCancel={cancelled}
          returnFocusTo={returnFocus}
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
