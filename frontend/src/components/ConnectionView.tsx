// ERP Integrations -> Connection (ERP admins): which ERP, where, its settings and secrets; test and save.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { deleteConnection, getConnection, saveConnection, testConnection } from "../api";
import {
  addressChanged,
  connectionBody,
  formFrom,
  isDirty,
  problemFromApi,
  secretIsSet,
  switchErp,
  type ConnectionForm,
  type FieldProblem,
} from "../connectionForm";
import { useApp } from "../context";
import { formatTimestamp } from "../dates";
import { ERP_SPECS, erpSpec, fieldLabel, type FieldSpec } from "../erpConnections";
import type { ConnectionTest, ErpConnection } from "../types";
import { ActionButton, useFocusFallback } from "./ActionButton";
import { ConfirmDialog } from "./ConfirmDialog";
import { MappingPreview } from "./MappingPreview";
import { errorText } from "./messages";

const BUSY_TEXT = { save: "Saving…", test: "Testing the connection…", delete: "Deleting the connection…" } as const;

const STATUS_TEXT: Record<ErpConnection["status"], string> = {
  untested: "Not tested yet",
  ok: "Working",
  failing: "Failing",
};

type Outcome = { kind: "saved" } | { kind: "deleted" } | { kind: "test"; result: ConnectionTest } | { kind: "error"; message: string };

export function ConnectionView() {
  const { api, company } = useApp();
  const [saved, setSaved] = useState<ErpConnection | null>(null);
  const [form, setForm] = useState<ConnectionForm>(() => formFrom(null));
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState<"save" | "test" | "delete" | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  // Delete Connection, which gets the focus back when its dialog closes (state, as the render passes it on).
  const [deleteButton, setDeleteButton] = useState<HTMLButtonElement | null>(null);
  // Delete Connection leaves the page with the connection: Save Connection then takes the focus.
  const saveButton = useRef<HTMLButtonElement>(null);
  const watchFocus = useFocusFallback();

  useEffect(() => {
    let cancelled = false;
    getConnection(api, company.company_id)
      .then((connection) => {
        if (cancelled) return;
        setSaved(connection);
        setForm(formFrom(connection));
      })
      .catch((error: unknown) => !cancelled && setLoadError(errorText(error, "Could not load the connection.")))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [api, company.company_id]);

  useEffect(() => {
    // Take the person to the field the problem names.
    if (problem) formRef.current?.querySelector<HTMLElement>(`[data-field="${problem.field}"]`)?.focus();
  }, [problem]);

  /** Saves the form; answers the saved connection, or null when it could not be saved. */
  async function save(): Promise<ErpConnection | null> {
    const built = connectionBody(form, saved);
    if ("problem" in built) {
      setProblem(built.problem);
      return null;
    }
    try {
      const connection = await saveConnection(api, company.company_id, built.body);
      setSaved(connection);
      // Secrets leave the page once stored: from now on they only show as set.
      setForm(formFrom(connection));
      return connection;
    } catch (error) {
      const field = (error as { details?: { field?: unknown } }).details?.field;
      setProblem(problemFromApi(form, field, errorText(error, "The connection could not be saved.")));
      return null;
    }
  }

  async function onSave(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setProblem(null);
    setOutcome(null);
    setBusy("save");
    if (await save()) setOutcome({ kind: "saved" });
    setBusy(null);
  }

  async function onTest() {
    if (busy) return;
    setProblem(null);
    setOutcome(null);
    setBusy("test");
    // The test checks the stored connection, so what the form shows is saved first.
    const ready = isDirty(form, saved) ? await save() : saved;
    if (ready) {
      try {
        const result = await testConnection(api, company.company_id);
        setOutcome({ kind: "test", result });
        const connection = await getConnection(api, company.company_id);
        setSaved(connection);
      } catch (error) {
        setOutcome({ kind: "error", message: errorText(error, "The connection could not be tested.") });
      }
    }
    setBusy(null);
  }

  async function onDelete() {
    setConfirmDelete(false);
    setProblem(null);
    setOutcome(null);
    setBusy("delete");
    watchFocus(deleteButton, () => saveButton.current);
    try {
      await deleteConnection(api, company.company_id);
      setSaved(null);
      setForm(formFrom(null));
      setOutcome({ kind: "deleted" });
    } catch (error) {
      setOutcome({ kind: "error", message: errorText(error, "The connection could not be deleted.") });
    }
    setBusy(null);
  }

  if (loading) return <p className="muted">Loading the connection…</p>;
  return (
    <div className="connection">
      <div className="page-head">
        <div>
          <p className="eyebrow">ERP Integrations</p>
          <h1>Connection</h1>
        </div>
      </div>
      {loadError && (
        <p className="message message-error" role="alert">
          {loadError}
        </p>
      )}
      <ConnectionState saved={saved} />
      <Announcements outcome={outcome} problem={problem} />
      <form ref={formRef} className="card form-card" onSubmit={onSave} noValidate aria-label="ERP connection">
        <ConnectionFields form={form} saved={saved} problem={problem} onChange={setForm} />
        {/* While a request runs the buttons are aria-disabled, not disabled, so the one pressed keeps the focus. */}
        <div className="actions">
          <ActionButton className="button" unavailable={busy !== null} onClick={() => void onTest()}>
            Test Connection
          </ActionButton>
          <ActionButton type="submit" ref={saveButton} className="button button-primary" unavailable={busy !== null}>
            Save Connection
          </ActionButton>
          {saved && (
            <ActionButton
              ref={setDeleteButton}
              className="button button-danger"
              unavailable={busy !== null}
              onClick={() => setConfirmDelete(true)}
            >
              Delete Connection
            </ActionButton>
          )}
          {busy && (
            <span className="muted" aria-live="polite">
              {BUSY_TEXT[busy]}
            </span>
          )}
        </div>
      </form>
      {/* The preview reads the stored connection, so it appears once one is saved. */}
      {saved && <MappingPreview />}
      {confirmDelete && (
        <ConfirmDialog
          onConfirm={() => void onDelete()}
          onCancel={() => setConfirmDelete(false)}
          returnFocusTo={deleteButton}
          fallbackFocus={() => saveButton.current}
        >
          <p>
            Delete the connection to {erpSpec(saved?.erp_system ?? "")?.name ?? "your ERP"} and its stored secrets? Imports and
            re-imports stop until a connection is saved again; projects and their budgets stay.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** The page's one status line and one alert: what was saved, deleted or tested, or what went wrong. */
function Announcements({ outcome, problem }: { outcome: Outcome | null; problem: FieldProblem | null }) {
  const good = outcome?.kind === "saved" || outcome?.kind === "deleted" || (outcome?.kind === "test" && outcome.result.ok);
  let bad: string | null = problem?.message ?? null;
  if (!bad && outcome?.kind === "error") bad = outcome.message;
  if (!bad && outcome?.kind === "test" && !outcome.result.ok) bad = testFailureText(outcome.result);
  return (
    <>
      <p role="status" className={good ? "message message-success" : "visually-hidden"}>
        {outcome?.kind === "saved" && "Connection saved. Test it to check that Budget Bridge can sign in."}
        {outcome?.kind === "deleted" && "Connection deleted, with its stored secrets."}
        {outcome?.kind === "test" && outcome.result.ok && testSuccessText(outcome.result)}
      </p>
      {bad && (
        <p className="message message-error" role="alert">
          {bad}
        </p>
      )}
    </>
  );
}

interface FieldsProps {
  form: ConnectionForm;
  saved: ErpConnection | null;
  problem: FieldProblem | null;
  onChange: (form: ConnectionForm) => void;
}

/** The ERP, where it is, and the fields the connection table lists for it. */
function ConnectionFields({ form, saved, problem, onChange: setForm }: FieldsProps) {
  const spec = erpSpec(form.erp_system);
  // A saved secret is only sent to the address it was saved for: another Base URL asks for it again.
  const moved = addressChanged(form, saved);
  return (
    <>
      <SelectField
        label="ERP System"
        field="erp_system"
        value={form.erp_system}
        problem={problem}
        onChange={(value) => setForm(switchErp(form, value, saved))}
      />
      {spec && !spec.callsErp ? (
        <p className="muted">
          Budget Bridge reads each job&apos;s budget from the export you upload with <strong>Upload Export</strong> on the
          job&apos;s row under Budgets, where you also map the export&apos;s columns once. There is no address or password
          to enter. Link a job under Projects to give it a budget.
        </p>
      ) : (
        <TextField
          spec={{ name: "base_url", label: "Base URL", optional: false, initial: "", multiline: false, choices: [] }}
          value={form.base_url}
          problem={problem}
          hint="The address of your ERP, for example https://yourcompany.acumatica.com"
          onChange={(value) => setForm({ ...form, base_url: value })}
        />
      )}
      {spec && spec.settings.length > 0 && (
        <fieldset className="field-group">
          <legend>{spec.name} settings</legend>
          {spec.settings.map((field) => {
            const change = (value: string) => setForm({ ...form, settings: { ...form.settings, [field.name]: value } });
            const value = form.settings[field.name] ?? "";
            return field.choices.length > 0 ? (
              <ChoiceField key={field.name} spec={field} value={value} problem={problem} onChange={change} />
            ) : (
              <TextField key={field.name} spec={field} value={value} problem={problem} onChange={change} />
            );
          })}
        </fieldset>
      )}
      {spec && spec.callsErp && (
        <fieldset className="field-group">
          <legend>{spec.name} sign-in secrets</legend>
          <p className="muted small">
            Secrets are stored in a secret store and never shown again. To change them, enter all of them anew.
          </p>
          {moved && (
            <p className="message message-warning small" role="note">
              The Base URL changed: enter the secrets again. Saved secrets are only sent to the Base URL they were saved for.
            </p>
          )}
          {spec.secrets.map((field) => (
            <TextField
              key={field.name}
              spec={field}
              secret
              isSet={!moved && secretIsSet(saved, form, field.name)}
              again={moved && secretIsSet(saved, form, field.name)}
              value={form.secrets[field.name] ?? ""}
              problem={problem}
              onChange={(value) => setForm({ ...form, secrets: { ...form.secrets, [field.name]: value } })}
            />
          ))}
        </fieldset>
      )}
    </>
  );
}

/** "Connection works." with the API's sentence, and the count of projects unless the sentence has it. */
export function testSuccessText(result: ConnectionTest): string {
  const count = result.projects_visible;
  const message = (result.message ?? "").trim();
  const visible =
    typeof count === "number" && !message.includes(String(count))
      ? ` ${count} ${count === 1 ? "project" : "projects"} visible.`
      : "";
  return `Connection works. ${message}${visible}`.replace(/\s+/g, " ").trim();
}

function testFailureText(result: ConnectionTest): string {
  return `Connection test failed: ${result.message}`;
}

function ConnectionState({ saved }: { saved: ErpConnection | null }) {
  if (!saved) {
    return (
      <p className="message message-warning">
        No ERP is connected yet. Choose your ERP, enter where it is and how Budget Bridge signs in, then save and test the
        connection.
      </p>
    );
  }
  return (
    <section className="card connection-state" aria-label="Saved connection">
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <span className={`badge badge-connection-${saved.status}`}>{STATUS_TEXT[saved.status] ?? saved.status}</span>
          </dd>
        </div>
        <div>
          <dt>Last tested</dt>
          <dd>{saved.last_tested_at ? formatTimestamp(saved.last_tested_at) : "Never"}</dd>
        </div>
        {saved.last_error && (
          <div>
            <dt>Last error</dt>
            <dd className="description">{saved.last_error}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}

interface SelectProps {
  label: string;
  field: string;
  value: string;
  problem: FieldProblem | null;
  onChange: (value: string) => void;
}

function SelectField({ label, field, value, problem, onChange }: SelectProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        data-field={field}
        value={value}
        aria-invalid={problem?.field === field ? true : undefined}
        onChange={(e) => onChange(e.target.value)}
      >
        {ERP_SPECS.map((spec) => (
          <option key={spec.id} value={spec.id}>
            {spec.name}
          </option>
        ))}
      </select>
    </div>
  );
}

interface ChoiceProps {
  spec: FieldSpec;
  value: string;
  problem: FieldProblem | null;
  onChange: (value: string) => void;
}

/** A setting that takes one of a few values: a list of them, labelled as words. */
function ChoiceField({ spec, value, problem, onChange }: ChoiceProps) {
  const id = useId();
  // A saved value the list does not know stays shown, so saving unchanged does not alter it.
  const choices = value && !spec.choices.includes(value) ? [...spec.choices, value] : spec.choices;
  return (
    <div className="field">
      <label htmlFor={id}>{spec.label}</label>
      <select
        id={id}
        data-field={spec.name}
        value={value || spec.initial}
        aria-invalid={problem?.field === spec.name ? true : undefined}
        onChange={(e) => onChange(e.target.value)}
      >
        {choices.map((choice) => (
          <option key={choice} value={choice}>
            {fieldLabel(choice)}
          </option>
        ))}
      </select>
    </div>
  );
}

interface TextProps {
  spec: FieldSpec;
  value: string;
  problem: FieldProblem | null;
  onChange: (value: string) => void;
  secret?: boolean;
  isSet?: boolean;
  /** A saved secret the form asks for again (the Base URL changed). */
  again?: boolean;
  hint?: string;
}

function secretNote(spec: FieldSpec, isSet: boolean, again: boolean): string {
  if (again) return spec.optional ? "Saved for the old Base URL. Enter it again to keep it." : "Saved for the old Base URL. Enter it again.";
  if (isSet) return "Set. Leave empty to keep it.";
  return spec.optional ? "Optional." : "Not set.";
}

function TextField({ spec, value, problem, onChange, secret = false, isSet = false, again = false, hint }: TextProps) {
  const id = useId();
  const hintId = useId();
  const note = secret ? secretNote(spec, isSet, again) : spec.optional ? "Optional." : hint;
  const common = {
    id,
    "data-field": spec.name,
    value,
    "aria-invalid": problem?.field === spec.name ? true : undefined,
    "aria-describedby": note ? hintId : undefined,
    autoComplete: "off",
    spellCheck: false,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{spec.label}</label>
      {spec.multiline ? (
        <textarea {...common} rows={4} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input
          {...common}
          type={secret && spec.name !== "username" && spec.name !== "client_id" ? "password" : "text"}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {note && (
        <span id={hintId} className={`hint${secret && isSet ? " hint-set" : ""}`}>
          {note}
        </span>
      )}
    </div>
  );
}
