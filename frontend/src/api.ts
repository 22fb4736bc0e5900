// The only code that talks to the Budget Bridge API: bearer token, error bodies, 401 handling.

import type { RuntimeConfig } from "./types";

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

  /** A file the API serves (a CSV): fetched with the bearer token, so a plain link cannot do it. */
  async file(path: string, accept = "text/csv"): Promise<{ blob: Blob; fileName: string | null }> {
    const response = await this.send("GET", path, { headers: { Accept: accept } });
    return { blob: await response.blob(), fileName: fileNameFrom(response.headers.get("Content-Disposition")) };
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
