// A project's History tab: every version of its budget (who, when, source, total), the changes a
// version made, and Restore This Version for budget admins (Please Confirm, progress, the outcome).

import { useCallback, useEffect, useEffectEvent, useReducer, useState } from "react";
import { getBudgetVersion, getProjectBudget, listBudgetHistory, newIdempotencyKey, requestRestore } from "../api";
import { useApp } from "../context";
import { formatTimestamp } from "../dates";
import { formatMoney, formatQuantity } from "../money";
import { atLeast, canLock } from "../permissions";
import { flowReducer, initialFlow, isBusy } from "../reimportFlow";
import type { BudgetAtVersion, BudgetVersion, ProjectBudget, VersionSource } from "../types";
import { ChangesTable, useJobChanges } from "./ChangesTable";
import { ConfirmDialog } from "./ConfirmDialog";
import { JobCsvButton, JobPanel } from "./JobPanel";
import { ProjectTabs } from "./ProjectTabs";
import { useJobFlow } from "./useJobFlow";

export const HISTORY_PAGE_SIZE = 25;

export const SOURCE_LABELS: Record<VersionSource, string> = {
  import: "Import",
  reimport: "Re-import",
  edit: "Edit",
  restore: "Restore",
};

interface Props {
  projectId: string;
  budgetId?: string;
}

export function HistoryView({ projectId, budgetId }: Props) {
  const { api, company } = useApp();
  const cid = company.company_id;
  const [budget, setBudget] = useState<ProjectBudget | null>(null);
  const [versions, setVersions] = useState<BudgetVersion[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<number | null>(null);
  const [flow, dispatch] = useReducer(flowReducer, initialFlow);
  const [restoreButton, setRestoreButton] = useState<HTMLButtonElement | null>(null);
  // The version being restored, fixed when Restore This Version is pressed (choosing another row later
  // must not change what OK sends).
  const [restoring, setRestoring] = useState<BudgetVersion | null>(null);

  // A promise chain rather than async/await: the effects below start it, and every state change
  // happens in its callbacks, after the answers.
  const load = useCallback(
    (cursor: string | null) =>
      Promise.all([
        getProjectBudget(api, cid, projectId, { limit: 1 }),
        listBudgetHistory(api, cid, projectId, { limit: HISTORY_PAGE_SIZE, cursor }),
      ])
        .then(([head, page]) => {
          setBudget(head);
          setVersions((previous) => (cursor ? [...previous, ...page.versions] : page.versions));
          setNext(page.next_cursor);
          setError(null);
          return page.versions;
        })
        .catch((caught: unknown) => {
          setError(caught instanceof Error ? caught.message : "Could not load the history.");
          return [] as BudgetVersion[];
        })
        .finally(() => setLoaded(true)),
    [api, cid, projectId],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  useEffect(() => {
    if (budget) document.title = `${budget.project_name} · History · Budget Bridge`;
  }, [budget]);

  useJobFlow(flow, dispatch, (client, _target, idempotencyKey) =>
    restoring
      ? requestRestore(client, cid, projectId, restoring.version, idempotencyKey)
      : Promise.reject(new Error("Choose a version to restore first.")),
  );

  // A restore makes a new version: show it at the top once the job has finished (once per finish,
  // not again when the address changes, which the first effect already answers).
  // A restore that succeeded is chosen, so its changes show at once and its Download CSV is the
  // page's only one (the job panel's and the version's would name the same job).
  const finished = flow.phase === "succeeded" || flow.phase === "failed";
  const succeeded = flow.phase === "succeeded";
  const reload = useEffectEvent(() =>
    void load(null).then((fresh) => {
      if (succeeded && fresh.length > 0) setChosen(fresh[0].version);
    }),
  );
  useEffect(() => {
    if (finished) reload();
  }, [finished]);
  const panelJobId = flow.phase === "succeeded" ? flow.job.job_id : null;

  const admin = canLock(company.budget_permission);
  const latest = versions.reduce((max, v) => Math.max(max, v.version), budget?.version ?? 0);
  const selected = versions.find((v) => v.version === chosen) ?? null;
  const projectName = budget?.project_name ?? projectId;

  return (
    <div className="project-history">
      <div className="page-head">
        <div>
          <p className="eyebrow">Project {projectId}</p>
          <h1>
            {projectName} <span className="heading-suffix">History</span>
          </h1>
        </div>
      </div>
      <ProjectTabs projectId={projectId} budgetId={budgetId} current="history" />

      <JobPanel
        state={flow}
        companyId={company.company_id}
        projectIdOf={() => undefined}
        onDismiss={() => dispatch({ type: "dismiss" })}
        focusAfterDismiss={() =>
          restoreButton && !restoreButton.disabled
            ? restoreButton
            : document.querySelector<HTMLElement>('[aria-label="Budget versions"] tr[aria-selected="true"] button')
        }
      />

      {error && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
      {!loaded ? (
        <p className="muted">Loading the history…</p>
      ) : versions.length === 0 && !error ? (
        <div className="empty card">
          <h2>No versions yet</h2>
          <p>A version is kept each time the budget's lines change: an import, a re-import, an edit or a restore.</p>
        </div>
      ) : (
        <VersionsTable versions={versions} chosen={chosen} latest={latest} onChoose={setChosen} />
      )}
      {next && (
        <button type="button" className="button" onClick={() => void load(next)}>
          Show older versions
        </button>
      )}

      {selected && (
        <VersionDetail
          key={selected.version}
          projectId={projectId}
          version={selected}
          isLatest={selected.version === latest}
          locked={budget?.locked ?? false}
          projectName={projectName}
          canRestore={admin}
          csvAbove={selected.job_id !== null && selected.job_id === panelJobId}
          busy={isBusy(flow) || flow.phase === "confirming"}
          restoreRef={setRestoreButton}
          onRestore={() => {
            setRestoring(selected);
            dispatch({
              type: "open",
              target: { budget_id: budget?.budget_id ?? budgetId ?? projectId, project_name: projectName, erp_system: "", kind: "restore" },
            });
          }}
        />
      )}

      {flow.phase === "confirming" && restoring && (
        <ConfirmDialog
          onConfirm={() => dispatch({ type: "confirm", idempotencyKey: newIdempotencyKey() })}
          onCancel={() => dispatch({ type: "cancel" })}
          returnFocusTo={restoreButton}
        >
          <p>
            Restore the budget of <strong>{projectName}</strong> to version {restoring.version}? Every line's amount goes
            back to what it was then (total {formatMoney(restoring.total)}); lines added since are set to 0. Units,
            quantities and descriptions stay as they are now. The restore is itself a new version, so it can be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

interface TableProps {
  versions: BudgetVersion[];
  chosen: number | null;
  latest: number;
  onChoose: (version: number) => void;
}

function VersionsTable({ versions, chosen, latest, onChoose }: TableProps) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Budget versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Source</th>
            <th scope="col" className="num">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr
              key={v.version}
              className={`selectable${v.version === chosen ? " selected" : ""}`}
              aria-selected={v.version === chosen}
              onClick={() => onChoose(v.version)}
            >
              <th scope="row" className="row-head">
                <button
                  type="button"
                  className="link-button"
                  aria-pressed={v.version === chosen}
                  onClick={(event) => {
                    event.stopPropagation();
                    onChoose(v.version);
                  }}
                >
                  Version {v.version}
                </button>
                {v.version === latest && <span className="badge badge-synced">Current</span>}
              </th>
              <td>
                <time dateTime={v.at}>{formatTimestamp(v.at)}</time>
              </td>
              <td className="who">{v.by}</td>
              <td>{SOURCE_LABELS[v.source] ?? v.source}</td>
              <td className="num">{formatMoney(v.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface DetailProps {
  projectId: string;
  version: BudgetVersion;
  isLatest: boolean;
  locked: boolean;
  projectName: string;
  canRestore: boolean;
  /** The job panel above already offers this version's job's Download CSV. */
  csvAbove: boolean;
  busy: boolean;
  restoreRef: (element: HTMLButtonElement | null) => void;
  onRestore: () => void;
}

function VersionDetail({ projectId, version, isLatest, locked, projectName, canRestore, csvAbove, busy, restoreRef, onRestore }: DetailProps) {
  const { api, company } = useApp();
  const [detail, setDetail] = useState<BudgetAtVersion | null>(null);
  const [error, setError] = useState<string | null>(null);
  const headingId = `version-${version.version}-title`;

  useEffect(() => {
    let cancelled = false;
    getBudgetVersion(api, company.company_id, projectId, version.version, { limit: 1 })
      .then((answer) => !cancelled && setDetail(answer))
      .catch((caught: unknown) => !cancelled && setError(caught instanceof Error ? caught.message : "Could not load this version."));
    return () => {
      cancelled = true;
    };
  }, [api, company.company_id, projectId, version.version]);

  // The version answer carries its first 1,000 changes (fewer when long); the job that made the
  // version has them all, and the table fetches the rest from it as it pages, for a reader who may
  // read that job (ERP read-only, or Budget read-only for a restore: docs/api.md).
  const jobReadable =
    atLeast(company.erp_permission, "read_only") || (version.source === "restore" && atLeast(company.budget_permission, "read_only"));
  const count = detail ? (detail.change_count ?? detail.changes.length) : 0;
  const { changes, total, loadMore } = useJobChanges(company.company_id, jobReadable ? version.job_id : null, detail?.changes ?? [], count);

  const reason = isLatest ? "This is the current version." : locked ? "Unlock the budget to restore a version." : null;
  const s = version.summary;
  return (
    <section className="card version-detail" aria-labelledby={headingId}>
      <h2 id={headingId}>Version {version.version}</h2>
      <p className="muted">
        {SOURCE_LABELS[version.source] ?? version.source} by <span className="who">{version.by}</span>,{" "}
        <time dateTime={version.at}>{formatTimestamp(version.at)}</time>. Total {formatMoney(version.total)}.
        {s && ` ${s.lines_updated} updated, ${s.lines_added} added, ${s.lines_zeroed} set to 0, ${s.lines_unchanged} unchanged.`}
      </p>
      {error && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        {canRestore && (
          <>
            <button
              type="button"
              ref={restoreRef}
              className="button button-primary"
              disabled={reason !== null || busy}
              aria-describedby={reason ? `${headingId}-reason` : undefined}
              onClick={onRestore}
            >
              Restore This Version
            </button>
            {reason && (
              <span id={`${headingId}-reason`} className="reason">
                {reason}
              </span>
            )}
          </>
        )}
        {version.job_id && !csvAbove && atLeast(company.erp_permission, "read_only") && (
          <JobCsvButton
            companyId={company.company_id}
            jobId={version.job_id}
            projectName={projectName}
          />
        )}
      </div>
      {!detail && !error && <p className="muted">Loading the changes…</p>}
      {detail &&
        (changes.length === 0 ? (
          <p className="muted">This version changed no amounts.</p>
        ) : (
          <ChangesTable
            label={`Changes in version ${version.version}`}
            changes={changes}
            total={total}
            loadMore={loadMore}
            beforeLabel="Before"
            afterLabel="After"
          />
        ))}
      {detail && total < count && (
        <p className="muted small">
          Showing the first {formatQuantity(String(total))} of {formatQuantity(String(count))} changes
          {jobReadable ? "." : "; reading the others needs ERP Integrations access."}
        </p>
      )}
    </section>
  );
}
