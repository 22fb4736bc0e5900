// The mapping preview on the Connection page: an ERP admin picks an ERP job and sees its first
// 20 lines as the saved connection maps them (docs/erps/), before any re-import changes a budget.

import { useState, type FormEvent } from "react";
import { ApiError, getMappingPreview } from "../api";
import { useApp } from "../context";
import { formatMoney } from "../money";
import type { MappingPreview as Preview } from "../types";
import { ActionButton } from "./ActionButton";

export function MappingPreview() {
  const { api, company } = useApp();
  const [job, setJob] = useState("");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function show(event: FormEvent) {
    event.preventDefault();
    if (busy || !job.trim()) return;
    setBusy(true);
    setError("");
    try {
      setPreview(await getMappingPreview(api, company.company_id, job.trim()));
    } catch (failure) {
      setPreview(null);
      setError(failure instanceof ApiError ? failure.message : "The preview could not be shown.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-label="Mapping preview">
      <h2>Mapping preview</h2>
      <form onSubmit={show}>
        <label>
          ERP job
          <input value={job} onChange={(e) => setJob(e.target.value)} required maxLength={200} />
        </label>
        {/* aria-disabled, not disabled: pressed, the button keeps the focus while the ERP is read. */}
        <ActionButton type="submit" unavailable={busy || !job.trim()}>
          {busy ? "Reading the ERP…" : "Preview mapping"}
        </ActionButton>
      </form>
      {error && <p role="alert">{error}</p>}
      {preview && (
        <>
          <p>
            The first {preview.lines.length} of {preview.total_lines} lines of {preview.erp_job_id}, as a re-import
            reads them. Revenue lines are left out of the budget.
          </p>
          <table aria-label="Mapped lines">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Sub Job</th>
                <th scope="col">Cost Code</th>
                <th scope="col">Cost Type</th>
                <th scope="col">Kind</th>
                <th scope="col">Amount</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {preview.lines.map((line) => (
                <tr key={line.line}>
                  <td>{line.line}</td>
                  <td>{line.sub_job}</td>
                  <td>{line.cost_code}</td>
                  <td>{line.cost_type}</td>
                  <td>{line.kind === "revenue" ? "Revenue (left out)" : "Cost"}</td>
                  <td>{formatMoney(line.amount)}</td>
                  <td>{line.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
