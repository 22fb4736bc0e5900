// Company Settings -> Audit Log: who did what, newest first, paged.

import { useCallback } from "react";
import { listAudit } from "../api";
import { useApp } from "../context";
import { formatTimestamp } from "../dates";
import { PagedListPage } from "./PagedListPage";
import { usePagedList } from "./Pager";

export const AUDIT_PAGE_SIZE = 50;

/** An event's details as "name: value" pairs of plain text (they may carry ERP text). */
export function detailPairs(details: Record<string, unknown> | null | undefined): string[] {
  if (!details) return [];
  return Object.entries(details).map(([name, value]) => `${name.replace(/_/g, " ")}: ${valueText(value)}`);
}

function valueText(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== "object" || v === null)) {
    return value.length ? value.map(String).join(", ") : "none";
  }
  return JSON.stringify(value);
}

/** "connection.saved" or "member_added" as "Connection saved" / "Member added". */
export function actionText(action: string): string {
  const words = action.replace(/[._]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function AuditLogView({ pageSize = AUDIT_PAGE_SIZE }: { pageSize?: number }) {
  const { api, company } = useApp();
  const load = useCallback(
    (cursor: string | null) => listAudit(api, company.company_id, { limit: pageSize, cursor }),
    [api, company.company_id, pageSize],
  );
  const list = usePagedList(load, "Could not load the audit log.");
  const events = list.page?.events ?? [];
  return (
    <PagedListPage
      eyebrow="Company Settings"
      title="Audit Log"
      className="audit"
      list={list}
      rows={events.length}
      loadingText="Loading the audit log…"
      emptyText="Nothing has happened in this company yet."
      pagerLabel="Pages of the audit log"
    >
      <table className="table table-compact" aria-label="Audit log" aria-busy={list.loading}>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event, index) => (
            <tr key={`${event.at}-${index}`}>
              <td>
                <time dateTime={event.at}>{formatTimestamp(event.at)}</time>
              </td>
              <td>{event.actor}</td>
              <td>{actionText(event.action)}</td>
              <td className="description">{event.target}</td>
              <td className="description">
                {detailPairs(event.details).map((pair) => (
                  <div key={pair}>{pair}</div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </PagedListPage>
  );
}
