// Recent imports and re-imports of one budget: who, when, outcome, and the lines each one changed.

import { useCallback, useEffect, useState } from "react";
import { listJobChanges, listJobs, type Api } from "../api";
import { useApp } from "../context";
import { formatTimestamp } from "../dates";
import { formatMoney } from "../money";
import type { Change, Job } from "../types";
import { JobCsvButton, JobLineErrors } from "./JobPanel";

const JOB_PAGE_SIZE = 10;
// Previews change nothing and one runs each time someone opens Please Confirm, so a page of jobs
// can be all previews: keep reading until a page's worth of the rest, but not without end.
const MAX_READS_PER_LOAD = 20;

/** The next jobs that are not previews, from `cursor` on: at least JOB_PAGE_SIZE unless the list ends or the reads run out. */
async function jobsBesidesPreviews(
  api: Api,
  companyId: string,
  budgetId: string,
  cursor: string | null,
): Promise<{ jobs: Job[]; next: string | null }> {
  const jobs: Job[] = [];
  let next = cursor;
  for (let reads = 0; reads < MAX_READS_PER_LOAD; reads += 1) {
    const page = await listJobs(api, companyId, { budget_id: budgetId, limit: JOB_PAGE_SIZE, cursor: next });
    jobs.push(...page.jobs.filter((job) => job.kind !== "preview"));
    next = page.next_cursor;
    if (!next || jobs.length >= JOB_PAGE_SIZE) break;
  }
  return { jobs, next };
}
const STATUS_TEXT: Record<string, string> = {
  queued: "Queued",
  in_progress: "In progress",
  succeeded: "Succeeded",
  failed: "Failed",
};
const CHANGE_TEXT: Record<Change["kind"], string> = { updated: "Updated", added: "Added", zeroed: "Set to 0" };
const KIND_TEXT: Record<Job["kind"], string> = { import: "Import", reimport: "Re-import", restore: "Restore", preview: "Preview" };

export function RecentJobs({ budgetId }: { budgetId: string }) {
  const { api, company } = useApp();
  const cid = company.company_id;
  const [jobs, setJobs] = useState<Job[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);

  // A promise chain rather than async/await, so the effect below sets no state until the answer.
  const load = useCallback(
    (cursor: string | null) =>
      jobsBesidesPreviews(api, cid, budgetId, cursor)
        .then((found) => {
          setJobs((previous) => (cursor ? [...previous, ...found.jobs] : found.jobs));
          setNext(found.next);
          setError(null);
        })
        .catch((caught: unknown) =>
          setError(caught instanceof Error ? caught.message : "Could not load the recent re-imports."),
        )
        .finally(() => setLoaded(true)),
    [api, cid, budgetId],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <section className="recent" aria-labelledby="recent-title">
      <h2 id="recent-title">Recent re-imports</h2>
      {error && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
      {!loaded ? (
        <p className="muted">Loading…</p>
      ) : jobs.length === 0 && !error && !next ? (
        <p className="muted">No imports or re-imports yet. They are listed here once someone runs one from ERP Integrations → Budgets.</p>
      ) : jobs.length === 0 && !error ? (
        <p className="muted">The latest jobs of this budget are all previews.</p>
      ) : (
        <ul className="job-list">
          {jobs.map((job) => (
            <JobItem key={job.job_id} job={job} companyId={cid} />
          ))}
        </ul>
      )}
      {next && (
        <button type="button" className="button" onClick={() => void load(next)}>
          Show older jobs
        </button>
      )}
    </section>
  );
}

function JobItem({ job, companyId }: { job: Job; companyId: string }) {
  const { api, company } = useApp();
  const [extra, setExtra] = useState<Change[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const first = job.changes ?? [];
  const changes = [...first, ...extra];
  const total = job.change_count ?? changes.length;
  // Before the first "more" request, whether more exist is judged from the job's count.
  const hasMore = cursor === undefined ? total > first.length : cursor !== null;

  async function more() {
    setLoading(true);
    try {
      const page = await listJobChanges(api, companyId, job.job_id, { cursor: cursor ?? undefined });
      // A line changes at most once per job, and /changes may start again from the first change:
      // keep only lines not shown yet.
      setExtra((previous) => {
        const shown = new Set([...first, ...previous].map((c) => c.line_item_id));
        return [...previous, ...page.changes.filter((c) => !shown.has(c.line_item_id))];
      });
      setCursor(page.next_cursor);
      setError(null);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : "Could not load more changes.");
    } finally {
      setLoading(false);
    }
  }

  const kind = KIND_TEXT[job.kind] ?? job.kind;
  const when = job.finished_at ?? job.requested_at;
  return (
    <li className="card job">
      <div className="job-head">
        <span className={`badge badge-job-${job.status}`}>{STATUS_TEXT[job.status] ?? job.status}</span>
        <strong>{kind}</strong>
        <span>
          by <span className="who">{job.requested_by ?? "unknown"}</span>
        </span>
        {when && <time dateTime={when}>{formatTimestamp(when)}</time>}
      </div>
      {job.message && <p className="job-message">{job.message}</p>}
      {job.summary && (
        <p className="muted small">
          {job.summary.lines_updated} updated, {job.summary.lines_added} added, {job.summary.lines_zeroed} set to 0,{" "}
          {job.summary.lines_unchanged} unchanged
        </p>
      )}
      {job.errors && job.errors.length > 0 && <JobLineErrors companyId={companyId} job={job} errors={job.errors} />}
      {(changes.length > 0 || hasMore) && (
        <details>
          <summary>Changes ({total})</summary>
          {changes.length > 0 && (
            <div className="table-wrap">
              <table className="table table-compact">
                <caption className="visually-hidden">Lines changed by this {kind.toLowerCase()}</caption>
                <thead>
                  <tr>
                    <th scope="col">Sub Job</th>
                    <th scope="col">Cost Code</th>
                    <th scope="col">Cost Type</th>
                    <th scope="col">Change</th>
                    <th scope="col" className="num">
                      Old Amount
                    </th>
                    <th scope="col" className="num">
                      New Amount
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {changes.map((change, index) => (
                    <tr key={`${change.line_item_id}-${index}`}>
                      <td>{change.sub_job}</td>
                      <td>{change.cost_code}</td>
                      <td>{change.cost_type}</td>
                      <td>{CHANGE_TEXT[change.kind] ?? change.kind}</td>
                      <td className="num">{change.old_amount === null ? "—" : formatMoney(change.old_amount)}</td>
                      <td className="num">{formatMoney(change.new_amount)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {error && (
            <p className="message message-error" role="alert">
              {error}
            </p>
          )}
          <div className="actions">
            {hasMore && (
              <button type="button" className="button button-small" disabled={loading} onClick={() => void more()}>
                Load more changes
              </button>
            )}
            {job.status === "succeeded" && <JobCsvButton companyId={company.company_id} jobId={job.job_id} projectName="" />}
          </div>
        </details>
      )}
    </li>
  );
}
