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

export function Pager({ label, page, nextCursor, loading, onBack, onForward }: Props) {
  if (page <= 1 && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="button" disabled={page <= 1 || loading} onClick={onBack}>
        Previous page
      </button>
      <span className="muted">Page {page}</span>
      <button
        type="button"
        className="button"
        disabled={!nextCursor || loading}
        onClick={() => nextCursor && onForward(nextCursor)}
      >
        Next page
      </button>
    </nav>
  );
}
