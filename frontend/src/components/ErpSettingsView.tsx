// ERP Integrations -> Settings (ERP admins): the automatic re-import schedule and unknown cost codes.

import { useEffect, useId, useState, type FormEvent } from "react";
import { getErpSettings, putErpSettings } from "../api";
import { useApp } from "../context";
import type { ErpSettings } from "../types";
import { ActionButton } from "./ActionButton";
import { errorText } from "./messages";

export const MAX_EVERY_HOURS = 24 * 7;

/** The hours field as the API takes it, or the sentence that says what is wrong. */
export function parseEveryHours(text: string): number | string {
  const hours = Number(text.trim());
  if (!text.trim() || !Number.isInteger(hours) || hours < 1 || hours > MAX_EVERY_HOURS) {
    return `Every (hours) must be a whole number from 1 to ${MAX_EVERY_HOURS}.`;
  }
  return hours;
}

export function ErpSettingsView() {
  const { api, company } = useApp();
  const [enabled, setEnabled] = useState(false);
  const [hours, setHours] = useState("24");
  const [addUnknown, setAddUnknown] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const ids = { enabled: useId(), hours: useId(), unknown: useId(), hint: useId() };

  function show(settings: ErpSettings) {
    setEnabled(settings.auto_reimport.enabled);
    setHours(String(settings.auto_reimport.every_hours));
    setAddUnknown(Boolean(settings.add_unknown_cost_codes));
  }

  useEffect(() => {
    let cancelled = false;
    getErpSettings(api, company.company_id)
      .then((settings) => !cancelled && show(settings))
      .catch((caught: unknown) => !cancelled && setError(errorText(caught, "Could not load the settings.")))
      .finally(() => !cancelled && setLoaded(true));
    return () => {
      cancelled = true;
    };
  }, [api, company.company_id]);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setSaved(false);
    const every = parseEveryHours(hours);
    if (typeof every === "string") {
      setError(every);
      document.getElementById(ids.hours)?.focus();
      return;
    }
    setError(null);
    setBusy(true);
    try {
      const body = { auto_reimport: { enabled, every_hours: every }, add_unknown_cost_codes: addUnknown };
      show(await putErpSettings(api, company.company_id, body));
      setSaved(true);
    } catch (caught) {
      setError(errorText(caught, "The settings could not be saved."));
    } finally {
      setBusy(false);
    }
  }

  if (!loaded) return <p className="muted">Loading the settings…</p>;
  return (
    <div className="erp-settings">
      <div className="page-head">
        <div>
          <p className="eyebrow">ERP Integrations</p>
          <h1>Settings</h1>
        </div>
      </div>
      <p role="status" className={saved ? "message message-success" : "visually-hidden"}>
        {saved ? "Settings saved." : ""}
      </p>
      {error && (
        <p className="message message-error" role="alert">
          {error}
        </p>
      )}
      <form className="card form-card" onSubmit={save} noValidate aria-label="ERP settings">
        <div className="field field-check">
          <input id={ids.enabled} type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          <label htmlFor={ids.enabled}>Automatic Re-import</label>
        </div>
        <div className="field field-narrow">
          <label htmlFor={ids.hours}>Every (hours)</label>
          <input
            id={ids.hours}
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_EVERY_HOURS}
            step={1}
            value={hours}
            aria-describedby={ids.hint}
            onChange={(e) => setHours(e.target.value)}
          />
          <span id={ids.hint} className="hint">
            Synced, unlocked budgets are re-imported from the ERP this often while Automatic Re-import is on.
          </span>
        </div>
        <div className="field field-check">
          <input id={ids.unknown} type="checkbox" checked={addUnknown} onChange={(e) => setAddUnknown(e.target.checked)} />
          <label htmlFor={ids.unknown}>Add Unknown Cost Codes</label>
        </div>
        <p className="hint">
          When on, an import or re-import that meets a cost code or cost type your catalog lacks adds it to the catalog
          instead of failing.
        </p>
        <div className="actions">
          {/* aria-disabled while saving, not disabled: a disabled button would drop its focus to the page's body. */}
          <ActionButton type="submit" className="button button-primary" unavailable={busy}>
            Save Settings
          </ActionButton>
        </div>
      </form>
    </div>
  );
}
