// The only code that talks to the Budget Bridge API: bearer token, error bodies, 401 handling.

import type {
  Accepted,
  AuditPage,
  BudgetAtVersion,
  CatalogSync,
  ChangePage,
  ConnectionAnswer,
  ConnectionBody,
  ConnectionTest,
  CostCatalog,
  ErpBudgetPage,
  ErpConnection,
  ErpProjectPage,
  ErpSettings,
  ExportUpload,
  HistoryPage,
  Invitation,
  Job,
  JobPage,
  JobRequestBody,
  LineErrorPage,
  LineItem,
  LinkedProject,
  MappingPreview,
  Me,
  Member,
  MemberList,
  Permission,
  ProjectBudget,
  ProjectBudgetList,
  RuntimeConfig,
  Session,
  SignInAnswer,
  SpreadsheetMapping,
  TargetAnswer,
  TargetBody,
} from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const SESSION_EXPIRED_MESSAGE = "Your session has expired. Please sign in again.";
const NETWORK_MESSAGE = "Could not reach Budget Bridge. Check your connection and try again.";

type Query = Record<string, string | number | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** False only for signing in: a 401 there is a wrong password, not an expired session. */
  auth?: boolean;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // A proxy or gateway may answer with HTML or nothing; fall back to a generic sentence.
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (error && typeof error.message === "string") {
    const { code, message, ...details } = error;
    return new ApiError(response.status, String(code ?? "error"), message, details);
  }
  const message = (body as { message?: unknown } | null)?.message;
  return new ApiError(
    response.status,
    "http_error",
    typeof message === "string" ? message : `The request failed (HTTP ${response.status}).`,
  );
}

const GZIP = "application/gzip";

/** A file the API served, with the name its Content-Disposition suggests (if any). */
export interface ApiFile {
  blob: Blob;
  fileName: string | null;
}

export class Api {
  constructor(
    private readonly base: string,
    private readonly getToken: () => string | null,
    private readonly onUnauthorized: () => void,
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A CSV the API serves: fetched with the bearer token, so a plain link cannot do it. It is asked
   * for gzip-compressed, since a budget of 60,000 to 75,000 lines is over the 6 MB one answer may
   * carry in AWS (docs/history.md, "CSV"), and unpacked here: the saved file is the plain CSV. */
  async file(path: string): Promise<ApiFile> {
    const response = await this.send("GET", path, { headers: { Accept: `${GZIP}, text/csv;q=0.5` } });
    const fileName = fileNameFrom(response.headers.get("Content-Disposition"));
    if (!response.headers.get("Content-Type")?.startsWith(GZIP) || !response.body) {
      return { blob: await response.blob(), fileName };
    }
    const unpacked = response.body.pipeThrough(new DecompressionStream("gzip"));
    const blob = await new Response(unpacked, { headers: { "Content-Type": "text/csv" } }).blob();
    return { blob, fileName: fileName?.replace(/\.gz$/i, "") ?? null };
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    const auth = options.auth ?? true;
    const token = auth ? this.getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await fetch(`${this.base}/api/v1${withQuery(path, options.query)}`, { method, headers, body });
    } catch {
      throw new ApiError(0, "network_error", NETWORK_MESSAGE);
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401 && auth) this.onUnauthorized();
      throw error;
    }
    return response;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, { query });
  }
}

/** The file name a Content-Disposition header suggests (`filename*=UTF-8''...` or `filename="..."`), if any. */
export function fileNameFrom(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended) {
    try {
      return safeFileName(decodeURIComponent(extended[1].trim()));
    } catch {
      // A malformed escape: fall back to the plain parameter.
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/.exec(header);
  const name = plain ? (plain[1] ?? plain[2]).trim() : "";
  return name ? safeFileName(name) : null;
}

/** No folders in a suggested name: a server's answer must not choose where a file lands. */
function safeFileName(name: string): string | null {
  const base = name.split(/[\\/]/).pop()?.trim() ?? "";
  return base && base !== "." && base !== ".." ? base : null;
}

/** Reads /runtime-config.json (written per AWS stage); locally it is absent and the API is same-origin. */
export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  try {
    const response = await fetch("runtime-config.json", { headers: { Accept: "application/json" } });
    if (!response.ok) return { apiBase: "" };
    const data = (await response.json()) as Partial<RuntimeConfig>;
    const apiBase = typeof data.apiBase === "string" ? data.apiBase.replace(/\/+$/, "").replace(/\/api\/v1$/, "") : "";
    return { ...data, apiBase };
  } catch {
    // A server that answers every path with index.html lands here: same-origin API.
    return { apiBase: "" };
  }
}

/** A fresh random UUID for the Idempotency-Key header, even where crypto.randomUUID is missing. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---- one typed function per endpoint --------------------------------------------------------------
// Views call these, never a path of their own, so every route the web app uses is listed here.

function companyPath(companyId: string): string {
  return `/companies/${encodeURIComponent(companyId)}`;
}

export interface PageQuery {
  limit?: number;
  cursor?: string | null;
}

export function signIn(api: Api, email: string, password: string): Promise<SignInAnswer> {
  return api.request<SignInAnswer>("POST", "/session", { body: { email, password }, auth: false });
}

export function setNewPassword(api: Api, email: string, session: string, newPassword: string): Promise<Session> {
  return api.request<Session>("POST", "/session/new-password", {
    body: { email, session, new_password: newPassword },
    auth: false,
  });
}

export function getMe(api: Api): Promise<Me> {
  return api.get<Me>("/me");
}

export function listErpBudgets(
  api: Api,
  companyId: string,
  query: PageQuery & { filter: string },
): Promise<ErpBudgetPage> {
  return api.get<ErpBudgetPage>(`${companyPath(companyId)}/erp/budgets`, { ...query });
}

export function requestBudgetJob(
  api: Api,
  companyId: string,
  budgetId: string,
  kind: "import" | "reimport",
  idempotencyKey: string,
  body?: JobRequestBody,
): Promise<Accepted> {
  return api.request<Accepted>("POST", `${companyPath(companyId)}/erp/budgets/${encodeURIComponent(budgetId)}/${kind}`, {
    headers: { "Idempotency-Key": idempotencyKey },
    body,
  });
}

/** A preview job: what an import or re-import would change, changing nothing (`allow_empty` previews zeroing). */
export function requestPreview(
  api: Api,
  companyId: string,
  budgetId: string,
  body: { allow_empty: true } | undefined,
): Promise<Accepted> {
  return api.request<Accepted>("POST", `${companyPath(companyId)}/erp/budgets/${encodeURIComponent(budgetId)}/preview`, { body });
}

export function getJob(api: Api, companyId: string, jobId: string): Promise<Job> {
  return api.get<Job>(`${companyPath(companyId)}/erp/jobs/${encodeURIComponent(jobId)}`);
}

export function listJobs(api: Api, companyId: string, query: PageQuery & { budget_id?: string }): Promise<JobPage> {
  return api.get<JobPage>(`${companyPath(companyId)}/erp/jobs`, { ...query });
}

export function listJobChanges(api: Api, companyId: string, jobId: string, query: PageQuery): Promise<ChangePage> {
  return api.get<ChangePage>(`${companyPath(companyId)}/erp/jobs/${encodeURIComponent(jobId)}/changes`, { ...query });
}

/** Pages from a failed job's first line error; the job answer carries the first 100 and `error_count`. */
export function listJobErrors(api: Api, companyId: string, jobId: string, query: PageQuery): Promise<LineErrorPage> {
  return api.get<LineErrorPage>(`${companyPath(companyId)}/erp/jobs/${encodeURIComponent(jobId)}/errors`, { ...query });
}

export function getJobChangesCsv(api: Api, companyId: string, jobId: string): Promise<ApiFile> {
  return api.file(`${companyPath(companyId)}/erp/jobs/${encodeURIComponent(jobId)}/changes.csv`);
}

export function getErpSettings(api: Api, companyId: string): Promise<ErpSettings> {
  return api.get<ErpSettings>(`${companyPath(companyId)}/erp/settings`);
}

export function putErpSettings(api: Api, companyId: string, settings: ErpSettings): Promise<ErpSettings> {
  return api.request<ErpSettings>("PUT", `${companyPath(companyId)}/erp/settings`, { body: settings });
}

function projectPath(companyId: string, projectId: string): string {
  return `${companyPath(companyId)}/projects/${encodeURIComponent(projectId)}/budget`;
}

export function getProjectBudget(api: Api, companyId: string, projectId: string, query: PageQuery): Promise<ProjectBudget> {
  return api.get<ProjectBudget>(projectPath(companyId, projectId), { ...query });
}

export function requestRestore(
  api: Api,
  companyId: string,
  projectId: string,
  version: number,
  idempotencyKey: string,
): Promise<Accepted> {
  return api.request<Accepted>("POST", `${projectPath(companyId, projectId)}/history/${version}/restore`, {
    headers: { "Idempotency-Key": idempotencyKey },
  });
}

export function getBudgetCsv(api: Api, companyId: string, projectId: string): Promise<ApiFile> {
  return api.file(`${projectPath(companyId, projectId)}.csv`);
}

export function listBudgetHistory(api: Api, companyId: string, projectId: string, query: PageQuery): Promise<HistoryPage> {
  return api.get<HistoryPage>(`${projectPath(companyId, projectId)}/history`, { ...query });
}

export function getBudgetVersion(
  api: Api,
  companyId: string,
  projectId: string,
  version: number,
  query: PageQuery,
): Promise<BudgetAtVersion> {
  return api.get<BudgetAtVersion>(`${projectPath(companyId, projectId)}/history/${version}`, { ...query });
}

export function editLineItem(
  api: Api,
  companyId: string,
  projectId: string,
  lineItemId: string,
  changes: Partial<Record<Exclude<keyof LineItem, "line_item_id" | "sub_job" | "cost_code" | "cost_type">, string | null>>,
): Promise<LineItem> {
  const path = `${projectPath(companyId, projectId)}/line_items/${encodeURIComponent(lineItemId)}`;
  return api.request<LineItem>("PATCH", path, { body: changes });
}

export function setBudgetLock(api: Api, companyId: string, projectId: string, locked: boolean): Promise<unknown> {
  return api.request<unknown>(locked ? "POST" : "DELETE", `${projectPath(companyId, projectId)}/lock`);
}

export async function getConnection(api: Api, companyId: string): Promise<ErpConnection | null> {
  const answer = await api.get<ConnectionAnswer>(`${companyPath(companyId)}/erp/connection`);
  return answer.connection;
}

export async function saveConnection(api: Api, companyId: string, body: ConnectionBody): Promise<ErpConnection> {
  const answer = await api.request<ConnectionAnswer | ErpConnection>("PUT", `${companyPath(companyId)}/erp/connection`, {
    body,
  });
  // The contract answers "the same shape" as GET; accept the bare connection as well.
  return ("connection" in answer ? answer.connection : answer) as ErpConnection;
}

export function testConnection(api: Api, companyId: string): Promise<ConnectionTest> {
  return api.request<ConnectionTest>("POST", `${companyPath(companyId)}/erp/connection/test`);
}

export function deleteConnection(api: Api, companyId: string): Promise<void> {
  return api.request<void>("DELETE", `${companyPath(companyId)}/erp/connection`);
}

export function listErpProjects(api: Api, companyId: string, query: PageQuery): Promise<ErpProjectPage> {
  return api.get<ErpProjectPage>(`${companyPath(companyId)}/erp/projects`, { ...query });
}

export function linkErpProject(
  api: Api,
  companyId: string,
  erpJobId: string,
  { projectName, procoreProjectId }: { projectName?: string; procoreProjectId?: string } = {},
): Promise<LinkedProject> {
  const body = {
    ...(projectName ? { project_name: projectName } : {}),
    ...(procoreProjectId ? { procore_project_id: procoreProjectId } : {}),
  };
  return api.request<LinkedProject>("POST", `${companyPath(companyId)}/erp/projects/${encodeURIComponent(erpJobId)}/link`, {
    body,
  });
}

/** Where the company's budgets live: Budget Bridge's own store or Procore (never its secrets). */
export function getTarget(api: Api, companyId: string): Promise<TargetAnswer> {
  return api.get<TargetAnswer>(`${companyPath(companyId)}/target`);
}

/** Chooses where the company's budgets live (ERP admins); the client secret is sent, never answered. */
export function saveTarget(api: Api, companyId: string, body: TargetBody): Promise<TargetAnswer> {
  return api.request<TargetAnswer>("PUT", `${companyPath(companyId)}/target`, { body });
}

export function unlinkErpProject(api: Api, companyId: string, erpJobId: string): Promise<void> {
  return api.request<void>("DELETE", `${companyPath(companyId)}/erp/projects/${encodeURIComponent(erpJobId)}/link`);
}

export function getCostCatalog(api: Api, companyId: string): Promise<CostCatalog> {
  return api.get<CostCatalog>(`${companyPath(companyId)}/cost-catalog`);
}

export function putCostCatalog(api: Api, companyId: string, catalog: CostCatalog): Promise<CostCatalog> {
  return api.request<CostCatalog>("PUT", `${companyPath(companyId)}/cost-catalog`, { body: catalog });
}

export function syncCostCatalog(api: Api, companyId: string): Promise<CatalogSync> {
  return api.request<CatalogSync>("POST", `${companyPath(companyId)}/cost-catalog/sync`);
}

export function listMembers(api: Api, companyId: string): Promise<MemberList> {
  return api.get<MemberList>(`${companyPath(companyId)}/members`);
}

export function inviteMember(api: Api, companyId: string, invitation: Invitation): Promise<Member> {
  return api.request<Member>("POST", `${companyPath(companyId)}/members`, { body: invitation });
}

export function updateMember(
  api: Api,
  companyId: string,
  email: string,
  permissions: { erp_permission?: Permission; budget_permission?: Permission },
): Promise<Member> {
  return api.request<Member>("PATCH", `${companyPath(companyId)}/members/${encodeURIComponent(email)}`, {
    body: permissions,
  });
}

export function removeMember(api: Api, companyId: string, email: string): Promise<void> {
  return api.request<void>("DELETE", `${companyPath(companyId)}/members/${encodeURIComponent(email)}`);
}

export function listProjectBudgets(api: Api, companyId: string, query: PageQuery): Promise<ProjectBudgetList> {
  return api.get<ProjectBudgetList>(`${companyPath(companyId)}/projects`, { ...query });
}

export function listAudit(api: Api, companyId: string, query: PageQuery): Promise<AuditPage> {
  return api.get<AuditPage>(`${companyPath(companyId)}/audit`, { ...query });
}

export function getSpreadsheetMapping(api: Api, companyId: string): Promise<SpreadsheetMapping> {
  return api.get<SpreadsheetMapping>(`${companyPath(companyId)}/erp/spreadsheet/mapping`);
}

export function putSpreadsheetMapping(api: Api, companyId: string, mapping: SpreadsheetMapping): Promise<SpreadsheetMapping> {
  return api.request<SpreadsheetMapping>("PUT", `${companyPath(companyId)}/erp/spreadsheet/mapping`, { body: mapping });
}

/** Where to send a budget export: a presigned form the browser posts the file to. */
export function startExportUpload(
  api: Api,
  companyId: string,
  budgetId: string,
  file: { file_name: string; size: number },
): Promise<ExportUpload> {
  return api.request<ExportUpload>("POST", `${companyPath(companyId)}/erp/budgets/${encodeURIComponent(budgetId)}/exports`, {
    body: file,
  });
}

/** The first 20 lines of an ERP job's budget as the saved connection maps them (ERP admin). */
export function getMappingPreview(api: Api, companyId: string, erpJobId: string): Promise<MappingPreview> {
  return api.get<MappingPreview>(`${companyPath(companyId)}/erp/mapping-preview`, {
    erp_job_id: erpJobId,
  });
}
