// Previous / Next through a cursor-paged list: the cursors seen so far are a stack.

import { useCallback, useEffect, useMemo, useState } from "react";
import { errorText } from "./messages";

export function useCursorStack() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const back = useCallback(() => setCursors((stack) => (stack.length > 1 ? stack.slice(0, -1) : stack)), []);
  const forward = useCallback((next: string) => setCursors((stack) => [...stack, next]), []);
  const reset = useCallback(() => setCursors([null]), []);
  return { cursor: cursors[cursors.length - 1], page: cursors.length, back, forward, reset };
}

/** Where a paged list is: the number of the page shown, and the way back and on. */
export interface PagePosition {
  page: number;
  back: () => void;
  forward: (cursor: string) => void;
}

export interface PagedList<T> {
  pages: PagePosition;
  page: T | null;
  error: string | null;
  loading: boolean;
}

/**
 * A cursor-paged list read a page at a time: the page shown, the error of the last read, and whether
 * a read is under way. A next page joins the stack of pages only once it has been read, so a page
 * that could not be read leaves the number and the rows of the page on screen, the alert says why,
 * and Next page asks for it again. `load` must be stable (useCallback): a new one (another company,
 * another page size) reads the page shown again.
 */
export function usePagedList<T>(load: (cursor: string | null) => Promise<T>, failure: string): PagedList<T> {
  const stack = useCursorStack();
  const { forward } = stack;
  // A next page asked for and not read yet; null when the page shown is the one wanted.
  const [pending, setPending] = useState<string | null>(null);
  const [page, setPage] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  // What the rows on screen (or the last failure) answered: the read wanted now is done when it matches.
  const [done, setDone] = useState<{ load: typeof load; cursor: string | null } | null>(null);
  const cursor = pending ?? stack.cursor;
  const loading = !(done && done.load === load && done.cursor === cursor);

  useEffect(() => {
    if (!loading) return;
    let cancelled = false;
    load(cursor)
      .then((answer) => {
        if (cancelled) return;
        setPage(answer);
        setError(null);
        if (pending !== null) {
          forward(pending);
          setPending(null);
        }
        setDone({ load, cursor });
      })
      .catch((caught: unknown) => {
        if (cancelled) return;
        setError(errorText(caught, failure));
        // The page on screen stays the one shown: nothing is read again for it.
        setPending(null);
        setDone({ load, cursor: stack.cursor });
      });
    return () => {
      cancelled = true;
    };
  }, [load, cursor, loading, pending, forward, failure, stack.cursor]);

  const position = useMemo(() => ({ page: stack.page, back: stack.back, forward: setPending }), [stack.page, stack.back]);
  return { pages: position, page, error, loading };
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
      {/* Announced when it changes: the rows above it were replaced, with no other word of it. */}
      <span className="muted" aria-live="polite">
        Page {page}
      </span>
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
