import { describe, expect, it } from "vitest";
import { ERP_SPECS, erpSpec, fieldLabel } from "./erpConnections";

const names = (fields: { name: string; optional: boolean }[]) => fields.map((f) => f.name + (f.optional ? "?" : ""));

describe("the ERP connection table", () => {
  it("knows every connector's settings and secrets", () => {
    expect(ERP_SPECS.map((s) => s.id)).toEqual([
      "acumatica", "myob", "intacct", "cmic", "qbo", "xero", "netsuite", "workday", "yardi", "mri", "spreadsheet",
    ]);
    expect(names(erpSpec("acumatica")!.settings)).toEqual(["company", "endpoint_version"]);
    expect(names(erpSpec("acumatica")!.secrets)).toEqual(["username", "password", "client_id?", "client_secret?"]);
    expect(names(erpSpec("intacct")!.settings)).toEqual(["company_id?", "sub_job_from?"]);
    expect(names(erpSpec("netsuite")!.secrets)).toEqual(["client_id", "private_key"]);
    expect(names(erpSpec("xero")!.settings)).toEqual([
      "tenant_id", "tracking_category", "budget_id?", "default_cost_type", "account_cost_types?", "account_cost_codes?",
    ]);
    expect(names(erpSpec("qbo")!.settings)).toEqual([
      "realm_id", "budget_name?", "default_cost_type", "account_cost_codes?", "class_cost_types?",
    ]);
    expect(names(erpSpec("netsuite")!.settings)).toEqual([
      "account_id", "certificate_id", "default_cost_type?", "account_cost_codes?", "class_cost_types?",
    ]);
    expect(names(erpSpec("mri")!.settings)).toEqual(["client_id", "database", "default_cost_type?"]);
  });

  it("asks nothing of the spreadsheet import: no address, no settings, no secrets", () => {
    const sheet = erpSpec("spreadsheet")!;
    expect([sheet.name, sheet.settings, sheet.secrets, sheet.callsErp]).toEqual(["Spreadsheet import", [], [], false]);
    expect(ERP_SPECS.filter((s) => !s.callsErp).map((s) => s.id)).toEqual(["spreadsheet"]);
  });

  it("names the sign-in secrets as people know them and other fields in title case", () => {
    const acumatica = erpSpec("acumatica")!;
    expect(acumatica.secrets.map((f) => f.label)).toEqual(["ERP Username", "ERP Password", "Client ID", "Client Secret"]);
    expect(acumatica.settings.map((f) => f.label)).toEqual(["Company", "Endpoint Version"]);
    expect(fieldLabel("realm_id")).toBe("Realm ID");
    // A setting named like a secret keeps its plain label: MRI's client id is not a password.
    expect(erpSpec("mri")!.settings[0].label).toBe("Client ID");
  });

  it("starts fields with the documented defaults and marks keys as multi-line", () => {
    expect(erpSpec("acumatica")!.settings[1].initial).toBe("23.200.001");
    expect(erpSpec("myob")!.settings[1].initial).toBe("22.200.001");
    expect(erpSpec("netsuite")!.secrets[1].multiline).toBe(true);
    // Workday's report columns start with the connector's defaults (docs/erps/workday.md).
    const workday = Object.fromEntries(erpSpec("workday")!.settings.map((f) => [f.name, f.initial]));
    expect(workday).toMatchObject({
      project_column: "Project_ID", sub_job_column: "Project_Phase", cost_code_column: "Cost_Code",
      cost_type_column: "Cost_Type", amount_column: "Budget_Amount",
    });
  });

  it("offers a setting that takes one of a few values as a list, starting with the first", () => {
    const subJobFrom = erpSpec("intacct")!.settings[1];
    expect([subJobFrom.label, subJobFrom.choices, subJobFrom.initial]).toEqual([
      "Sub Job From",
      ["none", "child_project", "task"],
      "none",
    ]);
    expect(erpSpec("intacct")!.settings[0].choices).toEqual([]);
    expect(erpSpec("acumatica")!.settings[1].choices).toEqual([]);
  });

  it("gives no two fields of one ERP the same label", () => {
    for (const spec of ERP_SPECS) {
      const labels = [...spec.settings, ...spec.secrets].map((f) => f.label);
      expect(new Set(labels).size, spec.id).toBe(labels.length);
    }
  });
});
