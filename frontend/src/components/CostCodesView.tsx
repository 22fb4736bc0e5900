// Company Settings -> Cost Codes: the cost codes and cost types the company knows; ERP admins sync them from the ERP.

import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type RefObject } from "react";
import { ApiError, getCostCatalog, putCostCatalog, syncCostCatalog } from "../api";
import { inUseKeys, KIND_NAMES, withEntry, withoutEntry, type CatalogKind } from "../catalog";
import { useApp } from "../context";
import { sectionAccess } from "../permissions";
import type { CatalogEntry, CatalogSync, CostCatalog } from "../types";
import { ActionButton, useFocusFallback } from "./ActionButton";
import { errorText } from "./messages";

function count(added: number | unknown[]): number {
  return Array.isArray(added) ? added.length : Number(added) || 0;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The sentence after a sync, from counts or from the lists of what it added. */
export function syncSummary(sync: CatalogSync): string {
  const codes = count(sync.added_cost_codes);
  const types = count(sync.added_cost_types);
  if (codes === 0 && types === 0) return "The catalog already had every cost code and cost type of the ERP.";
  return `Added ${plural(codes, "cost code", "cost codes")} and ${plural(types, "cost type", "cost types")} from the ERP.`;
}

export function CostCodesView() {
  const { api, company } = useApp();
  const access = sectionAccess(company);
  const [catalog, setCatalog] = useState<CostCatalog | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [syncing, setSyncing] = useState(false);
  // A removed entry's row leaves with its Remove button, and the browser drops the focus on the page's
  // body: its table takes it instead (as on Members), never the next Remove, which Enter would press.
  const tables = { cost_codes: useRef<HTMLTableElement>(null), cost_types: useRef<HTMLTableElement>(null) };
  const watchFocus = useFocusFallback();

  // A promise chain rather than async/await, so the effect below sets no state until the answer.
  const load = useCallback(
    () =>
      getCostCatalog(api, company.company_id).then(setCatalog, (caught: unknown) =>
        setError(errorText(caught, "Could not load the cost codes.")),
      ),
    [api, company.company_id],
  );

  useEffect(() => {
    void load();
  }, [load]);

  /** Sends the whole catalog; answers whether it was saved. */
  async function replace(next: CostCatalog, done: string): Promise<boolean> {
    setError(null);
    setNotice(null);
    try {
      setCatalog(await putCostCatalog(api, company.company_id, next));
      setNotice(done);
      return true;
    } catch (caught) {
      const keys = caught instanceof ApiError && caught.code === "in_use" ? inUseKeys(caught.details) : [];
      const message = errorText(caught, "The cost codes could not be saved.");
      setError(keys.length ? `${message} Lines: ${keys.join(", ")}.` : message);
      return false;
    }
  }

  async function sync() {
    if (syncing) return;
    setSyncing(true);
    setError(null);
    setNotice(null);
    try {
      const result = await syncCostCatalog(api, company.company_id);
      await load();
      setNotice(syncSummary(result));
    } catch (caught) {
      setError(errorText(caught, "Could not sync the cost codes from the ERP."));
    } finally {
      setSyncing(false);
    }
  }

  return (
    <div className="cost-codes">
      <div className="page-head">
        <div>
          <p className="eyebrow">Company Settings</p>
          <h1>Cost Codes</h1>
        </div>
        {/* aria-disabled while syncing, not disabled: a disabled button would drop its focus to the page's body. */}
        {access.editCostCodes && (
          <ActionButton className="button button-primary" unavailable={syncing} onClick={() => void sync()}>
            Sync from ERP
          </ActionButton>
        )}
      </div>
      <p className="muted">
        An import or re-import accepts only the cost codes and cost types listed here. Syncing adds the ERP's codes and
        never removes one.
      </p>
      <p role="status" className={notice ? "message message-success" : "visually-hidden"}>
        {syncing ? "Syncing cost codes from the ERP…" : (notice ?? "")}
      </p>
      {error && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
      {catalog === null ? (
        !error && <p className="muted">Loading cost codes…</p>
      ) : (
        <div className="catalog">
          {(["cost_codes", "cost_types"] as CatalogKind[]).map((kind) => (
            <div key={kind}>
              <EntryTable
                title={KIND_NAMES[kind].many}
                entries={catalog[kind]}
                tableRef={tables[kind]}
                onRemove={
                  access.editCostCodes
                    ? (code, button) => {
                        watchFocus(button, () => tables[kind].current);
                        void replace(withoutEntry(catalog, kind, code), `Removed ${KIND_NAMES[kind].one.toLowerCase()} ${code}.`);
                      }
                    : undefined
                }
              />
              {access.editCostCodes && (
                <AddEntry
                  kind={kind}
                  onAdd={async (code, description) => {
                    const next = withEntry(catalog, kind, { code, description });
                    if (typeof next === "string") {
                      setNotice(null);
                      setError(next);
                      return false;
                    }
                    return replace(next, `Added ${KIND_NAMES[kind].one.toLowerCase()} ${code.trim()}.`);
                  }}
                />
              )}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

interface TableProps {
  title: string;
  entries: CatalogEntry[];
  /** The table, focusable from script: it takes the focus when a removed entry's row leaves. */
  tableRef: RefObject<HTMLTableElement | null>;
  onRemove?: (code: string, button: HTMLButtonElement) => void;
}

function EntryTable({ title, entries, tableRef, onRemove }: TableProps) {
  const idPrefix = useId();
  return (
    <div className="table-wrap">
      <table className="table table-compact" ref={tableRef} tabIndex={-1}>
        <caption>
          {title} <span className="muted">({entries.length})</span>
        </caption>
        <thead>
          <tr>
            <th scope="col">Code</th>
            <th scope="col">Description</th>
            {onRemove && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {entries.length === 0 ? (
            <tr>
              <td colSpan={onRemove ? 3 : 2} className="muted">
                None yet.
              </td>
            </tr>
          ) : (
            entries.map((entry, index) => (
              <tr key={entry.code}>
                <th scope="row" className="row-head" id={`${idPrefix}-${index}`}>
                  {entry.code}
                </th>
                <td className="description">{entry.description}</td>
                {onRemove && (
                  <td>
                    <button
                      type="button"
                      className="button button-small"
                      aria-describedby={`${idPrefix}-${index}`}
                      onClick={(event) => onRemove(entry.code, event.currentTarget)}
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

function AddEntry({ kind, onAdd }: { kind: CatalogKind; onAdd: (code: string, description: string) => Promise<boolean> }) {
  const [code, setCode] = useState("");
  const [description, setDescription] = useState("");
  const [busy, setBusy] = useState(false);
  const codeId = useId();
  const descriptionId = useId();
  const name = KIND_NAMES[kind].one;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    if (await onAdd(code, description)) {
      setCode("");
      setDescription("");
    }
    setBusy(false);
  }

  return (
    <form className="form-row catalog-add" onSubmit={submit} noValidate aria-label={`Add ${name}`}>
      <div className="field">
        <label htmlFor={codeId}>New {name}</label>
        <input id={codeId} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" />
      </div>
      <div className="field">
        <label htmlFor={descriptionId}>{name} Description</label>
        <input id={descriptionId} value={description} onChange={(e) => setDescription(e.target.value)} autoComplete="off" />
      </div>
      <div className="field field-submit">
        {/* aria-disabled while adding, not disabled: a disabled button would drop its focus to the page's body. */}
        <ActionButton type="submit" className="button" unavailable={busy}>
          Add {name}
        </ActionButton>
      </div>
    </form>
  );
}
