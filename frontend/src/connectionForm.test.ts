import { describe, expect, it } from "vitest";
import { addressChanged, connectionBody, formFrom, isDirty, problemFromApi, secretIsSet, switchErp } from "./connectionForm";
import type { ErpConnection } from "./types";

const saved: ErpConnection = {
  erp_system: "acumatica",
  base_url: "http://127.0.0.1:8001",
  settings: { company: "Fresh", endpoint_version: "23.200.001" },
  credentials_set: true,
  credentials_fields: ["username", "password"],
  status: "failing",
  last_tested_at: null,
  last_error: null,
};

function filled() {
  const form = formFrom(null);
  return {
    ...form,
    base_url: " http://127.0.0.1:8001 ",
    settings: { ...form.settings, company: "Fresh" },
    secrets: { username: "admin", password: "sandbox" },
  };
}

describe("the connection request", () => {
  it("sends settings and the typed secrets for a new connection, leaving out empty optional fields", () => {
    expect(connectionBody(filled(), null)).toEqual({
      body: {
        erp_system: "acumatica",
        base_url: "http://127.0.0.1:8001",
        settings: { company: "Fresh", endpoint_version: "23.200.001" },
        credentials: { username: "admin", password: "sandbox" },
      },
    });
  });

  it("names the missing field a person must fill", () => {
    expect(connectionBody({ ...filled(), base_url: "" }, null)).toEqual({
      problem: { field: "base_url", message: "Enter the Base URL of your ERP." },
    });
    expect(connectionBody({ ...filled(), base_url: "acumatica" }, null)).toMatchObject({ problem: { field: "base_url" } });
    expect(connectionBody({ ...filled(), settings: { company: " ", endpoint_version: "23.200.001" } }, null)).toEqual({
      problem: { field: "company", message: "Enter the Company." },
    });
    expect(connectionBody({ ...filled(), secrets: { username: "admin" } }, null)).toEqual({
      problem: { field: "password", message: "Enter the ERP Password." },
    });
  });

  it("gives back the saved settings when the saved ERP is chosen again after another", () => {
    const away = switchErp(formFrom(saved), "mri", saved);
    expect(away.settings.company).toBeUndefined();
    const back = switchErp({ ...away, base_url: "https://typed.example.com" }, "acumatica", saved);
    expect(back.settings).toEqual({ company: "Fresh", endpoint_version: "23.200.001" });
    expect(back.base_url).toBe("https://typed.example.com");
  });

  it("sends the spreadsheet import without an address or secrets, keeping its saved column mapping", () => {
    const typed = { ...switchErp(filled(), "spreadsheet"), secrets: { password: "left over" } };
    expect(connectionBody(typed, null)).toEqual({ body: { erp_system: "spreadsheet", settings: {} } });
    const sheet: ErpConnection = {
      ...saved,
      erp_system: "spreadsheet",
      base_url: "",
      settings: { amount_column: "Budget Amount", exports_prefix: "fresh" },
      credentials_set: false,
      credentials_fields: [],
    };
    expect(connectionBody(formFrom(sheet), sheet)).toEqual({
      body: { erp_system: "spreadsheet", settings: { amount_column: "Budget Amount", exports_prefix: "fresh" } },
    });
    expect(isDirty(formFrom(sheet), sheet)).toBe(false);
  });

  it("keeps the stored secrets when none is typed, and never sends a secret it did not get", () => {
    const form = formFrom(saved);
    expect(form.secrets).toEqual({});
    const built = connectionBody(form, saved);
    expect(built).toEqual({ body: { erp_system: "acumatica", base_url: saved.base_url, settings: saved.settings } });
  });

  it("keeps the saved settings the form has no field for, and sends what the form shows as it says", () => {
    const cmic: ErpConnection = {
      ...saved,
      erp_system: "cmic",
      settings: { company_code: "BB", amount_attribute: "JcatBudgetAmt" },
    };
    expect(connectionBody({ ...formFrom(cmic), settings: { company_code: "BC" } }, cmic)).toEqual({
      body: { erp_system: "cmic", base_url: saved.base_url, settings: { company_code: "BC", amount_attribute: "JcatBudgetAmt" } },
    });
    // Another ERP's settings are not carried over.
    const form = { ...switchErp(formFrom(cmic), "mri"), settings: { client_id: "BBDEMO", database: "BBDEMO" } };
    const typed = { ...form, secrets: { username: "bbapi", password: "sandbox" } };
    expect(connectionBody(typed, cmic)).toEqual({
      body: {
        erp_system: "mri",
        base_url: saved.base_url,
        settings: { client_id: "BBDEMO", database: "BBDEMO" },
        credentials: { username: "bbapi", password: "sandbox" },
      },
    });
  });

  it("sends a cleared default as blank: Workday's report then has no sub jobs", () => {
    const form = switchErp(formFrom(null), "workday");
    expect(form.settings.sub_job_column).toBe("Project_Phase");
    const cleared = {
      ...form,
      base_url: "https://wd5-services1.myworkday.com",
      settings: { ...form.settings, tenant: "bb_demo", owner: "ISU_BudgetBridge", report: "Budget_Bridge_Budget", sub_job_column: " " },
      secrets: { username: "ISU_BudgetBridge", password: "sandbox" },
    };
    const built = connectionBody(cleared, null);
    expect("body" in built && built.body.settings).toMatchObject({ sub_job_column: "", project_column: "Project_ID" });
  });

  it("asks for every required secret again once one of them is changed", () => {
    const form = { ...formFrom(saved), secrets: { password: "sandbox" } };
    expect(connectionBody(form, saved)).toEqual({
      problem: { field: "username", message: "Enter the ERP Username again, with the other secrets." },
    });
  });

  it("asks for the secrets again when the Base URL changes: they only go to the address they were saved for", () => {
    const moved = { ...formFrom(saved), base_url: "https://elsewhere.example.com" };
    expect(addressChanged(moved, saved)).toBe(true);
    // Nothing typed: the API judges the new address first, then asks for the secrets (field "credentials").
    expect(connectionBody(moved, saved)).toEqual({
      body: { erp_system: "acumatica", base_url: "https://elsewhere.example.com", settings: saved.settings },
    });
    expect(problemFromApi(moved, "credentials", "Enter the credentials again.")).toEqual({
      field: "username",
      message: "Enter the credentials again.",
    });
    expect(problemFromApi(moved, "base_url", "No.")).toEqual({ field: "base_url", message: "No." });
    // Some typed: every saved one is asked for again, saying why.
    expect(connectionBody({ ...moved, secrets: { password: "sandbox" } }, saved)).toEqual({
      problem: {
        field: "username",
        message: "Enter the ERP Username again: saved secrets are only sent to the Base URL they were saved for.",
      },
    });
    const retyped = { ...moved, secrets: { username: "admin", password: "sandbox" } };
    expect(connectionBody(retyped, saved)).toEqual({
      body: {
        erp_system: "acumatica",
        base_url: "https://elsewhere.example.com",
        settings: saved.settings,
        credentials: { username: "admin", password: "sandbox" },
      },
    });
    // The same address with spaces or a trailing slash is not another one; another ERP starts afresh.
    expect(addressChanged({ ...formFrom(saved), base_url: ` ${saved.base_url}/ ` }, saved)).toBe(false);
    expect(addressChanged(switchErp(moved, "cmic"), saved)).toBe(false);
  });

  it("needs new secrets for another ERP, whose settings start afresh", () => {
    const form = switchErp(formFrom(saved), "qbo");
    expect(form.settings).toEqual({
      realm_id: "", budget_name: "", default_cost_type: "", account_cost_codes: "", class_cost_types: "",
    });
    expect(form.base_url).toBe(saved.base_url);
    expect(secretIsSet(saved, form, "client_id")).toBe(false);
    const filledQbo = { ...form, settings: { realm_id: "9130350000000001", budget_name: "", default_cost_type: "Other" } };
    expect(connectionBody(filledQbo, saved)).toEqual({ problem: { field: "client_id", message: "Enter the Client ID." } });
  });

  it("shows as set exactly the secrets the API names as stored, required or optional", () => {
    const withSecret: ErpConnection = { ...saved, credentials_fields: ["username", "password", "client_secret"] };
    const form = formFrom(withSecret);
    expect(["username", "password", "client_id", "client_secret"].map((name) => secretIsSet(withSecret, form, name))).toEqual([
      true, true, false, true,
    ]);
    // A required secret the store does not hold is not set, even with credentials_set.
    expect(secretIsSet({ ...saved, credentials_fields: ["username"] }, form, "password")).toBe(false);
    // Names unknown (the store could not be read just now): only the required ones are vouched for.
    const unknown: ErpConnection = { ...saved, credentials_fields: null };
    expect(["password", "client_secret"].map((name) => secretIsSet(unknown, form, name))).toEqual([true, false]);
  });

  it("knows when the form differs from what is saved", () => {
    expect(isDirty(formFrom(saved), saved)).toBe(false);
    expect(isDirty({ ...formFrom(saved), secrets: { password: "x" } }, saved)).toBe(true);
    expect(isDirty({ ...formFrom(saved), settings: { ...saved.settings, company: "Other" } }, saved)).toBe(true);
    expect(isDirty(formFrom(null), null)).toBe(true);
  });
});
