// Where the sign-in token lives: sessionStorage, so it ends with the tab.

const TOKEN_KEY = "budgetBridge.token";
const EXPIRES_KEY = "budgetBridge.expiresAt";

export function saveToken(token: string, expiresInSeconds: number, now = Date.now()): void {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(EXPIRES_KEY, String(now + expiresInSeconds * 1000));
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRES_KEY);
}

/**
 * The token the API client sends, read when a request goes out. It is not rendering state, so it lives
 * here rather than in a React ref read during render; the app sets it whenever it signs in or out.
 */
export class CurrentToken {
  private token: string | null;

  constructor(token: string | null) {
    this.token = token;
  }

  readonly get = (): string | null => this.token;

  set(token: string | null): void {
    this.token = token;
  }
}

export type StoredToken = { state: "none" } | { state: "expired" } | { state: "valid"; token: string };

export function readToken(now = Date.now()): StoredToken {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return { state: "none" };
  const expiresAt = Number(sessionStorage.getItem(EXPIRES_KEY));
  if (Number.isFinite(expiresAt) && expiresAt > 0 && expiresAt <= now) return { state: "expired" };
  return { state: "valid", token };
}
