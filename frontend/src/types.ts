import type { components } from "./api.gen";

type Schemas = components["schemas"];

// The shapes of the Budget Bridge HTTP API (/api/v1) as the web app reads them.

export type Permission = "none" | "read_only" | "standard" | "admin";
export type BudgetStatus = "ready_to_import" | "synced";
export type JobStatus = "queued" | "in_progress" | "succeeded" | "failed";
export type JobKind = "import" | "reimport" | "preview" | "restore";
export type Phase = "fetching" | "validating" | "applying";

export type Session = Schemas["SessionResponse"];

export interface CompanyAccess {
  company_id: string;
  name: string;
  erp_permission: Permission;
  budget_permission: Permission;
}

export interface Me {
  email: string;
  companies: CompanyAccess[];
}

export interface ErpBudget {
  budget_id: string;
  project_id: string;
  project_name: string;
  erp_job_id: string;
  erp_system: string;
  status: BudgetStatus;
  locked: boolean;
  current_procore_total: string;
  /** The ERP's cost total as last fetched by any job; null before the first. */
  current_erp_total?: string | null;
  erp_total_as_of?: string | null;
  /** Which budget store receives the amounts ("budget_bridge" or "procore"); absent means the default. */
  target?: string | null;
  last_synced_at: string | null;
  can_reimport?: boolean;
  can_import?: boolean;
  active_job_id?: string | null;
  line_count?: number;
}

export type ErpBudgetPage = Schemas["BudgetList"];

export type Progress = Schemas["ProgressOut"];

export type Summary = Schemas["SummaryOut"];

export type LineError = Schemas["LineErrorOut"];

export type Change = Schemas["ChangeOut"];

export type Totals = Schemas["TotalsOut"];

/** Why a job failed, when a client can do something about it. */
export type JobErrorCode = "preview_stale" | "erp_budget_empty" | string;

export interface Job {
  job_id: string;
  budget_id: string;
  kind: JobKind;
  status: JobStatus;
  progress?: Progress | null;
  message?: string;
  summary?: Summary | null;
  changes?: Change[];
  change_count?: number;
  errors?: LineError[];
  totals?: Totals | null;
  error_code?: JobErrorCode | null;
  target?: string | null;
  requested_by?: string;
  requested_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
}

export type JobPage = Schemas["JobList"];

export type ChangePage = Schemas["ChangePage"];

export interface Accepted {
  job_id: string;
  status: JobStatus;
}

export type LineItem = Schemas["LineItemOut"];

export interface ProjectBudget {
  project_id: string;
  project_name: string;
  budget_id?: string;
  locked: boolean;
  status: BudgetStatus;
  version: number;
  total: string;
  line_count: number;
  line_items: LineItem[];
  next_cursor: string | null;
}

export type VersionSource = "import" | "reimport" | "edit" | "restore";

export type BudgetVersion = Schemas["VersionOut"];

export type HistoryPage = Schemas["HistoryList"];

/** The budget as it was at one version, with that version's changes against the one before. */
export interface BudgetAtVersion extends ProjectBudget {
  changes: Change[];
  change_count?: number;
}

export interface RuntimeConfig {
  apiBase: string;
  userPoolId?: string;
  userPoolClientId?: string;
  region?: string;
}

/** One line of an ERP job's budget as the saved connection maps it (the mapping preview). */
export type MappingPreviewLine = Schemas["MappingPreviewLine"];

export type MappingPreview = Schemas["MappingPreviewResponse"];

// ---- signing in with a temporary password ----

/** POST /session answers a token, or asks a person with a temporary password to choose a new one. */
export interface NewPasswordChallenge {
  challenge: "new_password_required";
  session: string;
}

export type SignInAnswer = Session | NewPasswordChallenge;

// ---- adoption: connection, projects, catalog, members, audit ----

export type ConnectionStatus = "untested" | "ok" | "failing";

export interface ErpConnection {
  erp_system: string;
  base_url: string;
  settings: Record<string, string>;
  /** True once secrets are stored; some servers name the stored secret fields instead. */
  credentials_set: boolean | string[];
  status: ConnectionStatus;
  last_tested_at: string | null;
  last_error: string | null;
}

export interface ConnectionAnswer {
  connection: ErpConnection | null;
}

export interface ConnectionBody {
  erp_system: string;
  /** Left out for an ERP the form does not call (the spreadsheet import). */
  base_url?: string;
  settings: Record<string, string>;
  credentials?: Record<string, string>;
}

export type ConnectionTest =
  | { ok: true; message: string; projects_visible?: number }
  | { ok: false; code: string; message: string };

export interface ErpProject {
  erp_job_id: string;
  name: string;
  erp_status: string;
  project_id: string | null;
  project_name?: string | null;
}

export type ErpProjectPage = Schemas["ErpProjectList"];

export type LinkedProject = Schemas["LinkResponse"];

export type CatalogEntry = Schemas["CatalogEntryOut"];

export type CostCatalog = Schemas["CatalogResponse"];

/** What a catalog sync added: counts, or the added entries themselves. */
export type CatalogSync = Schemas["SyncResponse"];

export type MemberStatus = "invited" | "active";

export type Member = Schemas["MemberOut"];

export type MemberList = Schemas["MemberList"];

export type Invitation = Schemas["MemberBody"];

export type AuditEvent = Schemas["AuditEventOut"];

export type AuditPage = Schemas["AuditList"];

export type ErpSettings = Schemas["ErpSettingsResponse"];
