// Company Settings -> Cost Codes: the cost codes and cost types the company knows; ERP admins sync them from the ERP.

import { useCallback, useEffect, useState } from "react";
import { getCostCatalog, syncCostCatalog } from "../api";
import { useApp } from "../context";
import { sectionAccess } from "../permissions";
import type { CatalogEntry, CatalogSync, CostCatalog } from "../types";
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

  const load = useCallback(async () => {
    try {
      setCatalog(await getCostCatalog(api, company.company_id));
    } catch (caught) {
      setError(errorText(caught, "Could not load the cost codes."));
    }
  }, [api, company.company_id]);

  useEffect(() => {
    void load();
  }, [load]);

  async function sync() {
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
        {access.editCostCodes && (
          <button type="button" className="button button-primary" disabled={syncing} onClick={() => void sync()}>
            Sync from ERP
          </button>
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
          <EntryTable title="Cost codes" entries={catalog.cost_codes} />
          <EntryTable title="Cost types" entries={catalog.cost_types} />
        </div>
      )}
    </div>
  );
}

function EntryTable({ title, entries }: { title: string; entries: CatalogEntry[] }) {
  return (
    <div className="table-wrap">
      <table className="table table-compact">
        <caption>
          {title} <span className="muted">({entries.length})</span>
        </caption>
        <thead>
          <tr>
            <th scope="col">Code</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {entries.length === 0 ? (
            <tr>
              <td colSpan={2} className="muted">
                None yet.
              </td>
            </tr>
          ) : (
            entries.map((entry) => (
              <tr key={entry.code}>
                <th scope="row" className="row-head">
                  {entry.code}
                </th>
                <td className="description">{entry.description}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
