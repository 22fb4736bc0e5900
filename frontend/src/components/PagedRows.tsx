// A table's rows a page at a time, fetching more from the API as it pages (a job's changes, its line
// errors): the paging state and the footer (the failure, Previous page, "a–b of n", Next page).

import { useState } from "react";
import { formatQuantity } from "../money";

export interface PagedRows<Row> {
  rows: Row[];
  first: number;
  count: number;
  pages: number;
  page: number;
  loading: boolean;
  failure: string | null;
  previous: () => void;
  next: () => Promise<void>;
}

/**
 * `held` are the rows fetched so far; `total` how many there are in all (more than `held.length` means
 * `loadMore` can fetch them); `loadMore` fetches at least a page more into `held`.
 */
export function usePagedRows<Row>(
  held: Row[],
  total: number,
  pageSize: number,
  loadMore: (() => Promise<void>) | undefined,
  failureText: string,
): PagedRows<Row> {
  const [page, setPage] = useState(0);
  const [loading, setLoading] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const count = Math.max(total, held.length);
  const pages = Math.max(1, Math.ceil(count / pageSize));
  const first = page * pageSize;

  async function next() {
    // The page after this one must be held before it shows.
    if (loadMore && held.length < Math.min(first + 2 * pageSize, count)) {
      setLoading(true);
      try {
        await loadMore();
        setFailure(null);
      } catch (caught) {
        setFailure(caught instanceof Error ? caught.message : failureText);
        setLoading(false);
        return;
      }
      setLoading(false);
    }
    setPage((p) => Math.min(p + 1, pages - 1));
  }

  return {
    rows: held.slice(first, first + pageSize),
    first,
    count,
    pages,
    page,
    loading,
    failure,
    previous: () => setPage((p) => Math.max(p - 1, 0)),
    next,
  };
}

/**
 * The failure, then Previous page / "<noun> a–b of n" / Next page when there is more than one page.
 * A button that cannot page is aria-disabled, not disabled: Next page pressed into the last page (or
 * while the next rows load) keeps the focus, where a disabled button would drop it to the page's body.
 */
export function PagedFooter<Row>({ paged, label, noun }: { paged: PagedRows<Row>; label: string; noun: string }) {
  const { rows, first, count, pages, page, loading, failure } = paged;
  const canGoBack = page > 0 && !loading;
  const canGoOn = page < pages - 1 && !loading;
  return (
    <>
      {failure && (
        <p className="message message-error small" role="alert">
          {failure}
        </p>
      )}
      {pages > 1 && (
        <nav className="pager pager-compact" aria-label={`Pages of ${label}`}>
          <button
            type="button"
            className="button button-small"
            aria-disabled={canGoBack ? undefined : true}
            onClick={() => canGoBack && paged.previous()}
          >
            Previous page
          </button>
          <span className="muted small" aria-live="polite">
            {noun} {formatQuantity(String(rows.length ? first + 1 : 0))}–{formatQuantity(String(first + rows.length))} of{" "}
            {formatQuantity(String(count))}
          </span>
          <button
            type="button"
            className="button button-small"
            aria-disabled={canGoOn ? undefined : true}
            onClick={() => canGoOn && void paged.next()}
          >
            Next page
          </button>
        </nav>
      )}
    </>
  );
}
