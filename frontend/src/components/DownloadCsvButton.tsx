// "Download CSV": fetches a CSV with the session's token and saves it; a refusal is announced.

import { useState } from "react";
import type { Api, ApiFile } from "../api";
import { useApp } from "../context";
import { downloadFile } from "../download";
import { ActionButton } from "./ActionButton";

interface Props {
  /** Fetches the CSV: one of api.ts's file functions (`getBudgetCsv`, `getJobChangesCsv`). */
  fetchFile: (api: Api) => Promise<ApiFile>;
  fileName: string;
  /** What the file holds, for screen readers ("the budget", "this job's changes"). */
  describes?: string;
}

export function DownloadCsvButton({ fetchFile, fileName, describes }: Props) {
  const { api } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function download() {
    setBusy(true);
    setError(null);
    try {
      await downloadFile(fetchFile(api), fileName);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : "The download failed.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <span className="download">
      <ActionButton
        className="button button-small"
        aria-description={describes}
        unavailable={busy}
        onClick={() => void download()}
      >
        Download CSV
      </ActionButton>
      {error && (
        <span className="message message-error small" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
