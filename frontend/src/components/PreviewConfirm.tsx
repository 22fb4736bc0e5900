// Please Confirm for an import / re-import: runs a preview job first, shows the three totals and the
// changed lines, lists bad ERP lines (OK disabled), and OK applies exactly that preview.

import { useEffect, useEffectEvent, useReducer } from "react";
import { ApiError, requestPreview } from "../api";
import { useApp } from "../context";
import { formatTimestamp } from "../dates";
import { formatMoney } from "../money";
import { applyBody, previewBody, previewReducer, startPreview, type PreviewEvent, type PreviewState } from "../previewFlow";
import type { FlowTarget, RequestBody } from "../reimportFlow";
import { currentTotalLabel, newTotalLabel } from "../targets";
import type { Job, Totals } from "../types";
import { ChangesTable, useJobChanges } from "./ChangesTable";
import { ConfirmDialog } from "./ConfirmDialog";
import { JobLineErrors, ProgressBar } from "./JobPanel";
import { usePollJob } from "./usePollJob";

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
  useRunPreview(state, dispatch, company.company_id, target.budget_id);

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
      <PreviewBody state={state} kind={target.kind} erpName={erpName} targetName={targetName} companyId={company.company_id} />
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
function useRunPreview(state: PreviewState, dispatch: (event: PreviewEvent) => void, companyId: string, budgetId: string) {
  const { api } = useApp();
  // What the effects do, with the latest values; the effects themselves run once per state below.
  const report = useEffectEvent((event: PreviewEvent) => dispatch(event));
  const send = useEffectEvent((requested: PreviewState) => requestPreview(api, companyId, budgetId, previewBody(requested)));

  // Each start of a preview is a new state object, so this sends one request per start.
  const requesting = state.phase === "requesting" ? state : null;
  useEffect(() => {
    if (!requesting) return;
    let cancelled = false;
    send(requesting)
      .then((accepted) => !cancelled && report({ type: "accepted", jobId: accepted.job_id }))
      .catch((error: unknown) => {
        if (cancelled) return;
        report({
          type: "refused",
          code: error instanceof ApiError ? error.code : "error",
          message: error instanceof Error ? error.message : "The preview was refused.",
        });
      });
    return () => {
      cancelled = true;
    };
  }, [requesting]);

  // Each poll's answer makes a new state (the next attempt), which schedules the next poll.
  usePollJob(state.phase === "running" ? state : null, companyId, dispatch);
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
  companyId: string;
}

function PreviewBody({ state, kind, erpName, targetName, companyId }: BodyProps) {
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
          <JobLineErrors key={job.job_id} companyId={companyId} job={job} errors={state.errors} />
        </>
      ) : (
        <ReadyPreview job={job} companyId={companyId} />
      )}
    </section>
  );
}

function TotalsList({ totals, kind, erpName, targetName }: { totals: Totals; kind: "import" | "reimport"; erpName: string; targetName: string }) {
  return (
    <dl className="facts totals">
      <div>
        <dt>Current {erpName} Total</dt>
        {/* null: the job did not get a total from the ERP (it failed before the ERP answered, or an amount is not one) */}
        <dd className="num">{totals.current_erp_total === null ? "Not known" : formatMoney(totals.current_erp_total)}</dd>
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

function ReadyPreview({ job, companyId }: { job: Job; companyId: string }) {
  // The job answer carries the first 100 changes; the table fetches the rest from the job as it pages.
  const first = job.changes ?? [];
  const { changes, total, loadMore } = useJobChanges(companyId, job.job_id, first, job.change_count ?? first.length);
  const s = job.summary;

  return (
    <>
      {s && (
        <p className="muted">
          {s.lines_updated + s.lines_added + s.lines_zeroed === 0
            ? `Nothing changes: the budget already matches the ERP (${s.lines_unchanged} lines unchanged).`
            : `${s.lines_updated} updated, ${s.lines_added} added, ${s.lines_zeroed} set to 0, ${s.lines_unchanged} unchanged.`}
        </p>
      )}
      <ChangesTable label="Changed lines" changes={changes} total={total} loadMore={loadMore} />
    </>
  );
}
