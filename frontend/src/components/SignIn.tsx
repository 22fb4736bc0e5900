// The sign-in form: Email, Password, Sign in; a refusal is announced with the API's own sentence.
// A temporary password (an invitation's) is answered with a challenge: then New Password, Set Password.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { ApiError, setNewPassword, signIn, type Api } from "../api";
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
  const [challenge, setChallenge] = useState<string | null>(null);
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
      const answer = await signIn(api, email.trim(), password);
      if ("challenge" in answer) {
        setPassword("");
        setChallenge(answer.session);
        setBusy(false);
        return;
      }
      onSignedIn(answer);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "Signing in failed. Please try again.");
      setBusy(false);
    }
  }

  if (challenge) {
    return (
      <NewPasswordForm
        api={api}
        email={email.trim()}
        session={challenge}
        onSignedIn={onSignedIn}
        onRestart={(message) => {
          setChallenge(null);
          setError(message);
        }}
      />
    );
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

interface NewPasswordProps {
  api: Api;
  email: string;
  session: string;
  onSignedIn: (session: Session) => void;
  onRestart: (message: string) => void;
}

function NewPasswordForm({ api, email, session, onSignedIn, onRestart }: NewPasswordProps) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const passwordId = useId();
  const hintId = useId();

  useEffect(() => inputRef.current?.focus(), []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!password) {
      setError("Enter a new password.");
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      onSignedIn(await setNewPassword(api, email, session, password));
    } catch (caught) {
      setBusy(false);
      // The sign-in session of a temporary password is short-lived: start again when it is gone.
      if (caught instanceof ApiError && caught.status === 401) {
        onRestart(caught.message || "Please sign in again with your temporary password.");
        return;
      }
      setError(caught instanceof ApiError ? caught.message : "Setting the password failed. Please try again.");
      inputRef.current?.focus();
    }
  }

  return (
    <main className="signin" id="main">
      <form className="card signin-card" onSubmit={submit} noValidate aria-labelledby="new-password-title">
        <p className="brand brand-large" aria-hidden="true">
          Budget Bridge
        </p>
        <h1 id="new-password-title">Choose your own password</h1>
        <p className="muted">
          You signed in as {email} with a temporary password. Choose your own password to continue.
        </p>
        {error && (
          <p className="message message-error" role="alert">
            {error}
          </p>
        )}
        <div className="field">
          <label htmlFor={passwordId}>New Password</label>
          <input
            id={passwordId}
            ref={inputRef}
            type="password"
            autoComplete="new-password"
            value={password}
            aria-describedby={hintId}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
          <span id={hintId} className="hint">
            Use at least 12 characters with upper- and lower-case letters, numbers and symbols.
          </span>
        </div>
        <button type="submit" className="button button-primary" disabled={busy}>
          Set Password
        </button>
      </form>
    </main>
  );
}
