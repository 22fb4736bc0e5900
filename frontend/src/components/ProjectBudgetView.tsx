// A project's Budget tab: line items, total, lock state, Lock/Unlock for admins, inline edits for standard+.

import { useCallback, useEffect, useState, type FormEvent } from "react";
import { ApiError, editLineItem, getProjectBudget, setBudgetLock } from "../api";
import { useApp } from "../context";
import { formatMoney, formatQuantity } from "../money";
import { canEditLines, canLock } from "../permissions";
import { csvFileName } from "../download";
import type { LineItem, ProjectBudget } from "../types";
import { DownloadCsvButton } from "./DownloadCsvButton";
import { ProjectTabs } from "./ProjectTabs";
import { RecentJobs } from "./RecentJobs";
import { Pager } from "./Pager";

export const LINE_PAGE_SIZE = 500;

export function lineLabel(item: { sub_job: string; cost_code: string; cost_type: string }): string {
  return `${item.sub_job || "(no sub job)"} / ${item.cost_code} / ${item.cost_type}`;
}

interface Props {
  projectId: string;
  budgetId?: string;
}

export function ProjectBudgetView({ projectId, budgetId }: Props) {
  const { api, company } = useApp();
  const cid = company.company_id;
  // The budget's CSV sits beside it (GET .../budget.csv).
  const base = `/companies/${encodeURIComponent(cid)}/projects/${encodeURIComponent(projectId)}/budget`;
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [budget, setBudget] = useState<ProjectBudget | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];

  const load = useCallback(async () => {
    try {
      const answer = await getProjectBudget(api, cid, projectId, { limit: LINE_PAGE_SIZE, cursor });
      setBudget(answer);
      setLoadError(null);
    } catch (error) {
      setLoadError(error instanceof Error ? error.message : "Could not load the budget.");
    }
  }, [api, cid, projectId, cursor]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    if (budget) document.title = `${budget.project_name} · Budget · Budget Bridge`;
  }, [budget]);

  async function setLock(lock: boolean) {
    setBusy(true);
    setActionError(null);
    setNotice("");
    try {
      await setBudgetLock(api, cid, projectId, lock);
      await load();
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
            path={`${base}.csv`}
            fileName={csvFileName("budget", budget.project_id)}
            describes="Every line of this budget, as a spreadsheet"
          />
          {admin &&
            (budget.locked ? (
              <button type="button" className="button" disabled={busy} onClick={() => void setLock(false)}>
                Unlock Budget
              </button>
            ) : (
              <button type="button" className="button" disabled={busy} onClick={() => void setLock(true)}>
                Lock Budget
              </button>
            ))}
        </div>
        {budget.locked && !admin && (
          <p className="muted">This budget is locked. A budget admin can unlock it.</p>
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

      {budget.line_items.length === 0 ? (
        <div className="empty card">
          <h2>No line items</h2>
          <p>
            This budget has no lines yet. Import it from ERP Integrations → Budgets (Ready to Import) to bring in the
            ERP's lines.
          </p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="table" aria-label="Line items">
            <thead>
              <tr>
                <th scope="col">Sub Job</th>
                <th scope="col">Cost Code</th>
                <th scope="col">Cost Type</th>
                <th scope="col">Description</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">UOM</th>
                <th scope="col" className="num">
                  Quantity
                </th>
                <th scope="col" className="num">
                  Unit Cost
                </th>
                {editable && <th scope="col">Edit</th>}
              </tr>
            </thead>
            <tbody>
              {budget.line_items.map((item) =>
                editable && editing === item.line_item_id ? (
                  <EditRow
                    key={item.line_item_id}
                    item={item}
                    projectId={projectId}
                    onDone={async (saved) => {
                      if (saved) {
                        await load();
                        setNotice(`Saved ${lineLabel(item)}.`);
                      }
                      setEditing(null);
                      setTimeout(() => document.getElementById(`edit-${item.line_item_id}`)?.focus(), 0);
                    }}
                  />
                ) : (
                  <tr key={item.line_item_id}>
                    <td>{item.sub_job}</td>
                    <td>{item.cost_code}</td>
                    <td>{item.cost_type}</td>
                    <td className="description">{item.description}</td>
                    <td className="num">{formatMoney(item.original_budget_amount)}</td>
                    <td>{item.uom ?? ""}</td>
                    <td className="num">{formatQuantity(item.quantity)}</td>
                    <td className="num">{formatMoney(item.unit_cost)}</td>
                    {editable && (
                      <td>
                        <button
                          type="button"
                          id={`edit-${item.line_item_id}`}
                          className="button button-small"
                          aria-label={`Edit ${lineLabel(item)}`}
                          disabled={editing !== null}
                          onClick={() => {
                            setNotice("");
                            setEditing(item.line_item_id);
                          }}
                        >
                          Edit
                        </button>
                      </td>
                    )}
                  </tr>
                ),
              )}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={4}>
                  Total (all {formatQuantity(String(budget.line_count))} lines)
                </th>
                <td className="num total">{formatMoney(budget.total)}</td>
                <td colSpan={editable ? 4 : 3} />
              </tr>
            </tfoot>
          </table>
        </div>
      )}

      <Pager
        label="Pages of line items"
        page={cursors.length}
        nextCursor={budget.next_cursor}
        loading={false}
        onBack={() => setCursors((stack) => stack.slice(0, -1))}
        onForward={(next) => setCursors((stack) => [...stack, next])}
      />

      {effectiveBudgetId && <RecentJobs budgetId={effectiveBudgetId} />}
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

function EditRow({
  item,
  projectId,
  onDone,
}: {
  item: LineItem;
  projectId: string;
  onDone: (saved: boolean) => void | Promise<void>;
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
    const patch = changedFields(item, values);
    if (Object.keys(patch).length === 0) {
      await onDone(false);
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
      await editLineItem(api, company.company_id, projectId, item.line_item_id, patch);
      await onDone(true);
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
          if (e.key === "Escape") void onDone(false);
        }}
        autoFocus={field === "description"}
      />
    );
  };

  return (
    <tr className="editing">
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
          <button type="submit" className="button button-small button-primary" disabled={saving}>
            Save
          </button>
          <button type="button" className="button button-small" onClick={() => void onDone(false)}>
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
