// ERP Integrations -> Projects: the ERP's jobs, read live and paged; ERP admins link one to a new project.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { getConnection, getTarget, linkErpProject, listErpProjects } from "../api";
import { useApp } from "../context";
import { sectionAccess } from "../permissions";
import { budgetsHash, erpSectionHash, projectBudgetHash } from "../routes";
import type { ErpProject, ErpProjectPage, LinkedProject } from "../types";
import { erpSpec } from "../erpConnections";
import { useFocusFallback } from "./ActionButton";
import { ConfirmDialog } from "./ConfirmDialog";
import { errorText } from "./messages";
import { Pager, useCursorStack } from "./Pager";

export const PROJECT_PAGE_SIZE = 50;

interface Linked {
  erp_job_id: string;
  project: LinkedProject;
}

export function ProjectsView({ pageSize = PROJECT_PAGE_SIZE }: { pageSize?: number }) {
  const { api, company } = useApp();
  const access = sectionAccess(company);
  const pages = useCursorStack();
  const [page, setPage] = useState<ErpProjectPage | null>(null);
  const [connected, setConnected] = useState<boolean | null>(null);
  // The spreadsheet import lists a job only once its export is uploaded: an admin names new ones.
  const [namesJobs, setNamesJobs] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [linking, setLinking] = useState<string | null>(null);
  const [linked, setLinked] = useState<Linked | null>(null);
  // A company whose budgets live in Procore names each job's Procore project when linking it.
  const [inProcore, setInProcore] = useState(false);
  const [askingProcore, setAskingProcore] = useState<{ project: ErpProject; opener: HTMLElement | null } | null>(null);
  // A linked row's Link button leaves the page, and the browser drops the focus on the page's body:
  // the row's new Linked Project link takes it instead (else the table), whether Link linked at once
  // or through the Procore project's dialog (which gives the focus back on closing).
  const watchFocus = useFocusFallback();
  const linkedFocus = (jobId: string) => () => linkedProjectLink(jobId);

  useEffect(() => {
    let cancelled = false;
    getConnection(api, company.company_id)
      .then((connection) => {
        if (cancelled) return;
        setConnected(connection !== null);
        setNamesJobs(connection !== null && erpSpec(connection.erp_system)?.callsErp === false);
      })
      // Reading the connection is a courtesy: if it fails, try the projects and show their answer.
      .catch(() => !cancelled && setConnected(true));
    if (access.linkProjects) {
      getTarget(api, company.company_id)
        .then((target) => !cancelled && setInProcore(target.target === "procore"))
        // Unread, Link asks for no Procore project; the API's refusal then says it needs one.
        .catch(() => undefined);
    }
    return () => {
      cancelled = true;
    };
  }, [api, company.company_id, access.linkProjects]);

  // Loading until the page asked for now has answered (or failed): derived, so a new page is
  // "loading" from the very render that asks for it.
  const query = JSON.stringify([company.company_id, pages.cursor, pageSize]);
  const [answered, setAnswered] = useState<string | null>(null);
  const loading = answered !== query;

  useEffect(() => {
    if (!connected) return;
    let cancelled = false;
    listErpProjects(api, company.company_id, { limit: pageSize, cursor: pages.cursor })
      .then((answer) => {
        if (cancelled) return;
        setPage(answer);
        setError(null);
      })
      .catch((caught: unknown) => !cancelled && setError(errorText(caught, "Could not read the ERP's projects.")))
      .finally(() => !cancelled && setAnswered(query));
    return () => {
      cancelled = true;
    };
  }, [api, company.company_id, connected, pages.cursor, pageSize, query]);

  async function link(project: ErpProject, options: { projectName?: string; procoreProjectId?: string } = {}): Promise<boolean> {
    setLinking(project.erp_job_id);
    setError(null);
    setLinked(null);
    try {
      const made = await linkErpProject(api, company.company_id, project.erp_job_id, options);
      setLinked({ erp_job_id: project.erp_job_id, project: made });
      setPage((current) =>
        current && {
          ...current,
          projects: current.projects.map((p) =>
            p.erp_job_id === project.erp_job_id ? { ...p, project_id: made.project_id, project_name: made.project_name } : p,
          ),
        },
      );
      return true;
    } catch (caught) {
      setError(errorText(caught, `Could not link ${project.erp_job_id}.`));
      return false;
    } finally {
      setLinking(null);
    }
  }

  const projects = page?.projects ?? [];
  return (
    <div className="projects">
      <div className="page-head">
        <div>
          <p className="eyebrow">ERP Integrations</p>
          <h1>Projects</h1>
        </div>
      </div>
      <p className="muted">
        The jobs of your ERP, read from it live. {access.linkProjects ? "Link" : "An ERP admin links"} a job to a Budget
        Bridge project to bring its budget in: it then waits under Budgets, Ready to Import.
      </p>
      <p role="status" className={linked ? "message message-success" : "visually-hidden"}>
        {linked && (
          <>
            {linked.erp_job_id} is linked to the new project {linked.project.project_name}. Its budget is{" "}
            <a href={budgetsHash(company.company_id, "ready_to_import")}>ready to import under Budgets</a>.
          </>
        )}
      </p>
      {error && !askingProcore && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
      {connected === false ? (
        <NoConnection canConnect={access.connection} companyId={company.company_id} />
      ) : loading && !page ? (
        <p className="muted" aria-live="polite">
          Reading projects from the ERP…
        </p>
      ) : projects.length === 0 && !error ? (
        <p className="empty card">
          {namesJobs
            ? "No budget export has been uploaded yet. Link a job by its ID, then upload its export with Upload Export on its row under Budgets."
            : "The ERP lists no projects."}
        </p>
      ) : (
        projects.length > 0 && (
          <div className="table-wrap">
            <table className="table" aria-label="ERP projects" aria-busy={loading} tabIndex={-1}>
              <thead>
                <tr>
                  <th scope="col">ERP Job ID</th>
                  <th scope="col">Name</th>
                  <th scope="col">ERP Status</th>
                  <th scope="col">Linked Project</th>
                  {access.linkProjects && <th scope="col">Action</th>}
                </tr>
              </thead>
              <tbody>
                {projects.map((project) => (
                  <ProjectRow
                    key={project.erp_job_id}
                    project={project}
                    companyId={company.company_id}
                    canLink={access.linkProjects}
                    busy={linking !== null}
                    onLink={(opener) => {
                      if (inProcore) {
                        setAskingProcore({ project, opener });
                        return;
                      }
                      watchFocus(opener, linkedFocus(project.erp_job_id));
                      void link(project);
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      {namesJobs && access.linkProjects && (
        <LinkJobForm
          busy={linking !== null}
          onLink={(jobId, name) => link({ erp_job_id: jobId, name: jobId, erp_status: "", project_id: null }, { projectName: name })}
        />
      )}
      {askingProcore && (
        <ProcoreProjectDialog
          project={askingProcore.project}
          returnFocusTo={askingProcore.opener}
          fallbackFocus={linkedFocus(askingProcore.project.erp_job_id)}
          busy={linking !== null}
          error={error}
          onLink={async (procoreProjectId) => {
            if (await link(askingProcore.project, { procoreProjectId })) setAskingProcore(null);
          }}
          onCancel={() => setAskingProcore(null)}
        />
      )}
      <Pager
        label="Pages of ERP projects"
        page={pages.page}
        nextCursor={page?.next_cursor}
        loading={loading}
        onBack={pages.back}
        onForward={pages.forward}
      />
    </div>
  );
}

interface RowProps {
  project: ErpProject;
  companyId: string;
  canLink: boolean;
  busy: boolean;
  onLink: (opener: HTMLElement) => void;
}

const rowHeadId = (erpJobId: string) => `erp-job-${erpJobId}`;

/** The "Linked Project" link of a job's row once it is linked; else the projects table the row is in. */
function linkedProjectLink(erpJobId: string): HTMLElement | null {
  const row = document.getElementById(rowHeadId(erpJobId))?.closest("tr");
  return row?.querySelector<HTMLElement>("td a[href]") ?? row?.closest("table") ?? null;
}

function ProjectRow({ project, companyId, canLink, busy, onLink }: RowProps) {
  const jobId = rowHeadId(project.erp_job_id);
  return (
    <tr>
      <th scope="row" id={jobId} className="row-head">
        {project.erp_job_id}
      </th>
      <td className="description">{project.name}</td>
      <td>{project.erp_status}</td>
      <td>
        {project.project_id ? (
          // The project's own name, which the link may have given it; the ERP's for a link that kept none.
          <a href={projectBudgetHash(companyId, project.project_id)}>{project.project_name || project.name || project.project_id}</a>
        ) : (
          <span className="muted">Not linked</span>
        )}
      </td>
      {canLink && (
        <td className="action-cell">
          {!project.project_id && (
            <button
              type="button"
              className="button button-small"
              aria-describedby={jobId}
              aria-disabled={busy ? true : undefined}
              onClick={(event) => !busy && onLink(event.currentTarget)}
            >
              Link
            </button>
          )}
        </td>
      )}
    </tr>
  );
}

interface ProcoreDialogProps {
  project: ErpProject;
  returnFocusTo: HTMLElement | null;
  /** Where the focus goes on closing when the opener (the row's Link) has left: linked, the row's link. */
  fallbackFocus: () => HTMLElement | null;
  busy: boolean;
  /** The API's refusal (422 when Procore does not answer for that project): shown in the dialog, to correct. */
  error: string | null;
  onLink: (procoreProjectId: string) => Promise<void>;
  onCancel: () => void;
}

/** Procore as the target: the job's budget lives in a Procore project, named by its ID when linking. */
function ProcoreProjectDialog({ project, returnFocusTo, fallbackFocus, busy, error, onLink, onCancel }: ProcoreDialogProps) {
  const [procoreId, setProcoreId] = useState("");
  const field = useId();
  const hint = useId();
  const input = useRef<HTMLInputElement>(null);
  const wanted = procoreId.trim();
  // The dialog asks for one thing: the field gets the focus (after the dialog has given it to Cancel).
  useEffect(() => input.current?.focus(), []);
  return (
    <ConfirmDialog
      title={`Link ${project.erp_job_id} to a Procore Project`}
      confirmDisabled={busy || !wanted}
      onConfirm={() => void onLink(wanted)}
      onCancel={onCancel}
      returnFocusTo={returnFocusTo}
      fallbackFocus={fallbackFocus}
    >
      <p>
        The budget of {project.name || project.erp_job_id} will live in this Procore project: re-imports write its amounts
        there.
      </p>
      <div className="field">
        <label htmlFor={field}>Procore Project ID</label>
        <input
          id={field}
          ref={input}
          value={procoreId}
          inputMode="numeric"
          autoComplete="off"
          spellCheck={false}
          aria-describedby={hint}
          onChange={(event) => setProcoreId(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && wanted && !busy) void onLink(wanted);
          }}
        />
        <span id={hint} className="hint">
          The number in the project&apos;s Procore address, after /projects/.
        </span>
      </div>
      {error && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
    </ConfirmDialog>
  );
}

/** For the spreadsheet import: a job is whatever ID the admin's ERP gives it; its export comes later. */
function LinkJobForm({ busy, onLink }: { busy: boolean; onLink: (jobId: string, name: string) => Promise<boolean> }) {
  const [jobId, setJobId] = useState("");
  const [name, setName] = useState("");
  const jobField = useId();
  const nameField = useId();
  const nameHint = useId();

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (busy || !jobId.trim()) return;
    if (await onLink(jobId.trim(), name.trim())) {
      setJobId("");
      setName("");
    }
  }

  return (
    <form className="card form-card" aria-label="Link a job" onSubmit={(event) => void onSubmit(event)}>
      <h2>Link a Job</h2>
      <div className="field">
        <label htmlFor={jobField}>ERP Job ID</label>
        <input id={jobField} value={jobId} required autoComplete="off" spellCheck={false} onChange={(e) => setJobId(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={nameField}>Project Name</label>
        <input id={nameField} value={name} aria-describedby={nameHint} autoComplete="off" onChange={(e) => setName(e.target.value)} />
        <span id={nameHint} className="hint">
          Optional: the job&apos;s ID when left empty.
        </span>
      </div>
      <div className="actions">
        <button type="submit" className="button button-primary" aria-disabled={busy || !jobId.trim() ? true : undefined}>
          Link Job
        </button>
      </div>
    </form>
  );
}

export function NoConnection({ canConnect, companyId }: { canConnect: boolean; companyId: string }) {
  return (
    <p className="message message-warning no-connection">
      {canConnect ? (
        <>
          {/* The link's own words differ from the Connection subtab's, so each link has a name of its own. */}
          No ERP is connected to this company yet. <a href={erpSectionHash(companyId, "connection")}>Connect your ERP</a> to
          bring in its projects and budgets.
        </>
      ) : (
        "No ERP is connected to this company yet. Your company's ERP admins connect it under ERP Integrations, Connection."
      )}
    </p>
  );
}
