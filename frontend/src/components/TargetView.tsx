// ERP Integrations -> Budget Target (ERP admins): where the company's budgets are kept, Budget Bridge's
// own store or Procore, with Procore's address, company and service account (docs/targets/procore.md).
// The client credentials are sent, never shown back: a saved pair shows as set.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { ApiError, getTarget, saveTarget } from "../api";
import { address, isUrl } from "../connectionForm";
import { useApp } from "../context";
import type { TargetAnswer, TargetBody, TargetKind } from "../types";
import { errorText } from "./messages";
import { ActionButton } from "./ActionButton";

export interface TargetForm {
  target: TargetKind;
  base_url: string;
  procore_company_id: string;
  /** Typed in this visit only; the saved ones are never read back. */
  client_id: string;
  client_secret: string;
}

type Field = "base_url" | "procore_company_id" | "client_id" | "client_secret";

export interface TargetProblem {
  /** The field to fix, when the problem names one. */
  field: Field | null;
  message: string;
}

const LABELS: Record<Field, string> = {
  base_url: "Base URL",
  procore_company_id: "Procore Company ID",
  client_id: "Client ID",
  client_secret: "Client Secret",
};

export function formFrom(saved: TargetAnswer | null): TargetForm {
  return {
    target: saved?.target ?? "budget_bridge",
    base_url: saved?.base_url ?? "",
    procore_company_id: saved?.procore_company_id ?? "",
    client_id: "",
    client_secret: "",
  };
}

/**
 * What becomes of saved client credentials left empty: none saved, kept, or refused because the
 * Base URL changed (the API sends them only to the address they were saved for).
 */
export function savedCredentials(form: TargetForm, saved: TargetAnswer | null): "none" | "kept" | "moved" {
  if (saved?.target !== "procore" || !saved.credentials_set) return "none";
  return address(form.base_url) === address(saved.base_url ?? "") ? "kept" : "moved";
}

/** The PUT body for the form, or the first problem the form can see before asking the API. */
export function targetBody(form: TargetForm, saved: TargetAnswer | null): { body: TargetBody } | { problem: TargetProblem } {
  if (form.target === "budget_bridge") return { body: { target: "budget_bridge" } };
  const baseUrl = form.base_url.trim();
  const companyId = form.procore_company_id.trim();
  if (!baseUrl) {
    return { problem: { field: "base_url", message: "Enter the Base URL of Procore's API, for example https://api.procore.com." } };
  }
  if (!isUrl(baseUrl)) {
    return {
      problem: { field: "base_url", message: "The Base URL must be a web address such as https://api.procore.com." },
    };
  }
  if (!companyId) {
    return { problem: { field: "procore_company_id", message: "Enter the Procore Company ID." } };
  }
  if (!/^[0-9]+$/.test(companyId)) {
    return {
      problem: { field: "procore_company_id", message: "The Procore Company ID must be a whole number: Procore's id of your company." },
    };
  }
  const typedId = form.client_id.trim() !== "";
  const typedSecret = form.client_secret.trim() !== "";
  if (typedId !== typedSecret) {
    const missing: Field = typedId ? "client_secret" : "client_id";
    return {
      problem: { field: missing, message: `Enter the ${LABELS[missing]} too: the Client ID and Client Secret are saved together.` },
    };
  }
  const body: TargetBody = { target: "procore", base_url: baseUrl, procore_company_id: companyId };
  if (typedId) return { body: { ...body, credentials: { client_id: form.client_id.trim(), client_secret: form.client_secret } } };
  const stored = savedCredentials(form, saved);
  if (stored === "none") {
    return {
      problem: { field: "client_id", message: "Enter the Client ID and Client Secret of Procore's service account." },
    };
  }
  if (stored === "moved") {
    return {
      problem: {
        field: "client_id",
        message: "Enter the Client ID and Client Secret again: saved ones are only sent to the Base URL they were saved for.",
      },
    };
  }
  return { body };
}

/** The field an API refusal names (422 `invalid_target` or a refused body), if any. */
export function refusedField(error: unknown): Field | null {
  if (!(error instanceof ApiError)) return null;
  const fields = error.details.fields;
  const first = Array.isArray(fields) ? (fields[0] as { name?: unknown } | undefined)?.name : undefined;
  const named = typeof error.details.field === "string" ? error.details.field : typeof first === "string" ? first : "";
  const text = named || error.message;
  if (/^base_url\b/.test(text)) return "base_url";
  if (/^procore_company_id\b/.test(text)) return "procore_company_id";
  if (/client_secret/.test(text) && !/client_id/.test(text)) return "client_secret";
  if (/client_id|credentials/.test(text)) return "client_id";
  return null;
}

export function TargetView({ onSaved }: { onSaved?: (saved: TargetAnswer) => void }) {
  const { api, company } = useApp();
  const [saved, setSaved] = useState<TargetAnswer | null>(null);
  const [form, setForm] = useState<TargetForm>(() => formFrom(null));
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [problem, setProblem] = useState<TargetProblem | null>(null);
  const [done, setDone] = useState<TargetAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    let cancelled = false;
    getTarget(api, company.company_id)
      .then((target) => {
        if (cancelled) return;
        setSaved(target);
        setForm(formFrom(target));
      })
      .catch((error: unknown) => !cancelled && setLoadError(errorText(error, "Could not load the budget target.")))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [api, company.company_id]);

  useEffect(() => {
    // Take the person to the field the problem names.
    if (problem?.field) formRef.current?.querySelector<HTMLElement>(`[data-field="${problem.field}"]`)?.focus();
  }, [problem]);

  async function onSave(event: FormEvent) {
    event.preventDefault();
    // Save Target stays focusable while a save runs (aria-disabled); pressing it again does nothing.
    if (busy) return;
    setProblem(null);
    setDone(null);
    const built = targetBody(form, saved);
    if ("problem" in built) {
      setProblem(built.problem);
      return;
    }
    setBusy(true);
    try {
      const answer = await saveTarget(api, company.company_id, built.body);
      setSaved(answer);
      // The secrets leave the page once stored: from now on they only show as set.
      setForm(formFrom(answer));
      setDone(answer);
      onSaved?.(answer);
    } catch (error) {
      setProblem({ field: refusedField(error), message: errorText(error, "The budget target could not be saved.") });
    }
    setBusy(false);
  }

  if (loading) return <p className="muted">Loading the budget target…</p>;
  return (
    <div className="budget-target">
      <div className="page-head">
        <div>
          <p className="eyebrow">ERP Integrations</p>
          <h1>Budget Target</h1>
        </div>
      </div>
      {loadError ? (
        <p className="message message-error" role="alert">
          {loadError}
        </p>
      ) : (
        <>
          <p role="status" className={done ? "message message-success" : "visually-hidden"}>
            {done && `Budget target saved: budgets are kept in ${done.target_name}.`}
          </p>
          {problem && (
            <p className="message message-error" role="alert">
              {problem.message}
            </p>
          )}
          <form ref={formRef} className="card form-card" onSubmit={(e) => void onSave(e)} noValidate aria-label="Budget target">
            <TargetFields
              form={form}
              saved={saved}
              problem={problem}
              onChange={(next) => {
                if (next.target !== form.target) setProblem(null);
                setForm(next);
              }}
            />
            <div className="actions">
              <ActionButton type="submit" className="button button-primary" unavailable={busy}>
                Save Target
              </ActionButton>
              {busy && (
                <span className="muted" aria-live="polite">
                  Saving…
                </span>
              )}
            </div>
          </form>
        </>
      )}
    </div>
  );
}

interface FieldsProps {
  form: TargetForm;
  saved: TargetAnswer | null;
  problem: TargetProblem | null;
  onChange: (form: TargetForm) => void;
}

function TargetFields({ form, saved, problem, onChange }: FieldsProps) {
  const stored = savedCredentials(form, saved);
  const leaving = saved?.target === "procore" && form.target === "budget_bridge";
  const secretNote =
    stored === "kept" ? "Set. Leave empty to keep it." : stored === "moved" ? "Saved for the old Base URL. Enter it again." : "Not set.";
  const text = (field: Field, value: string) => onChange({ ...form, [field]: value });
  return (
    <>
      <fieldset className="field-group">
        <legend>Where budgets are kept</legend>
        <Choice
          value="budget_bridge"
          label="Budget Bridge"
          hint="Budget Bridge's own store."
          form={form}
          onChange={onChange}
        />
        <Choice
          value="procore"
          label="Procore"
          hint="Each project's budget in Procore, through a Procore service account."
          form={form}
          onChange={onChange}
        />
      </fieldset>
      {leaving && (
        <p className="message message-warning small" role="note">
          Saving Budget Bridge forgets the Procore address and client credentials: to go back to Procore, enter them again.
        </p>
      )}
      {form.target === "procore" && (
        <>
          <TextField
            field="base_url"
            value={form.base_url}
            problem={problem}
            hint="The address of Procore's API, for example https://api.procore.com"
            onChange={text}
          />
          <TextField
            field="procore_company_id"
            value={form.procore_company_id}
            problem={problem}
            hint="Procore's id of your company, a number."
            onChange={text}
          />
          <fieldset className="field-group">
            <legend>Procore service account</legend>
            <p className="muted small">
              The client credentials of the Developer Managed Service Account. They are stored in a secret store and never shown
              again. To change them, enter both anew.
            </p>
            {stored === "moved" && (
              <p className="message message-warning small" role="note">
                The Base URL changed: enter the Client ID and Client Secret again. Saved ones are only sent to the Base URL they were
                saved for.
              </p>
            )}
            <TextField field="client_id" value={form.client_id} problem={problem} hint={secretNote} isSet={stored === "kept"} onChange={text} />
            <TextField
              field="client_secret"
              value={form.client_secret}
              problem={problem}
              hint={secretNote}
              isSet={stored === "kept"}
              secret
              onChange={text}
            />
          </fieldset>
        </>
      )}
    </>
  );
}

interface ChoiceProps {
  value: TargetKind;
  label: string;
  hint: string;
  form: TargetForm;
  onChange: (form: TargetForm) => void;
}

function Choice({ value, label, hint, form, onChange }: ChoiceProps) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>
        <input
          id={id}
          type="radio"
          name="budget-target"
          value={value}
          checked={form.target === value}
          aria-describedby={hintId}
          onChange={() => onChange({ ...form, target: value })}
        />{" "}
        {label}
      </label>
      <span id={hintId} className="hint">
        {hint}
      </span>
    </div>
  );
}

interface TextProps {
  field: Field;
  value: string;
  problem: TargetProblem | null;
  hint: string;
  onChange: (field: Field, value: string) => void;
  secret?: boolean;
  isSet?: boolean;
}

function TextField({ field, value, problem, hint, onChange, secret = false, isSet = false }: TextProps) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{LABELS[field]}</label>
      <input
        id={id}
        data-field={field}
        type={secret ? "password" : "text"}
        value={value}
        aria-invalid={problem?.field === field ? true : undefined}
        aria-describedby={hintId}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => onChange(field, e.target.value)}
      />
      <span id={hintId} className={`hint${isSet ? " hint-set" : ""}`}>
        {hint}
      </span>
    </div>
  );
}
