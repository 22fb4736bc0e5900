// A scripted stand-in for the HTTP API: routes answer from handlers, every request is recorded.

import type { AuditEvent, CostCatalog, ErpConnection, ErpProject, Member } from "../types";

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

/** A JSON `body`, or a `text` answer (a CSV) or `bytes` (a compressed one) with its own headers. */
export interface Answer {
  status?: number;
  body?: unknown;
  text?: string;
  bytes?: ArrayBuffer;
  headers?: Record<string, string>;
}

type Handler = (request: Recorded) => Answer | undefined;

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export function fakeFetch(routes: Record<string, Handler>) {
  const requests: Recorded[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), "http://app.test/");
    const method = (init.method ?? "GET").toUpperCase();
    const path = url.pathname.replace(/^\/api\/v1/, "");
    const request: Recorded = {
      method,
      path,
      query: url.searchParams,
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    };
    requests.push(request);
    for (const [pattern, handler] of Object.entries(routes)) {
      const [m, p] = pattern.split(" ");
      if (m === method && new RegExp(`^${p}$`).test(path)) {
        const answer = handler(request);
        if (answer?.bytes !== undefined) {
          return new Response(answer.bytes, { status: answer.status ?? 200, headers: answer.headers });
        }
        if (answer?.text !== undefined) {
          return new Response(answer.text, { status: answer.status ?? 200, headers: answer.headers ?? { "Content-Type": "text/csv" } });
        }
        if (answer) return jsonResponse(answer.status ?? 200, answer.body);
      }
    }
    return jsonResponse(404, { error: { code: "not_found", message: "Not found." } });
  };
  return { fetchImpl, requests };
}

// ---- a stateful stand-in for the adoption routes (connection, projects, catalog, members, audit) ----

export interface AdoptionState {
  connection: ErpConnection | null;
  /** Stored secrets: the fake keeps them only to decide a test's outcome, as the secret store would. */
  secrets: Record<string, string>;
  goodPassword: string;
  projects: ErpProject[];
  catalog: CostCatalog;
  erpCatalog: CostCatalog;
  /** A job is queued or running: the connection cannot be deleted. */
  jobRunning: boolean;
  /** Cost codes budget lines use: the catalog may not lose them. */
  usedCostCodes: string[];
  members: Member[];
  /** Addresses that already have an account: inviting one makes an active member, no invitation. */
  accounts?: string[];
  audit: AuditEvent[];
  settings: { auto_reimport: { enabled: boolean; every_hours: number }; add_unknown_cost_codes: boolean };
  /** Where the budgets live; a Procore company's link names the Procore project (these answer). */
  target?: "budget_bridge" | "procore";
  procoreProjects?: string[];
}

function error(status: number, code: string, message: string, extra: object = {}) {
  return { status, body: { error: { code, message, ...extra } } };
}

export function adoptionState(overrides: Partial<AdoptionState> = {}): AdoptionState {
  return {
    connection: null,
    secrets: {},
    goodPassword: "sandbox",
    projects: [
      { erp_job_id: "F-3001", name: "Fresh Tower", erp_status: "Active", project_id: null },
      { erp_job_id: "F-3002", name: "Fresh Depot", erp_status: "Active", project_id: null },
    ],
    catalog: { cost_codes: [], cost_types: [] },
    erpCatalog: {
      cost_codes: [{ code: "01-100", description: "General conditions" }],
      cost_types: [{ code: "LABOR", description: "Labor" }, { code: "MATERIAL", description: "Material" }],
    },
    usedCostCodes: [],
    jobRunning: false,
    members: [{ email: "admin@fresh.test", erp_permission: "admin", budget_permission: "admin", status: "active" }],
    audit: [],
    settings: { auto_reimport: { enabled: false, every_hours: 24 }, add_unknown_cost_codes: false },
    ...overrides,
  };
}

/** The adoption routes (docs/adoption.md) of company `cid` over `state`, as the API answers them (a subset of its refusals). */
export function adoptionRoutes(state: AdoptionState, cid = "fresh"): Record<string, Handler> {
  const base = `/companies/${cid}`;
  const audit = (action: string, target: string) =>
    state.audit.unshift({ at: "2026-11-26T10:45:00Z", actor: "admin@fresh.test", action, target, details: {} });
  return {
    [`GET ${base}/erp/connection`]: () => ({ body: { connection: state.connection } }),
    [`PUT ${base}/erp/connection`]: (r) => {
      const body = r.body as { erp_system: string; base_url?: string; settings: Record<string, string>; credentials?: Record<string, string> };
      // The spreadsheet import calls no ERP: no address, no credentials, no secret kept.
      const callsErp = body.erp_system !== "spreadsheet";
      if (callsErp && !(body.base_url ?? "").startsWith("http")) {
        return error(422, "invalid_connection", "base_url must be an https address.", { field: "base_url" });
      }
      if (!callsErp) state.secrets = {};
      else if (body.credentials) state.secrets = { ...body.credentials };
      state.connection = {
        erp_system: body.erp_system,
        base_url: callsErp ? (body.base_url ?? "") : "",
        settings: body.settings,
        credentials_set: Object.keys(state.secrets).length > 0,
        credentials_fields: Object.keys(state.secrets).filter((name) => state.secrets[name] !== ""),
        status: "untested",
        last_tested_at: null,
        last_error: null,
      };
      audit("connection_saved", "erp_connection");
      return { body: { connection: state.connection } };
    },
    [`DELETE ${base}/erp/connection`]: () => {
      if (state.jobRunning) return error(409, "job_in_progress", "A job is running; delete the connection once it has finished.");
      state.connection = null;
      state.secrets = {};
      return { status: 204 };
    },
    [`POST ${base}/erp/connection/test`]: () => {
      if (!state.connection) return error(409, "no_connection", "No ERP connection is saved.");
      const ok = state.secrets.password === state.goodPassword;
      state.connection = {
        ...state.connection,
        status: ok ? "ok" : "failing",
        last_tested_at: "2026-11-26T10:45:00Z",
        last_error: ok ? null : "The ERP refused the username or password.",
      };
      return ok
        ? { body: { ok: true, message: "Signed in to Acumatica.", projects_visible: state.projects.length } }
        : { body: { ok: false, code: "erp_auth_failed", message: "The ERP refused the username or password." } };
    },
    [`GET ${base}/erp/projects`]: (r) => {
      const limit = Number(r.query.get("limit") ?? 50);
      const start = Number(r.query.get("cursor") ?? 0);
      const page = state.projects.slice(start, start + limit);
      const next = start + limit < state.projects.length ? String(start + limit) : null;
      return { body: { projects: page, next_cursor: next } };
    },
    [`POST ${base}/erp/projects/[^/]+/link`]: (r) => {
      const jobId = decodeURIComponent(r.path.split("/")[5]);
      let project = state.projects.find((p) => p.erp_job_id === jobId);
      if (!project && state.connection?.erp_system === "spreadsheet") {
        // A spreadsheet job is whatever the admin names: it is listed once its export is uploaded.
        project = { erp_job_id: jobId, name: jobId, erp_status: "", project_id: null };
      }
      if (!project) return error(404, "not_found", "The ERP has no such job.");
      if (project.project_id) return error(409, "already_linked", `${jobId} is already linked.`);
      const procoreId = (r.body as { procore_project_id?: string } | null)?.procore_project_id;
      if (state.target === "procore" && !(state.procoreProjects ?? []).includes(procoreId ?? "")) {
        return error(422, "invalid_target_project", `Procore does not answer for the project ${procoreId ?? ""}.`);
      }
      project.project_id = `p-${jobId}`;
      audit("project_linked", jobId);
      return { status: 201, body: { project_id: project.project_id, project_name: project.name, budget_id: `b-${jobId}`, status: "ready_to_import" } };
    },
    [`GET ${base}/target`]: () => {
      const procore = state.target === "procore";
      return {
        body: {
          target: state.target ?? "budget_bridge",
          target_name: procore ? "Procore" : "Budget Bridge",
          base_url: procore ? "https://sandbox.procore.example" : null,
          procore_company_id: procore ? "1001" : null,
          credentials_set: procore,
        },
      };
    },
    [`GET ${base}/cost-catalog`]: () => ({ body: state.catalog }),
    [`PUT ${base}/cost-catalog`]: (r) => {
      const next = r.body as CostCatalog;
      const kept = new Set(next.cost_codes.map((c) => c.code));
      const used = state.usedCostCodes.filter((code) => !kept.has(code));
      if (used.length) {
        const keys = used.map((code) => ["0001", code, "L"]);
        return error(409, "in_use", "Budget lines still use a cost code you removed.", { keys });
      }
      state.catalog = next;
      return { body: state.catalog };
    },
    [`POST ${base}/cost-catalog/sync`]: () => {
      const known = new Set(state.catalog.cost_codes.map((c) => c.code));
      const codes = state.erpCatalog.cost_codes.filter((c) => !known.has(c.code));
      const knownTypes = new Set(state.catalog.cost_types.map((c) => c.code));
      const types = state.erpCatalog.cost_types.filter((c) => !knownTypes.has(c.code));
      state.catalog = { cost_codes: [...state.catalog.cost_codes, ...codes], cost_types: [...state.catalog.cost_types, ...types] };
      return { body: { added_cost_codes: codes.length, added_cost_types: types.length } };
    },
    [`GET ${base}/members`]: () => ({ body: { members: state.members } }),
    [`POST ${base}/members`]: (r) => {
      const body = r.body as Omit<Member, "status">;
      // An address that already has an account (state.accounts) joins at once, as the API does.
      const member: Member = { ...body, status: state.accounts?.includes(body.email) ? "active" : "invited" };
      state.members.push(member);
      return { status: 201, body: member };
    },
    [`PATCH ${base}/members/[^/]+`]: (r) => {
      const email = decodeURIComponent(r.path.split("/").pop()!);
      const member = state.members.find((m) => m.email === email);
      if (!member) return error(404, "not_found", "No such member.");
      const changes = r.body as Partial<Member>;
      const admins = (field: "erp_permission" | "budget_permission") => state.members.filter((m) => m[field] === "admin");
      for (const field of ["erp_permission", "budget_permission"] as const) {
        if (changes[field] && changes[field] !== "admin" && member[field] === "admin" && admins(field).length === 1) {
          return error(409, "last_admin", "The company's last admin cannot be demoted.");
        }
      }
      Object.assign(member, changes);
      return { body: member };
    },
    [`DELETE ${base}/members/[^/]+`]: (r) => {
      const email = decodeURIComponent(r.path.split("/").pop()!);
      state.members = state.members.filter((m) => m.email !== email);
      return { status: 204 };
    },
    [`GET ${base}/audit`]: (r) => {
      const limit = Number(r.query.get("limit") ?? 50);
      const start = Number(r.query.get("cursor") ?? 0);
      const next = start + limit < state.audit.length ? String(start + limit) : null;
      return { body: { events: state.audit.slice(start, start + limit), next_cursor: next } };
    },
    [`GET ${base}/erp/settings`]: () => ({ body: state.settings }),
    [`PUT ${base}/erp/settings`]: (r) => {
      state.settings = r.body as AdoptionState["settings"];
      return { body: state.settings };
    },
  };
}
