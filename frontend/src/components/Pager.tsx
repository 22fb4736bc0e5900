// Previous / Next through a cursor-paged list: the cursors seen so far are a stack.

import { useState } from "react";

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
  if (page <= 1 && !nextCursor) return null;
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
