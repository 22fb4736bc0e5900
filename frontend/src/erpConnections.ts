// Every ERP the Connection form knows: its settings and its secret fields, one table row per ERP.
//
// A row is `id: [product name, settings, secrets]`. Fields are comma-separated names; a trailing `?`
// marks an optional field, `=value` a value the form starts with and `=a|b|c` the only values it may
// take (the form offers them in a list and starts with the first). Adding an ERP, or a field, is one
// line here: the form, its labels and the request body all follow from this table.
//
// The spreadsheet import calls no ERP: no Base URL and no secrets. Its column mapping is saved from
// Upload Export on a budget's row (docs/erps/spreadsheet.md), not here.

const ERP_TABLE: Record<string, [name: string, settings: string, secrets: string]> = {
  acumatica: ["Acumatica", "company, endpoint_version=23.200.001", "username, password, client_id?, client_secret?"],
  myob: ["MYOB Advanced Construction", "company, endpoint_version=22.200.001", "username, password, client_id?, client_secret?"],
  intacct: ["Sage Intacct", "company_id?, sub_job_from?=none|child_project|task", "client_id, client_secret"],
  cmic: ["CMiC", "company_code", "username, password"],
  qbo: ["QuickBooks Online", "realm_id, budget_name?, default_cost_type, account_cost_codes?, class_cost_types?", "client_id, client_secret, refresh_token"],
  xero: ["Xero", "tenant_id, tracking_category, budget_id?, default_cost_type, account_cost_types?, account_cost_codes?", "client_id, client_secret, refresh_token"],
  netsuite: [
    "Oracle NetSuite",
    "account_id, certificate_id, default_cost_type?, account_cost_codes?, class_cost_types?",
    "client_id, private_key",
  ],
  workday: [
    "Workday",
    "tenant, owner, report, project_column=Project_ID, sub_job_column?=Project_Phase, cost_code_column=Cost_Code, cost_type_column=Cost_Type, amount_column=Budget_Amount",
    "username, password",
  ],
  yardi: ["Yardi Voyager", "server, database, platform, interface_entity", "username, password"],
  mri: ["MRI Platform X", "client_id, database, default_cost_type?", "username, password"],
  spreadsheet: ["Spreadsheet import", "", ""],
};

// ERPs without an address or a sign-in: their budgets come from files uploaded to Budget Bridge.
const NO_ERP_CALLS = new Set(["spreadsheet"]);

export interface FieldSpec {
  /** The field's name in the API's `settings` or `credentials` object. */
  name: string;
  /** The form's accessible name for it. */
  label: string;
  optional: boolean;
  initial: string;
  /** Keys and certificates span several lines. */
  multiline: boolean;
  /** The only values the field may take (the API refuses others); empty for free text. */
  choices: string[];
}

export interface ErpSpec {
  id: string;
  name: string;
  settings: FieldSpec[];
  secrets: FieldSpec[];
  /** False for the spreadsheet import: no Base URL, no secrets, nothing to sign in to. */
  callsErp: boolean;
}

// Words whose capitals a plain title-casing would get wrong.
const WORDS: Record<string, string> = { id: "ID", url: "URL", erp: "ERP" };
// The names people already know for the two commonest secrets.
const SECRET_LABELS: Record<string, string> = { username: "ERP Username", password: "ERP Password" };

export function fieldLabel(name: string): string {
  return name
    .split("_")
    .map((word) => WORDS[word] ?? word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}

function parseFields(text: string, secret: boolean): FieldSpec[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [head, value = ""] = part.split("=", 2);
      const optional = head.endsWith("?");
      const name = optional ? head.slice(0, -1) : head;
      const label = (secret && SECRET_LABELS[name]) || fieldLabel(name);
      const choices = value.includes("|") ? value.split("|") : [];
      const initial = choices[0] ?? value;
      return { name, label, optional, initial, multiline: name === "private_key", choices };
    });
}

export const ERP_SPECS: ErpSpec[] = Object.entries(ERP_TABLE).map(([id, [name, settings, secrets]]) => ({
  id,
  name,
  settings: parseFields(settings, false),
  secrets: parseFields(secrets, true),
  callsErp: !NO_ERP_CALLS.has(id),
}));

export function erpSpec(id: string): ErpSpec | undefined {
  return ERP_SPECS.find((spec) => spec.id === id.toLowerCase());
}
