// A paged table of changed lines (Sub Job, Cost Code, Cost Type, before, after, Difference), shared by
// the preview in Please Confirm and a version in History.

import { useState } from "react";
import { decimalDifference, formatDifference, formatMoney, formatQuantity } from "../money";
import type { Change } from "../types";

export const CHANGES_PAGE_SIZE = 10;

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
  const [page, setPage] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const count = Math.max(total, changes.length);
  const pages = Math.max(1, Math.ceil(count / pageSize));
  const first = page * pageSize;
  const rows = changes.slice(first, first + pageSize);

  async function next() {
    const wanted = first + 2 * pageSize;
    if (loadMore && changes.length < Math.min(wanted, count)) {
      setLoading(true);
      try {
        await loadMore();
        setError(null);
      } catch (caught) {
        setError(caught instanceof Error ? caught.message : "Could not load more changed lines.");
        setLoading(false);
        return;
      }
      setLoading(false);
    }
    setPage((p) => Math.min(p + 1, pages - 1));
  }

  if (count === 0) return null;
  const last = Math.min(first + pageSize, count);
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
            {rows.map((change) => (
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
      {error && (
        <p className="message message-error small" role="alert">
          {error}
        </p>
      )}
      {pages > 1 && (
      <nav className="pager pager-compact" aria-label={`Pages of ${label.toLowerCase()}`}>
        <button type="button" className="button button-small" disabled={page === 0 || loading} onClick={() => setPage((p) => p - 1)}>
          Previous page
        </button>
        <span className="muted small" aria-live="polite">
          Lines {formatQuantity(String(rows.length ? first + 1 : 0))}–{formatQuantity(String(Math.min(last, first + rows.length)))} of{" "}
          {formatQuantity(String(count))}
        </span>
        <button type="button" className="button button-small" disabled={page >= pages - 1 || loading} onClick={() => void next()}>
          Next page
        </button>
      </nav>
      )}
    </div>
  );
}
