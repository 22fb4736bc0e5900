// Previous / Next through a cursor-paged list: the cursors seen so far are a stack.

import { useEffect, useMemo, useState } from "react";
import { errorText } from "./messages";

export function useCursorStack() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    back: () => setCursors((stack) => (stack.length > 1 ? stack.slice(0, -1) : stack)),
    forward: (next: string) => setCursors((stack) => [...stack, next]),
    reset: () => setCursors([null]),
  };
}

/**
 * A cursor-paged list read a page at a time: the page shown, the error of the last read, and whether
 * the page asked for now has answered. `load` must be stable (useCallback): a new one (another
 * company, another page size) reads the current cursor again.
 */
export interface PagedList<T> {
  pages: ReturnType<typeof useCursorStack>;
  page: T | null;
  error: string | null;
  loading: boolean;
}

export function usePagedList<T>(load: (cursor: string | null) => Promise<T>, failure: string): PagedList<T> {
  const pages = useCursorStack();
  const [page, setPage] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Loading until the page asked for now has answered (or failed): derived, so a new page is
  // "loading" from the very render that asks for it.
  const asked = useMemo(() => ({ load, cursor: pages.cursor }), [load, pages.cursor]);
  const [answered, setAnswered] = useState<typeof asked | null>(null);

  useEffect(() => {
    let cancelled = false;
    asked
      .load(asked.cursor)
      .then((answer) => {
        if (cancelled) return;
        setPage(answer);
        setError(null);
      })
      .catch((caught: unknown) => !cancelled && setError(errorText(caught, failure)))
      .finally(() => !cancelled && setAnswered(asked));
    return () => {
      cancelled = true;
    };
  }, [asked, failure]);

  return { pages, page, error, loading: answered !== asked };
}

interface Props {
  label: string;
  page: number;
  nextCursor: string | null | undefined;
  loading: boolean;
  onBack: () => void;
  onForward: (cursor: string) => void;
}

/**
 * A button that cannot page is aria-disabled, not disabled (as in PagedRows): pressing Next page into
 * the last page, or while the page loads, keeps the focus where a disabled button would drop it.
 */
export function Pager({ label, page, nextCursor, loading, onBack, onForward }: Props) {
  // A list of one page has no pager. But Previous page from the last page asks for page 1 while the
  // last page's answer (no next cursor) still shows: the pager stays, with the focus on Previous page,
  // until page 1 has answered (it had a next page before, so it keeps the pager).
  const paged = page > 1 || !!nextCursor;
  const [shown, setShown] = useState(false);
  const visible = paged || (loading && shown);
  if (visible !== shown) setShown(visible);
  if (!visible) return null;
  const canGoBack = page > 1 && !loading;
  const canGoOn = !!nextCursor && !loading;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="button" aria-disabled={canGoBack ? undefined : true} onClick={() => canGoBack && onBack()}>
        Previous page
      </button>
      <span className="muted">Page {page}</span>
      <button
        type="button"
        className="button"
        aria-disabled={canGoOn ? undefined : true}
        onClick={() => canGoOn && nextCursor && onForward(nextCursor)}
      >
        Next page
      </button>
    </nav>
  );
}
