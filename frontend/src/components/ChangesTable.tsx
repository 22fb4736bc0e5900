// A paged table of changed lines (Sub Job, Cost Code, Cost Type, before, after, Difference), shared by
// the preview in Please Confirm and a version in History; useJobChanges fetches a job's changes beyond
// those an answer carried as the table pages.

import { useState } from "react";
import { listJobChanges } from "../api";
import { useApp } from "../context";
import { decimalDifference, formatDifference, formatMoney } from "../money";
import type { Change } from "../types";
import { PagedFooter, usePagedRows } from "./PagedRows";

export const CHANGES_PAGE_SIZE = 10;
/** How many changes one request to a job's `/changes` fetches as the table pages on. */
const CHANGES_FETCHED = 100;
/** The most changes `/changes` answers at once (docs/api.md). */
const MOST_CHANGES_PER_REQUEST = 1000;

interface Props {
  /** The accessible name of the table, e.g. "Changed lines". */
  label: string;
  changes: Change[];
  /** How many changes there are in all; more than `changes.length` means `loadMore` can fetch them. */
  total: number;
  /** Fetches further changes into `changes`; absent when the caller has them all. */
  loadMore?: () => Promise<void>;
  beforeLabel?: string;
  afterLabel?: string;
  pageSize?: number;
}

export function changeKey(change: Pick<Change, "sub_job" | "cost_code" | "cost_type">): string {
  return `${change.sub_job}\u0000${change.cost_code}\u0000${change.cost_type}`;
}

export function ChangesTable({
  label,
  changes,
  total,
  loadMore,
  beforeLabel = "Current",
  afterLabel = "New",
  pageSize = CHANGES_PAGE_SIZE,
}: Props) {
  const paged = usePagedRows(changes, total, pageSize, loadMore, "Could not load more changed lines.");
  if (paged.count === 0) return null;
  return (
    <div className="changes">
      <div className="table-wrap">
        <table className="table table-compact" aria-label={label}>
          <thead>
            <tr>
              <th scope="col">Sub Job</th>
              <th scope="col">Cost Code</th>
              <th scope="col">Cost Type</th>
              <th scope="col" className="num">
                {beforeLabel}
              </th>
              <th scope="col" className="num">
                {afterLabel}
              </th>
              <th scope="col" className="num">
                Difference
              </th>
            </tr>
          </thead>
          <tbody>
            {paged.rows.map((change) => (
              <tr key={changeKey(change)}>
                <td>{change.sub_job}</td>
                <td>{change.cost_code}</td>
                <td>{change.cost_type}</td>
                <td className="num">{change.old_amount === null ? "—" : formatMoney(change.old_amount)}</td>
                <td className="num">{formatMoney(change.new_amount)}</td>
                <td className="num">{formatDifference(decimalDifference(change.new_amount, change.old_amount))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <PagedFooter paged={paged} label={label.toLowerCase()} noun="Lines" />
    </div>
  );
}

/**
 * The changes a job made, for a ChangesTable: `first` (those another answer already carried, in the
 * job's order), then the rest from the job's `GET .../erp/jobs/{job_id}/changes` as the table pages
 * on. `jobId` is null when they cannot be fetched (no job, or the reader may not read it): the table
 * then holds only `first`. Keyed by the job where used, so another job starts afresh.
 */
export function useJobChanges(companyId: string, jobId: string | null, first: Change[], count: number) {
  const { api } = useApp();
  const [extra, setExtra] = useState<Change[]>([]);
  // undefined: /changes not asked yet; null: every change is held.
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const changes = [...first, ...extra];

  async function loadMore() {
    if (jobId === null) return;
    // /changes pages from the job's first change, by WBS key as `first` is: the first request reaches
    // past those `first` carried, and any change answered again is left out.
    const shown = new Set(changes.map(changeKey));
    let next = cursor;
    let added: Change[] = [];
    do {
      const limit = next === undefined ? Math.min(MOST_CHANGES_PER_REQUEST, first.length + CHANGES_FETCHED) : CHANGES_FETCHED;
      const page = await listJobChanges(api, companyId, jobId, { limit, cursor: next ?? undefined });
      next = page.next_cursor;
      added = added.concat(page.changes.filter((c) => !shown.has(changeKey(c))));
    } while (added.length === 0 && next);
    setCursor(next);
    setExtra((previous) => [...previous, ...added]);
  }

  const more = jobId !== null && changes.length < count && cursor !== null;
  return { changes, total: more ? count : changes.length, loadMore: more ? loadMore : undefined };
}
