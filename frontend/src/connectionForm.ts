// The Connection form's state and rules: what it starts with, and the request body it sends.

import { erpSpec, type ErpSpec } from "./erpConnections";
import type { ConnectionBody, ErpConnection } from "./types";

export const DEFAULT_ERP = "acumatica";

/** Why a saved secret must be typed again after the Base URL changed. */
export const SENT_ONLY_TO_SAVED_ADDRESS = "saved secrets are only sent to the Base URL they were saved for";

export interface ConnectionForm {
  erp_system: string;
  base_url: string;
  settings: Record<string, string>;
  /** Secrets typed in this visit only; a saved secret is never read back. */
  secrets: Record<string, string>;
}

export interface FieldProblem {
  /** "erp_system", "base_url", or the name of a setting or secret field. */
  field: string;
  message: string;
}

function initialSettings(spec: ErpSpec | undefined, saved: Record<string, string> = {}): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const field of spec?.settings ?? []) settings[field.name] = saved[field.name] ?? field.initial;
  return settings;
}

export function formFrom(connection: ErpConnection | null): ConnectionForm {
  const erp = connection?.erp_system ?? DEFAULT_ERP;
  return {
    erp_system: erp,
    base_url: connection?.base_url ?? "",
    settings: initialSettings(erpSpec(erp), connection?.settings),
    secrets: {},
  };
}

/**
 * Another ERP has other fields: start them afresh, keeping only the Base URL typed so far. Back to the
 * saved connection's ERP, its saved settings return too (its secrets are still set and stay unshown),
 * so choosing another ERP by mistake and back loses nothing.
 */
export function switchErp(form: ConnectionForm, erp: string, saved: ErpConnection | null = null): ConnectionForm {
  if (saved && saved.erp_system === erp) return { ...formFrom(saved), base_url: form.base_url };
  return { erp_system: erp, base_url: form.base_url, settings: initialSettings(erpSpec(erp)), secrets: {} };
}

/**
 * Whether the saved connection holds this secret (its value is never shown): the API names the stored
 * secret fields, required and optional, in `credentials_fields`. When it could not read them just now
 * (null), "credentials set" vouches for the required secrets only.
 */
export function secretIsSet(connection: ErpConnection | null, form: ConnectionForm, name: string): boolean {
  if (!connection || connection.erp_system !== form.erp_system) return false;
  const field = erpSpec(form.erp_system)?.secrets.find((f) => f.name === name);
  if (field === undefined) return false;
  if (connection.credentials_fields == null) return connection.credentials_set && !field.optional;
  return connection.credentials_fields.includes(name);
}

/** An address as the API compares it: without surrounding spaces or a trailing slash. */
export function address(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/**
 * Whether the Base URL differs from the saved connection's. Saved secrets are only sent to the address
 * they were saved for (docs/adoption.md, "The ERP connection"): the API refuses to keep them for another
 * one, so the form then asks for every secret again (each secret's hint says so).
 */
export function addressChanged(form: ConnectionForm, saved: ErpConnection | null): boolean {
  if (!saved || saved.erp_system !== form.erp_system) return false;
  return address(form.base_url) !== address(saved.base_url);
}

/** An http(s) address with a host, as a Base URL must be before the API judges it further. */
export function isUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && Boolean(url.hostname);
  } catch {
    return false;
  }
}

/**
 * The PUT body for the form, or the first problem a person must fix. Secrets go only when typed: a
 * body without `credentials` keeps the stored ones. Typing any secret replaces them all, so then every
 * required secret must be typed (a new connection, or another ERP, needs them in any case).
 */
export function connectionBody(
  form: ConnectionForm,
  saved: ErpConnection | null,
): { body: ConnectionBody } | { problem: FieldProblem } {
  const spec = erpSpec(form.erp_system);
  if (!spec) return { problem: { field: "erp_system", message: "Choose your ERP System." } };
  if (!spec.callsErp) return { body: { erp_system: spec.id, settings: keptSettings(spec, saved) } };
  const baseUrl = form.base_url.trim();
  if (!baseUrl) return { problem: { field: "base_url", message: "Enter the Base URL of your ERP." } };
  if (!isUrl(baseUrl)) {
    return { problem: { field: "base_url", message: "Enter the Base URL as a web address starting with https://." } };
  }
  const settings: Record<string, string> = unshownSettings(spec, saved);
  for (const field of spec.settings) {
    const value = (form.settings[field.name] ?? "").trim();
    if (value) settings[field.name] = value;
    else if (!field.optional) return { problem: { field: field.name, message: `Enter the ${field.label}.` } };
    // An optional field that starts with the connector's default, cleared: "none", not the default
    // (Workday's sub_job_column: blank means the report has no sub jobs, docs/erps/workday.md).
    else if (field.initial) settings[field.name] = "";
  }
  const typed = spec.secrets.filter((field) => (form.secrets[field.name] ?? "") !== "");
  const moved = addressChanged(form, saved);
  // Nothing typed keeps the stored secrets. With another Base URL the API refuses to keep them, but
  // only after judging the address itself, so a refused address is named as such first; its refusal
  // (field "credentials") is then shown on the secrets (`problemFromApi`).
  const keepStored = typed.length === 0 && secretIsSet(saved, form, spec.secrets[0]?.name ?? "");
  if (keepStored) return { body: { erp_system: spec.id, base_url: baseUrl, settings } };
  const credentials: Record<string, string> = {};
  for (const field of spec.secrets) {
    const value = form.secrets[field.name] ?? "";
    if (value) credentials[field.name] = value;
    else if (!field.optional) {
      const wasSet = secretIsSet(saved, form, field.name);
      let again = "";
      if (moved && wasSet) again = ` again: ${SENT_ONLY_TO_SAVED_ADDRESS}`;
      else if (typed.length > 0 && wasSet) again = " again, with the other secrets";
      return { problem: { field: field.name, message: `Enter the ${field.label}${again}.` } };
    }
  }
  return { body: { erp_system: spec.id, base_url: baseUrl, settings, credentials } };
}

/**
 * The API's refusal of a save as a problem of the form's field: the API names the secrets as a whole
 * ("credentials", when it needs them again), which the form shows on its first required secret.
 */
export function problemFromApi(form: ConnectionForm, field: unknown, message: string): FieldProblem {
  const named = typeof field === "string" ? field : "";
  if (named !== "credentials") return { field: named, message };
  const first = erpSpec(form.erp_system)?.secrets.find((secret) => !secret.optional);
  return { field: first?.name ?? named, message };
}

/**
 * Settings the form does not show but the connection holds (the spreadsheet import's column mapping,
 * saved from Upload Export): a save keeps them rather than wiping them.
 */
function keptSettings(spec: ErpSpec, saved: ErpConnection | null): Record<string, string> {
  return saved && saved.erp_system === spec.id ? { ...saved.settings } : {};
}

/**
 * Saved settings of this ERP that the form has no field for (a connector's optional settings with
 * defaults, docs/erps/<erp>.md): a save keeps them. A field the form shows is what the form says.
 */
function unshownSettings(spec: ErpSpec, saved: ErpConnection | null): Record<string, string> {
  const shown = new Set(spec.settings.map((field) => field.name));
  return Object.fromEntries(Object.entries(keptSettings(spec, saved)).filter(([name]) => !shown.has(name)));
}

/** Whether the form differs from what is saved (then Test Connection saves it first). */
export function isDirty(form: ConnectionForm, saved: ErpConnection | null): boolean {
  const start = formFrom(saved);
  if (!saved) return true;
  if (form.erp_system !== start.erp_system || form.base_url.trim() !== start.base_url) return true;
  if (Object.values(form.secrets).some((value) => value !== "")) return true;
  return Object.keys(form.settings).some((name) => (form.settings[name] ?? "").trim() !== (start.settings[name] ?? ""));
}
