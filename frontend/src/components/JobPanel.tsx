// The live state of an import / re-import: progress while it runs, then success or the failing lines.

import { useState } from "react";
import { getJobChangesCsv, listJobErrors } from "../api";
import { useApp } from "../context";
import { csvFileName } from "../download";
import { formatQuantity } from "../money";
import { needsNewPreview, progressLabel, type FlowState, type FlowTarget } from "../reimportFlow";
import { projectBudgetHash } from "../routes";
import type { Job, LineError } from "../types";
import { DownloadCsvButton } from "./DownloadCsvButton";
import { PagedFooter, usePagedRows } from "./PagedRows";

export function ProgressBar({ job }: { job: Job | null }) {
  const label = progressLabel(job);
  const total = job?.progress?.total ?? 0;
  const reported = job?.progress?.done ?? 0;
  const done = Math.min(reported, total);
  // A total of 0 means "not known yet": while the ERP is read, lines arrive with no count ahead.
  const known = total > 0;
  const percent = known ? Math.round((done / total) * 100) : 0;
  const text = known
    ? `${formatQuantity(String(done))} of ${formatQuantity(String(total))} lines`
    : reported > 0
      ? `${formatQuantity(String(reported))} lines so far`
      : "Waiting to start";
  return (
    <div className="progress">
      <div className="progress-label" aria-hidden="true">
        <strong>{label}</strong>
        <span className="muted">{text}</span>
      </div>
      <div
        className={`progress-track${known ? "" : " progress-indeterminate"}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={known ? total : undefined}
        aria-valuenow={known ? done : undefined}
        aria-valuetext={known || reported > 0 ? `${label}: ${text}` : label}
      >
        <div className="progress-fill" style={{ width: known ? `${percent}%` : undefined }} />
      </div>
    </div>
  );
}

/** Line errors shown a page at a time: the job answer's first 100 fit on one, as before paging. */
export const ERRORS_PAGE_SIZE = 100;

interface LineErrorsProps {
  errors: LineError[];
  /** How many there are in all (the job's `error_count`); more than `errors.length` means `loadMore` can fetch them. */
  total?: number;
  /** Fetches further errors into `errors`; absent when the caller has them all. */
  loadMore?: () => Promise<void>;
  pageSize?: number;
  /** What the lines are: the ERP's, unless the budget's target refused them (`target_rejected`). */
  caption?: string;
}

const ERRORS_CAPTION = "ERP lines that could not be accepted";
/** A job's `error_code` when the budget's target (Procore) refused the write: its errors are the target's. */
export const TARGET_REJECTED = "target_rejected";

export function LineErrorsTable({ errors, total = 0, loadMore, pageSize = ERRORS_PAGE_SIZE, caption = ERRORS_CAPTION }: LineErrorsProps) {
  const paged = usePagedRows(errors, total, pageSize, loadMore, "Could not load more line errors.");
  if (paged.count === 0) return null;
  return (
    <div>
      <div className="table-wrap">
        <table className="table table-compact">
          <caption>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Field</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {paged.rows.map((error, index) => (
              <tr key={`${error.line}-${error.field}-${paged.first + index}`}>
                <td className="num">{error.line}</td>
                <td>{error.field}</td>
                <td>{error.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <PagedFooter paged={paged} label={caption} noun="Errors" />
    </div>
  );
}

/** How many errors one `/errors` call fetches beyond those the job answer carried. */
const ERRORS_FETCHED = ERRORS_PAGE_SIZE;

/**
 * A failed job's (or preview's) line errors, paged: the job answer carries the first 100 and `error_count`,
 * the table fetches the rest from `/errors` as it pages. Keyed by the job where used, so a new job starts afresh.
 */
export function JobLineErrors({ companyId, job, errors }: { companyId: string; job: Job | null; errors: LineError[] }) {
  const { api, company } = useApp();
  const [extra, setExtra] = useState<LineError[]>([]);
  // undefined: /errors not asked yet; null: every error is held.
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const held = [...errors, ...extra];
  const total = Math.max(job?.error_count ?? 0, held.length);

  async function loadMore() {
    if (!job) return;
    // /errors pages from the first error: skip, by position, those the job answer carried (a
    // finished job's errors never change, and they are listed in the same order).
    let skip = cursor === undefined ? errors.length : 0;
    let next = cursor;
    let added: LineError[] = [];
    do {
      const limit = Math.min(1000, skip + ERRORS_FETCHED);
      const page = await listJobErrors(api, companyId, job.job_id, { limit, cursor: next ?? undefined });
      next = page.next_cursor;
      added = added.concat(page.errors.slice(skip));
      skip = Math.max(0, skip - page.errors.length);
    } while (added.length === 0 && next);
    setCursor(next);
    setExtra((previous) => [...previous, ...added]);
  }

  return (
    <LineErrorsTable
      errors={held}
      total={total}
      loadMore={job && held.length < total && cursor !== null ? loadMore : undefined}
      caption={job?.error_code === TARGET_REJECTED ? `Lines ${company.target_name} refused` : undefined}
    />
  );
}

function SummaryLine({ job }: { job: Job }) {
  const s = job.summary;
  if (!s) return null;
  const changed = s.lines_updated + s.lines_added + s.lines_zeroed;
  return (
    <p className="muted">
      {changed === 0
        ? `No amounts changed (${s.lines_unchanged} lines unchanged).`
        : `${s.lines_updated} updated, ${s.lines_added} added, ${s.lines_zeroed} set to 0, ${s.lines_unchanged} unchanged.`}
    </p>
  );
}

interface Props {
  state: FlowState;
  companyId: string;
  projectIdOf: (budgetId: string) => string | undefined;
  onDismiss: () => void;
  /**
   * Where the focus goes when Dismiss closes the panel (the panel, and the focus on its button, leave
   * the page): the control that opened the job, or the list the person was working in. The page's
   * content (`main`) when that is gone too, never the page's body.
   */
  focusAfterDismiss: () => HTMLElement | null | undefined;
  /** Offered when the budget or the ERP moved since the preview: open Please Confirm with a fresh one. */
  onPreviewAgain?: (target: FlowTarget) => void;
}

/** The job's status panel: where focus goes when a dialog's OK started the job and its opener is now disabled. */
export const JOB_STATUS_SELECTOR = "[data-job-status]";

const VERBS: Record<FlowTarget["kind"], string> = { import: "Importing", reimport: "Re-importing", restore: "Restoring" };
const DONE: Record<FlowTarget["kind"], string> = {
  import: "Successfully Imported",
  reimport: "Successfully Re-imported",
  restore: "Successfully Restored",
};

/** A finished job's changes as a CSV, named after the project and the job. */
export function JobCsvButton({ companyId, jobId, projectName }: { companyId: string; jobId: string; projectName: string }) {
  return (
    <DownloadCsvButton
      fetchFile={(client) => getJobChangesCsv(client, companyId, jobId)}
      fileName={csvFileName("changes", projectName, jobId)}
      describes="The lines this job changed, as a spreadsheet"
    />
  );
}

export function JobPanel({ state, companyId, projectIdOf, onDismiss, focusAfterDismiss, onPreviewAgain }: Props) {
  function dismiss() {
    // Moved before the panel leaves: its target is on the page now, and the focus never lands on the body.
    const next = focusAfterDismiss();
    next?.focus();
    if (!next || document.activeElement !== next) document.getElementById("main")?.focus();
    onDismiss();
  }

  const kind = "target" in state ? state.target.kind : "reimport";
  const success = state.phase === "succeeded" ? state.job.message || DONE[kind] : "";
  const projectId = "target" in state && kind !== "restore" ? projectIdOf(state.target.budget_id) : undefined;
  const showPanel = !["idle", "confirming"].includes(state.phase);
  return (
    <>
      {/* Always present, so the success sentence is announced when it appears. */}
      <div role="status" aria-live="polite" className={success ? "message message-success" : "visually-hidden"}>
        {success}
      </div>
      {showPanel && "target" in state && (
        <section className="card job-panel" aria-label="Job status" tabIndex={-1} data-job-status>
          <h2 className="job-title">
            {state.phase === "submitting" || state.phase === "polling" ? `${VERBS[kind]} ` : ""}
            {state.target.project_name}
          </h2>
          {state.phase === "submitting" && <p className="muted">Sending the request…</p>}
          {state.phase === "polling" && <ProgressBar job={state.job} />}
          {state.phase === "succeeded" && <SummaryLine job={state.job} />}
          {state.phase === "failed" && (
            <>
              <p className="message message-error" role="alert">
                {state.message}
              </p>
              <JobLineErrors key={state.job?.job_id} companyId={companyId} job={state.job} errors={state.errors} />
            </>
          )}
          {state.phase === "refused" && (
            <p className="message message-error" role="alert">
              {state.message}
            </p>
          )}
          {!["submitting", "polling"].includes(state.phase) && (
            <div className="actions">
              {needsNewPreview(state) && onPreviewAgain && (
                <button type="button" className="button button-primary" onClick={() => onPreviewAgain(state.target)}>
                  Preview Again
                </button>
              )}
              {state.phase === "succeeded" && (
                <JobCsvButton companyId={companyId} jobId={state.job.job_id} projectName={state.target.project_name} />
              )}
              {projectId && (
                <a className="button" href={projectBudgetHash(companyId, projectId, state.target.budget_id)}>
                  Open the project budget
                </a>
              )}
              <button type="button" className="button button-quiet" onClick={dismiss}>
                Dismiss
              </button>
            </div>
          )}
        </section>
      )}
    </>
  );
}
