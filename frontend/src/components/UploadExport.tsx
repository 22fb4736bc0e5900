// The spreadsheet import on a Budgets row: map the export's columns once, upload the job's export.
// The file goes straight to storage through a presigned form; the next re-import reads it.

import { useEffect, useId, useState, type FormEvent } from "react";
import { ApiError, getSpreadsheetMapping, putSpreadsheetMapping, startExportUpload } from "../api";
import { useApp } from "../context";
import type { ErpBudget, SpreadsheetMapping as Mapping } from "../types";
import { ActionButton } from "./ActionButton";

export const MAX_EXPORT_BYTES = 10 * 1024 * 1024;

const FIELDS: { name: keyof Mapping; label: string; required: boolean }[] = [
  { name: "cost_code_column", label: "Cost code column", required: true },
  { name: "cost_type_column", label: "Cost type column", required: true },
  { name: "amount_column", label: "Amount column", required: true },
  { name: "sub_job_column", label: "Sub job column (optional)", required: false },
  { name: "kind_column", label: "Revenue marker column (optional)", required: false },
  { name: "description_column", label: "Description column (optional)", required: false },
];

/** A sentence for a file the server would refuse anyway, or null when it may be sent. */
export function fileProblem(file: { name: string; size: number }): string | null {
  const name = file.name.toLowerCase();
  if (!name.endsWith(".csv") && !name.endsWith(".xlsx")) return "The budget export must be a .csv or .xlsx file.";
  if (file.size === 0) return "The file is empty.";
  if (file.size > MAX_EXPORT_BYTES) {
    return `The file is ${(file.size / 1024 / 1024).toFixed(1)} MB; budget exports may be at most 10 MB.`;
  }
  return null;
}

export function UploadExport({ budget, onClose }: { budget: ErpBudget; onClose: () => void }) {
  const { api, company } = useApp();
  const cid = company.company_id;
  const headingId = useId();
  const [mapping, setMapping] = useState<Mapping | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    getSpreadsheetMapping(api, cid)
      .then(setMapping)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : "Could not load the column mapping."));
  }, [api, cid]);

  async function saveMapping(event: FormEvent) {
    event.preventDefault();
    if (!mapping || busy) return;
    setBusy(true);
    setError(null);
    try {
      setMapping(await putSpreadsheetMapping(api, cid, mapping));
      setStatus("Column mapping saved.");
    } catch (e) {
      setError(e instanceof Error ? e.message : "Could not save the column mapping.");
    } finally {
      setBusy(false);
    }
  }

  async function upload(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setStatus(null);
    const problem = file ? fileProblem(file) : "Choose the budget export to upload.";
    if (problem || !file) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const form = await startExportUpload(api, cid, budget.budget_id, { file_name: file.name, size: file.size });
      const data = new FormData();
      Object.entries(form.fields).forEach(([name, value]) => data.append(name, value));
      data.append("file", file);
      const answer = await fetch(form.url, { method: "POST", body: data });
      if (!answer.ok) throw new Error("The file storage refused the upload; try again, or check the file's size.");
      setStatus(`Uploaded ${file.name}. Re-import the budget to apply it.`);
    } catch (e) {
      setError(e instanceof ApiError || e instanceof Error ? e.message : "The upload failed.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="upload-export" role="region" aria-labelledby={headingId}>
      <h3 id={headingId}>Upload Export for {budget.project_name}</h3>
      {mapping && (
        <form onSubmit={saveMapping} aria-label="Column mapping">
          <p className="muted">The export&apos;s column names, saved once for the company.</p>
          {FIELDS.map((field) => (
            <label key={field.name}>
              {field.label}
              <input
                type="text"
                value={mapping[field.name]}
                required={field.required}
                maxLength={100}
                onChange={(e) => setMapping({ ...mapping, [field.name]: e.target.value })}
              />
            </label>
          ))}
          {/* aria-disabled while a request runs, not disabled: the pressed button keeps the focus. */}
          <ActionButton type="submit" className="button button-small" unavailable={busy}>
            Save Mapping
          </ActionButton>
        </form>
      )}
      <form onSubmit={upload} aria-label="Budget export">
        <label>
          Budget export (CSV or XLSX, at most 10 MB)
          <input type="file" accept=".csv,.xlsx" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <ActionButton type="submit" className="button button-small" unavailable={busy}>
          Upload
        </ActionButton>
        {/* Closing takes this panel off the page: the caller gives the focus back to the row's Upload Export. */}
        <button type="button" className="button button-small" onClick={onClose}>
          Close
        </button>
      </form>
      {status && <p role="status">{status}</p>}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
