// Please Confirm for an import / re-import: runs a preview job first, shows the three totals and the
// changed lines, lists bad ERP lines (OK disabled), and OK applies exactly that preview.

import { useEffect, useReducer, useRef, useState } from "react";
import { ApiError } from "../api";
import { useApp } from "../context";
import { formatTimestamp } from "../dates";
import { formatMoney } from "../money";
import { applyBody, previewBody, previewReducer, startPreview, type PreviewState } from "../previewFlow";
import type { FlowTarget, RequestBody } from "../reimportFlow";
import { currentTotalLabel, newTotalLabel } from "../targets";
import type { Accepted, Change, ChangePage, Job, Totals } from "../types";
import { ChangesTable, changeKey } from "./ChangesTable";
import { ConfirmDialog } from "./ConfirmDialog";
import { LineErrorsTable, ProgressBar } from "./JobPanel";

interface Props {
  target: FlowTarget & { kind: "import" | "reimport" };
  /** The ERP's display name ("Acumatica") and the target's ("Budget Bridge"). */
  erpName: string;
  targetName: string;
  /** The ERP total as last fetched (from the Budgets row), shown while the preview runs. */
  lastErpTotal?: { total: string; asOf: string | null } | null;
  onApply: (body: RequestBody) => void;
  onCancel: () => void;
  returnFocusTo?: HTMLElement | null;
}

export function PreviewConfirm({ target, erpName, targetName, lastErpTotal, onApply, onCancel, returnFocusTo }: Props) {
  const { company } = useApp();
  const [state, dispatch] = useReducer(previewReducer, undefined, () => startPreview());
  const jobsBase = `/companies/${encodeURIComponent(company.company_id)}/erp/jobs`;
  useRunPreview(state, dispatch, `/companies/${encodeURIComponent(company.company_id)}/erp/budgets/${encodeURIComponent(target.budget_id)}/preview`, jobsBase);

  const body = applyBody(state);
  const asksToZero = state.phase === "rejected" && state.emptyErp;
  return (
    <ConfirmDialog
      onConfirm={() => body && onApply(body)}
      onCancel={onCancel}
      confirmDisabled={body === null}
      returnFocusTo={returnFocusTo}
      extraActions={
        asksToZero ? (
          <button type="button" className="button button-danger" onClick={() => dispatch({ type: "start", allowEmpty: true })}>
            Zero the Budget Anyway
          </button>
        ) : undefined
      }
    >
      {target.kind === "import" ? (
        <p>
          Import the budget of <strong>{target.project_name}</strong> from {erpName}? A line item is created for each cost
          code and cost type of the ERP budget.
        </p>
      ) : (
        <p>
          Re-import the budget of <strong>{target.project_name}</strong> from {erpName}? The project's budget amounts are
          replaced by the ERP's; units, quantities and descriptions are kept.
        </p>
      )}
      {/* Focus stays on Cancel while the preview runs: say when it is ready (failures are alerts). */}
      <p className="visually-hidden" aria-live="polite">
        {state.phase === "ready" ? readyAnnouncement(state.job) : ""}
      </p>
      <PreviewBody state={state} kind={target.kind} erpName={erpName} targetName={targetName} jobsBase={jobsBase} />
      {lastErpTotal && (state.phase === "requesting" || state.phase === "running") && (
        <p className="muted small">
          {erpName}'s total when last fetched{lastErpTotal.asOf ? ` (${formatTimestamp(lastErpTotal.asOf)})` : ""}:{" "}
          {formatMoney(lastErpTotal.total)}
        </p>
      )}
    </ConfirmDialog>
  );
}

/** Sends the preview request when one is due, then follows the job with the same backoff as an apply. */
function useRunPreview(state: PreviewState, dispatch: (event: Parameters<typeof previewReducer>[1]) => void, url: string, jobsBase: string) {
  const { api } = useApp();
  const requestKey = state.phase === "requesting" ? `request:${state.allowEmpty}` : null;
  useEffect(() => {
    if (state.phase !== "requesting") return;
    let cancelled = false;
    api
      .request<Accepted>("POST", url, { body: previewBody(state) })
      .then((accepted) => !cancelled && dispatch({ type: "accepted", jobId: accepted.job_id }))
      .catch((error: unknown) => {
        if (cancelled) return;
        dispatch({
          type: "refused",
          code: error instanceof ApiError ? error.code : "error",
          message: error instanceof Error ? error.message : "The preview was refused.",
        });
      });
    return () => {
      cancelled = true;
    };
  }, [requestKey]);

  const pollKey = state.phase === "running" ? `${state.jobId}:${state.attempt}` : null;
  useEffect(() => {
    if (state.phase !== "running") return;
    const { jobId, delay } = state;
    let cancelled = false;
    const timer = setTimeout(() => {
      api
        .get<Job>(`${jobsBase}/${encodeURIComponent(jobId)}`)
        .then((job) => !cancelled && dispatch({ type: "jobUpdate", job }))
        .catch((error: unknown) => {
          if (cancelled || (error instanceof ApiError && error.status === 401)) return;
          dispatch({ type: "pollFailed", message: error instanceof Error ? error.message : "unknown error" });
        });
    }, delay);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [pollKey]);
}

/** Worded apart from the visible terms, so a search for "New ... Total" finds one element. */
export function readyAnnouncement(job: Job): string {
  const changed = job.change_count ?? job.changes?.length ?? 0;
  const total = job.totals ? ` The total after applying it: ${formatMoney(job.totals.new_total)}.` : "";
  return `Preview ready: ${changed === 1 ? "1 line changes" : `${changed} lines change`}.${total} Press OK to apply it.`;
}

interface BodyProps {
  state: PreviewState;
  kind: "import" | "reimport";
  erpName: string;
  targetName: string;
  jobsBase: string;
}

function PreviewBody({ state, kind, erpName, targetName, jobsBase }: BodyProps) {
  if (state.phase === "requesting" || state.phase === "running") {
    return (
      <section className="preview" aria-label="Preview">
        <p className="muted">Previewing what the {kind === "import" ? "import" : "re-import"} would change…</p>
        <ProgressBar job={state.phase === "running" ? state.job : null} />
      </section>
    );
  }
  if (state.phase === "refused") {
    return (
      <p className="message message-error" role="alert">
        {state.message}
      </p>
    );
  }
  const job = state.job;
  return (
    <section className="preview" aria-label="Preview">
      {job.totals && <TotalsList totals={job.totals} kind={kind} erpName={erpName} targetName={targetName} />}
      {state.phase === "rejected" ? (
        <>
          <p className="message message-error" role="alert">
            {state.message}
          </p>
          {state.emptyErp && (
            <p>
              Set every line of this budget to 0 anyway? Choose <strong>Zero the Budget Anyway</strong> to preview that,
              then OK to apply it.
            </p>
          )}
          <LineErrorsTable errors={state.errors} />
        </>
      ) : (
        <ReadyPreview job={job} jobsBase={jobsBase} />
      )}
    </section>
  );
}

function TotalsList({ totals, kind, erpName, targetName }: { totals: Totals; kind: "import" | "reimport"; erpName: string; targetName: string }) {
  return (
    <dl className="facts totals">
      <div>
        <dt>Current {erpName} Total</dt>
        <dd className="num">{formatMoney(totals.current_erp_total)}</dd>
      </div>
      <div>
        <dt>{currentTotalLabel(targetName)}</dt>
        <dd className="num">{formatMoney(totals.current_total)}</dd>
      </div>
      <div>
        <dt>{newTotalLabel(targetName, kind)}</dt>
        <dd className="num total">{formatMoney(totals.new_total)}</dd>
      </div>
    </dl>
  );
}

function ReadyPreview({ job, jobsBase }: { job: Job; jobsBase: string }) {
  const { api } = useApp();
  const [extra, setExtra] = useState<Change[]>([]);
  const cursor = useRef<string | null | undefined>(undefined);
  const first = job.changes ?? [];
  const changes = [...first, ...extra];
  const total = job.change_count ?? changes.length;
  const s = job.summary;

  async function loadMore() {
    // /changes pages from the first change: skip the lines the job answer already carried.
    const shown = new Set(changes.map(changeKey));
    let added: Change[] = [];
    do {
      const page = await api.get<ChangePage>(`${jobsBase}/${encodeURIComponent(job.job_id)}/changes`, {
        limit: 100,
        cursor: cursor.current ?? undefined,
      });
      cursor.current = page.next_cursor;
      added = added.concat(page.changes.filter((c) => !shown.has(changeKey(c))));
    } while (added.length === 0 && cursor.current);
    setExtra((previous) => [...previous, ...added]);
  }

  return (
    <>
      {s && (
        <p className="muted">
          {s.lines_updated + s.lines_added + s.lines_zeroed === 0
            ? `Nothing changes: the budget already matches the ERP (${s.lines_unchanged} lines unchanged).`
            : `${s.lines_updated} updated, ${s.lines_added} added, ${s.lines_zeroed} set to 0, ${s.lines_unchanged} unchanged.`}
        </p>
      )}
      <ChangesTable
        label="Changed lines"
        changes={changes}
        total={total}
        loadMore={changes.length < total && cursor.current !== null ? loadMore : undefined}
      />
    </>
  );
}
