// A project's Budget tab: line items, total, lock state, Lock/Unlock for admins, inline edits for
// standard+, and finding lines (filters, text search, sort by any column) on budgets of up to
// 100,000 lines.
//
// How it stays responsive at that size (docs/performance.md): the first page of lines is shown as
// soon as it arrives and the rest are read in the background, in pages of the API's largest size;
// filters and sorting then run in the browser over every line (lineFinder.ts), and the table keeps
// only the rows on screen in the document (useVisibleRows).

import { useEffect, useMemo, useState, type FormEvent } from "react";
import { ApiError, editLineItem, getBudgetCsv, getProjectBudget, setBudgetLock } from "../api";
import { useApp } from "../context";
import { formatMoney, formatQuantity } from "../money";
import { atLeast, canEditLines, canLock } from "../permissions";
import { csvFileName } from "../download";
import { LineFinder, NO_QUERY, isFiltered, toggleSort, type LineQuery, type SortColumn } from "../lineFinder";
import type { LineItem, ProjectBudget } from "../types";
import { ActionButton } from "./ActionButton";
import { DownloadCsvButton } from "./DownloadCsvButton";
import { ProjectTabs } from "./ProjectTabs";
import { RecentJobs } from "./RecentJobs";
import { LineFilters, LinesTable, lineLabel } from "./BudgetLines";

/** Lines in the first request: enough to fill the screen, small enough to answer at once. */
export const FIRST_PAGE_SIZE = 500;
/** Lines in each background request: the API's largest page. */
export const BACKGROUND_PAGE_SIZE = 5000;

export { lineLabel };

interface Props {
  projectId: string;
  budgetId?: string;
}

/** The budget's totals and state; its lines are held apart, in a LineFinder. */
type Header = ProjectBudget;

interface Lines {
  finder: LineFinder;
  complete: boolean; // every line of the version is held
  error: string | null; // the background reading stopped
}

function headerOf(page: ProjectBudget): Header {
  return { ...page, line_items: [], next_cursor: null };
}

/** The budget's header and every one of its lines, read page by page after the first paint. */
function useWholeBudget(projectId: string) {
  const { api, company } = useApp();
  const cid = company.company_id;
  const [header, setHeader] = useState<Header | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [lines, setLines] = useState<Lines>({ finder: new LineFinder(), complete: false, error: null });
  const [reading, setReading] = useState(0); // bumped to read the whole budget again

  useEffect(() => {
    let cancelled = false;
    async function readAll() {
      try {
        const first = await getProjectBudget(api, cid, projectId, { limit: FIRST_PAGE_SIZE });
        if (cancelled) return;
        setHeader(headerOf(first));
        setLoadError(null);
        setLines({ finder: new LineFinder(first.line_items), complete: first.next_cursor === null, error: null });
        // The cursor keeps every later page on the version the first one showed.
        let cursor = first.next_cursor;
        while (cursor) {
          const page = await getProjectBudget(api, cid, projectId, { limit: BACKGROUND_PAGE_SIZE, cursor });
          if (cancelled) return;
          const done = page.next_cursor === null;
          setLines((held) => ({ ...held, finder: held.finder.with(page.line_items), complete: done }));
          cursor = page.next_cursor;
        }
      } catch (error) {
        if (cancelled) return;
        const message = error instanceof Error ? error.message : "Could not load the budget.";
        setLoadError(message);
        setLines((held) => ({ ...held, error: message }));
      }
    }
    void readAll();
    return () => {
      cancelled = true;
    };
  }, [api, cid, projectId, reading]);

  /** The header again (total, lock state) after a change that leaves the lines as they are. */
  async function refreshHeader() {
    setHeader(headerOf(await getProjectBudget(api, cid, projectId, { limit: 1 })));
  }

  function replaceLine(line: LineItem) {
    setLines((held) => ({ ...held, finder: held.finder.replacing(line) }));
  }

  return {
    header,
    loadError,
    lines,
    refreshHeader,
    replaceLine,
    readAgain: () => setReading((n) => n + 1),
  };
}

export function ProjectBudgetView({ projectId, budgetId }: Props) {
  const { api, company } = useApp();
  const cid = company.company_id;
  const { header: budget, loadError, lines, refreshHeader, replaceLine, readAgain } = useWholeBudget(projectId);
  const [query, setQuery] = useState<LineQuery>(NO_QUERY);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const { finder } = lines;
  const matches = useMemo(() => finder.find(query), [finder, query]);
  const options = useMemo(() => finder.options(), [finder]);

  useEffect(() => {
    if (budget) document.title = `${budget.project_name} · Budget · Budget Bridge`;
  }, [budget]);

  async function setLock(lock: boolean) {
    if (busy) return;
    setBusy(true);
    setActionError(null);
    setNotice("");
    try {
      await setBudgetLock(api, cid, projectId, lock);
      await refreshHeader();
      setNotice(lock ? "The budget is locked." : "The budget is unlocked.");
    } catch (error) {
      setActionError(error instanceof Error ? error.message : "The request failed.");
    } finally {
      setBusy(false);
    }
  }

  if (loadError && !budget) {
    return (
      <div>
        <h1>Budget</h1>
        <p className="message message-error" role="alert">
          {loadError}
        </p>
      </div>
    );
  }
  if (!budget) return <p className="muted">Loading the budget…</p>;

  const admin = canLock(company.budget_permission);
  const editable = canEditLines(company.budget_permission, budget.locked);
  const effectiveBudgetId = budget.budget_id ?? budgetId;

  async function edited(item: LineItem, saved: LineItem | null) {
    if (saved) {
      replaceLine(saved);
      setNotice(`Saved ${lineLabel(item)}.`);
      // The total moved with the line; the other lines did not.
      await refreshHeader().catch(() => undefined);
    }
    setEditing(null);
    setTimeout(() => document.getElementById(`edit-${item.line_item_id}`)?.focus(), 0);
  }

  return (
    <div className="project-budget">
      <div className="page-head">
        <div>
          <p className="eyebrow">Project {budget.project_id}</p>
          <h1>
            {budget.project_name} <span className="heading-suffix">Budget</span>
          </h1>
        </div>
      </div>
      <ProjectTabs projectId={projectId} budgetId={budgetId} current="budget" />

      <section className="card budget-summary" aria-label="Budget summary">
        <dl className="facts">
          <div>
            <dt>Total</dt>
            <dd className="num total">{formatMoney(budget.total)}</dd>
          </div>
          <div>
            <dt>Line items</dt>
            <dd>{formatQuantity(String(budget.line_count))}</dd>
          </div>
          <div>
            <dt>Lock state</dt>
            <dd>
              <span className={`badge ${budget.locked ? "badge-locked" : "badge-unlocked"}`}>
                {budget.locked ? "Locked" : "Unlocked"}
              </span>
            </dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>{budget.status === "synced" ? "Synced" : "Ready to Import"}</dd>
          </div>
        </dl>
        <div className="actions">
          <DownloadCsvButton
            fetchFile={(client) => getBudgetCsv(client, cid, projectId)}
            fileName={csvFileName("budget", budget.project_id)}
            describes="Every line of this budget, as a spreadsheet"
          />
          {/* One button whose words follow the lock state, aria-disabled (not disabled) while the request
              runs: the focus stays on it from Lock Budget, through the request, to Unlock Budget. */}
          {admin && !budget.locked_in_target && (
            <ActionButton className="button" unavailable={busy} onClick={() => void setLock(!budget.locked)}>
              {budget.locked ? "Unlock Budget" : "Lock Budget"}
            </ActionButton>
          )}
        </div>
        {budget.locked_in_target ? (
          <p className="muted">
            This budget is locked in {company.target_name}. Unlock it there to re-import or restore.
          </p>
        ) : (
          budget.locked &&
          !admin && <p className="muted">This budget is locked. A budget admin can unlock it.</p>
        )}
      </section>

      <div role="status" aria-live="polite" className={notice ? "message message-success" : "visually-hidden"}>
        {notice}
      </div>
      {actionError && (
        <p className="message message-error" role="alert">
          {actionError}
        </p>
      )}
      {lines.error && budget && (
        <div className="message message-error" role="alert">
          <p>
            Only {formatQuantity(String(finder.size))} of {formatQuantity(String(budget.line_count))} lines could be
            read: {lines.error}
          </p>
          <button type="button" className="button button-small" onClick={readAgain}>
            Read the budget again
          </button>
        </div>
      )}

      {budget.line_count === 0 && finder.size === 0 ? (
        <div className="empty card">
          <h2>No line items</h2>
          <p>
            This budget has no lines yet. Import it from ERP Integrations → Budgets (Ready to Import) to bring in the
            ERP's lines.
          </p>
        </div>
      ) : (
        <>
          <LineFilters
            query={query}
            options={options}
            onChange={setQuery}
            shown={matches.length}
            held={finder.size}
            total={budget.line_count}
            complete={lines.complete}
          />
          <LinesTable
            finder={finder}
            rows={matches}
            sort={query.sort}
            onSort={(column: SortColumn) => setQuery((current) => toggleSort(current, column))}
            filtered={isFiltered(query)}
            onClearFilters={() => setQuery((current) => ({ ...NO_QUERY, sort: current.sort }))}
            total={budget.total}
            lineCount={budget.line_count}
            editable={editable}
            editing={editing}
            renderEditRow={(item, rowIndex) => (
              <EditRow
                key={item.line_item_id}
                item={item}
                projectId={projectId}
                rowIndex={rowIndex}
                onDone={(saved) => edited(item, saved)}
              />
            )}
            onEdit={(item) => {
              setNotice("");
              setEditing(item.line_item_id);
            }}
          />
        </>
      )}

      {/* Jobs belong to the ERP Integrations tool: someone with Budget access alone sees the budget, not its jobs. */}
      {effectiveBudgetId && atLeast(company.erp_permission, "read_only") && <RecentJobs budgetId={effectiveBudgetId} />}
    </div>
  );
}

type Editable = "description" | "uom" | "quantity" | "unit_cost";
const FIELDS: { field: Editable; label: string; numeric: boolean }[] = [
  { field: "description", label: "Description", numeric: false },
  { field: "uom", label: "UOM", numeric: false },
  { field: "quantity", label: "Quantity", numeric: true },
  { field: "unit_cost", label: "Unit Cost", numeric: true },
];

/** The fields a PATCH must carry: only those the person changed; emptied fields become null. */
export function changedFields(item: LineItem, values: Record<Editable, string>): Partial<Record<Editable, string | null>> {
  const patch: Partial<Record<Editable, string | null>> = {};
  for (const { field } of FIELDS) {
    const before = item[field] ?? "";
    const after = values[field].trim();
    if (after !== before.trim()) patch[field] = after === "" && field !== "description" ? null : after;
  }
  return patch;
}

export function EditRow({
  item,
  projectId,
  onDone,
  rowIndex,
}: {
  item: LineItem;
  projectId: string;
  rowIndex?: number;
  onDone: (saved: LineItem | null) => void | Promise<void>;
}) {
  const { api, company } = useApp();
  const [values, setValues] = useState<Record<Editable, string>>({
    description: item.description ?? "",
    uom: item.uom ?? "",
    quantity: item.quantity ?? "",
    unit_cost: item.unit_cost ?? "",
  });
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const label = lineLabel(item);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (saving) return;
    const patch = changedFields(item, values);
    if (Object.keys(patch).length === 0) {
      await onDone(null);
      return;
    }
    for (const { field, label: name, numeric } of FIELDS) {
      const value = patch[field];
      if (numeric && value && !/^-?\d+(\.\d+)?$/.test(value)) {
        setError(`${name} must be a number, like 12.5.`);
        return;
      }
    }
    setSaving(true);
    setError(null);
    try {
      const saved = await editLineItem(api, company.company_id, projectId, item.line_item_id, patch);
      await onDone(saved);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "Saving failed.");
      setSaving(false);
    }
  }

  const formId = `form-${item.line_item_id}`;
  const input = (field: Editable, className = "") => {
    const meta = FIELDS.find((f) => f.field === field)!;
    return (
      <input
        form={formId}
        className={`cell-input ${className}`}
        aria-label={`${meta.label} for ${label}`}
        inputMode={meta.numeric ? "decimal" : undefined}
        value={values[field]}
        onChange={(e) => setValues({ ...values, [field]: e.target.value })}
        onKeyDown={(e) => {
          if (e.key === "Escape") void onDone(null);
        }}
        autoFocus={field === "description"}
      />
    );
  };

  return (
    <tr className="editing" aria-rowindex={rowIndex}>
      <td>{item.sub_job}</td>
      <td>{item.cost_code}</td>
      <td>{item.cost_type}</td>
      <td>{input("description", "wide")}</td>
      <td className="num">{formatMoney(item.original_budget_amount)}</td>
      <td>{input("uom", "narrow")}</td>
      <td>{input("quantity", "narrow")}</td>
      <td>{input("unit_cost", "narrow")}</td>
      <td>
        <form id={formId} onSubmit={save} className="row-form">
          {/* aria-disabled while saving, not disabled: a refused save leaves the focus on Save, by its alert. */}
          <ActionButton type="submit" className="button button-small button-primary" unavailable={saving}>
            Save
          </ActionButton>
          <button type="button" className="button button-small" onClick={() => void onDone(null)}>
            Cancel
          </button>
        </form>
        {error && (
          <p className="message message-error small" role="alert">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}
