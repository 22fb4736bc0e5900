// The shapes of the Budget Bridge HTTP API (/api/v1) as the web app reads them.

export type Permission = "none" | "read_only" | "standard" | "admin";
export type BudgetStatus = "ready_to_import" | "synced";
export type JobStatus = "queued" | "in_progress" | "succeeded" | "failed";
export type JobKind = "import" | "reimport" | "preview" | "restore";
export type Phase = "fetching" | "validating" | "applying";

export interface Session {
  token: string;
  expires_in: number;
}

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

export interface ErpBudgetPage {
  budgets: ErpBudget[];
  next_cursor: string | null;
}

export interface Progress {
  phase: Phase;
  done: number;
  total: number;
}

export interface Summary {
  lines_updated: number;
  lines_added: number;
  lines_zeroed: number;
  lines_unchanged: number;
}

export interface LineError {
  line: number;
  field: string;
  message: string;
}

export interface Change {
  line_item_id: string;
  sub_job: string;
  cost_code: string;
  cost_type: string;
  kind: "updated" | "added" | "zeroed";
  old_amount: string | null;
  new_amount: string;
}

export interface Totals {
  current_erp_total: string;
  current_total: string;
  new_total: string;
}

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

export interface JobPage {
  jobs: Job[];
  next_cursor: string | null;
}

export interface ChangePage {
  changes: Change[];
  next_cursor: string | null;
}

export interface Accepted {
  job_id: string;
  status: JobStatus;
}

export interface LineItem {
  line_item_id: string;
  sub_job: string;
  cost_code: string;
  cost_type: string;
  description: string;
  original_budget_amount: string;
  uom: string | null;
  quantity: string | null;
  unit_cost: string | null;
}

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

export interface BudgetVersion {
  version: number;
  at: string;
  by: string;
  source: VersionSource;
  job_id: string | null;
  total: string;
  summary: Summary | null;
}

export interface HistoryPage {
  versions: BudgetVersion[];
  next_cursor: string | null;
}

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
export interface MappingPreviewLine {
  line: number;
  sub_job: string;
  cost_code: string;
  cost_type: string;
  kind: "cost" | "revenue";
  amount: string;
  description: string;
}

export interface MappingPreview {
  erp_job_id: string;
  erp_system: string;
  total_lines: number;
  lines: MappingPreviewLine[];
}

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
  base_url: string;
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

export interface ErpProjectPage {
  projects: ErpProject[];
  next_cursor: string | null;
}

export interface LinkedProject {
  project_id: string;
  project_name: string;
  budget_id: string;
  status: BudgetStatus;
}

export interface CatalogEntry {
  code: string;
  description: string;
}

export interface CostCatalog {
  cost_codes: CatalogEntry[];
  cost_types: CatalogEntry[];
}

/** What a catalog sync added: counts, or the added entries themselves. */
export interface CatalogSync {
  added_cost_codes: number | unknown[];
  added_cost_types: number | unknown[];
}

export type MemberStatus = "invited" | "active";

export interface Member {
  email: string;
  erp_permission: Permission;
  budget_permission: Permission;
  status: MemberStatus;
}

export interface MemberList {
  members: Member[];
}

export interface Invitation {
  email: string;
  erp_permission: Permission;
  budget_permission: Permission;
}

export interface AuditEvent {
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown> | null;
}

export interface AuditPage {
  events: AuditEvent[];
  next_cursor?: string | null;
}

export interface ErpSettings {
  auto_reimport: { enabled: boolean; every_hours: number };
  add_unknown_cost_codes?: boolean;
}
