// The frame of a page that lists one paged thing (the Audit Log, Project Budgets): its heading, the
// last read's error, a loading or empty sentence until it has rows, the table, and its pager.

import type { ReactNode } from "react";
import { Pager, type PagedList } from "./Pager";

interface Props {
  eyebrow: string;
  title: string;
  className?: string;
  /** What usePagedList answered, and how many rows its page holds. */
  list: PagedList<{ next_cursor: string | null }>;
  rows: number;
  loadingText: string;
  emptyText: string;
  pagerLabel: string;
  /** The table, shown once the page has rows. */
  children: ReactNode;
}

export function PagedListPage({ eyebrow, title, className, list, rows, loadingText, emptyText, pagerLabel, children }: Props) {
  const { pages, page, error, loading } = list;
  return (
    <div className={className}>
      <div className="page-head">
        <div>
          <p className="eyebrow">{eyebrow}</p>
          <h1>{title}</h1>
        </div>
      </div>
      {error && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
      {loading && !page ? (
        <p className="muted">{loadingText}</p>
      ) : rows === 0 && !error ? (
        <p className="empty card">{emptyText}</p>
      ) : (
        rows > 0 && <div className="table-wrap">{children}</div>
      )}
      <Pager
        label={pagerLabel}
        page={pages.page}
        nextCursor={page?.next_cursor}
        loading={loading}
        onBack={pages.back}
        onForward={pages.forward}
      />
    </div>
  );
}
