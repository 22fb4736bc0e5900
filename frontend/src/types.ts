import type { components } from "./api.gen";

type Schemas = components["schemas"];

// The shapes of the Budget Bridge HTTP API (/api/v1) as the web app reads them: each one is the
// generated type of the OpenAPI document (api.gen.ts, `npm run api-types`), named for the views.
// Only the web app's own settings (RuntimeConfig) are written by hand.

export type Permission = Schemas["CompanyAccess"]["erp_permission"];
export type BudgetStatus = Schemas["BudgetStatus"];
export type JobStatus = Schemas["JobStatus"];
export type JobKind = Schemas["JobKind"];
export type Phase = Schemas["Phase"];

export type Session = Schemas["SessionResponse"];

export type CompanyAccess = Schemas["CompanyAccess"];

export type Me = Schemas["MeResponse"];

export type ErpBudget = Schemas["BudgetListItem"];

export type ErpBudgetPage = Schemas["BudgetList"];

export type Progress = Schemas["ProgressOut"];

export type Summary = Schemas["SummaryOut"];

export type LineError = Schemas["LineErrorOut"];

/** The optional body of an import or re-import: the preview it applies, `allow_empty`. */
export type JobRequestBody = Schemas["JobRequestBody"];

export type Change = Schemas["ChangeOut"];

export type Totals = Schemas["TotalsOut"];

export type Job = Schemas["JobResponse"];

export type JobPage = Schemas["JobList"];

export type ChangePage = Schemas["ChangePage"];

/** A page of a failed job's line errors (`GET .../erp/jobs/{job_id}/errors`). */
export type LineErrorPage = Schemas["LineErrorPage"];

/** What an import, re-import, preview or restore request answers (202): the queued job. */
export type Accepted = Schemas["JobResponse"];

export type LineItem = Schemas["LineItemOut"];

export type ProjectBudget = Schemas["ProjectBudget"];

export type VersionSource = Schemas["VersionSource"];

export type BudgetVersion = Schemas["VersionOut"];

export type HistoryPage = Schemas["HistoryList"];

/** The budget as it was at one version, with that version's changes against the one before. */
export type BudgetAtVersion = Schemas["BudgetAsOf"];

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
export type NewPasswordChallenge = Schemas["SessionChallenge"];

export type SignInAnswer = Schemas["SignInAnswer"];

// ---- adoption: connection, projects, catalog, members, audit, spreadsheet exports ----

export type ErpConnection = Schemas["ErpConnectionOut"];

export type ConnectionStatus = ErpConnection["status"];

export type ConnectionAnswer = Schemas["ErpConnectionResponse"];

export type ConnectionBody = Schemas["ErpConnectionBody"];

export type ConnectionTest = Schemas["ConnectionTestResponse"];

export type ErpProject = Schemas["ErpProjectOut"];

export type ErpProjectPage = Schemas["ErpProjectList"];

export type LinkedProject = Schemas["LinkResponse"];

/** `GET /target`: Budget Bridge's own store or Procore. */
export type TargetAnswer = Schemas["TargetResponse"];

/** `PUT /target` (ERP admins): `credentials` left out keeps the stored ones, for the same `base_url` only. */
export type TargetBody = Schemas["TargetBody"];

export type TargetKind = Schemas["TargetKind"];

export type CatalogEntry = Schemas["CatalogEntryOut"];

export type CostCatalog = Schemas["CatalogResponse"];

/** What a catalog sync added: counts. */
export type CatalogSync = Schemas["SyncResponse"];

export type Member = Schemas["MemberOut"];

export type MemberStatus = Member["status"];

export type MemberList = Schemas["MemberList"];

export type Invitation = Schemas["MemberBody"];

export type AuditEvent = Schemas["AuditEventOut"];

export type AuditPage = Schemas["AuditList"];
export type ProjectBudgetList = Schemas["ProjectList"];
export type ProjectBudgetRow = Schemas["ProjectListItem"];

export type ErpSettings = Schemas["ErpSettingsResponse"];

/** The export's column names per Budget Bridge field, as saved for the company. */
export type SpreadsheetMapping = Schemas["SpreadsheetMappingResponse"];

/** Where the browser sends an export: a presigned form. */
export type ExportUpload = Schemas["ExportUploadResponse"];
