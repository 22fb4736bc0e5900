// A paged table of changed lines (Sub Job, Cost Code, Cost Type, before, after, Difference), shared by
// the preview in Please Confirm and a version in History.

import { decimalDifference, formatDifference, formatMoney } from "../money";
import type { Change } from "../types";
import { PagedFooter, usePagedRows } from "./PagedRows";

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
