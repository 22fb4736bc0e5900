// The sign-in form: Email, Password, Sign in; a refusal is announced with the API's own sentence.

import { useId, useState, type FormEvent } from "react";
import { ApiError, type Api } from "../api";
import type { Session } from "../types";

interface Props {
  api: Api;
  notice: string | null;
  onSignedIn: (session: Session) => void;
}

export function SignIn({ api, notice, onSignedIn }: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [showNotice, setShowNotice] = useState(true);
  const emailId = useId();
  const passwordId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setShowNotice(false);
    if (!email.trim() || !password) {
      setError("Enter your email and password.");
      return;
    }
    setBusy(true);
    try {
      const session = await api.request<Session>("POST", "/session", {
        body: { email: email.trim(), password },
        auth: false,
      });
      onSignedIn(session);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "Signing in failed. Please try again.");
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <form className="card signin-card" onSubmit={submit} noValidate aria-labelledby="signin-title">
        <p className="brand brand-large" aria-hidden="true">
          Budget Bridge
        </p>
        <h1 id="signin-title">Sign in</h1>
        {notice && showNotice && (
          <p className="message message-warning" role="alert">
            {notice}
          </p>
        )}
        {error && (
          <p className="message message-error" role="alert">
            {error}
          </p>
        )}
        <div className="field">
          <label htmlFor={emailId}>Email</label>
          <input
            id={emailId}
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor={passwordId}>Password</label>
          <input
            id={passwordId}
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </div>
        <button type="submit" className="button button-primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
