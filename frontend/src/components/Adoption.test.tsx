// A company setting itself up, against the fake adoption API: connection, projects, catalog, members,
// audit log, the new-password challenge, and who sees which page.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { adoptionRoutes, adoptionState, fakeFetch, type AdoptionState } from "../test/fakeApi";
import type { Permission } from "../types";
import { App } from "./App";
import { testSuccessText } from "./ConnectionView";

function me(erp: Permission, budget: Permission = erp) {
  return {
    email: "admin@fresh.test",
    companies: [{ company_id: "fresh", name: "Fresh Start Builders", erp_permission: erp, budget_permission: budget }],
  };
}

function start(hash: string, state: AdoptionState, erp: Permission = "admin", budget: Permission = erp) {
  sessionStorage.setItem("budgetBridge.token", "token-1");
  window.location.hash = hash;
  const fake = fakeFetch({
    "GET /me": () => ({ body: me(erp, budget) }),
    "GET /companies/fresh/erp/budgets": () => ({ body: { budgets: [], next_cursor: null } }),
    ...adoptionRoutes(state),
  });
  vi.stubGlobal("fetch", fake.fetchImpl);
  render(<App config={{ apiBase: "" }} />);
  return fake;
}

function type(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("Connection", () => {
  it("saves a wrong password, says the test failed, then works with the right one", async () => {
    const state = adoptionState();
    const fake = start("#/companies/fresh/erp/connection", state);
    await screen.findByRole("heading", { name: "Connection" });
    expect((screen.getByLabelText("ERP System") as HTMLSelectElement).value).toBe("acumatica");
    type("Base URL", "http://127.0.0.1:8001");
    type("Company", "Fresh");
    type("ERP Username", "admin");
    type("ERP Password", "wrong");
    fireEvent.click(screen.getByRole("button", { name: "Test Connection" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Connection test failed: The ERP refused the username or password.",
    );
    expect(state.connection?.status).toBe("failing");
    const put = fake.requests.find((r) => r.method === "PUT")!;
    expect(put.body).toEqual({
      erp_system: "acumatica",
      base_url: "http://127.0.0.1:8001",
      settings: { company: "Fresh", endpoint_version: "23.200.001" },
      credentials: { username: "admin", password: "wrong" },
    });
    // Once stored, the secrets leave the page: the fields are empty and say "Set".
    expect((screen.getByLabelText("ERP Password") as HTMLInputElement).value).toBe("");
    expect(screen.getAllByText("Set. Leave empty to keep it.")).toHaveLength(2);
    expect(document.body.textContent).not.toContain("wrong");

    type("ERP Username", "admin");
    type("ERP Password", "sandbox");
    fireEvent.click(screen.getByRole("button", { name: "Save Connection" }));
    await screen.findByText("Connection saved. Test it to check that Budget Bridge can sign in.");
    fireEvent.click(screen.getByRole("button", { name: "Test Connection" }));
    await waitFor(() =>
      expect(screen.getByRole("status").textContent).toBe("Connection works. Signed in to Acumatica. 2 projects visible."),
    );
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByText("Working")).toBeTruthy();
    // Nothing changed since the save, so the test did not save again.
    expect(fake.requests.filter((r) => r.method === "PUT")).toHaveLength(2);
  });

  it("says how many projects the ERP shows once, whether or not its sentence counts them", () => {
    expect(testSuccessText({ ok: true, code: null, message: "Connected: the ERP shows 2 projects.", projects_visible: 2 })).toBe(
      "Connection works. Connected: the ERP shows 2 projects.",
    );
    expect(testSuccessText({ ok: true, code: null, message: "Signed in.", projects_visible: 1 })).toBe("Connection works. Signed in. 1 project visible.");
  });

  it("shows a saved connection with its secrets as set and keeps them when only a setting changes", async () => {
    const state = adoptionState({
      connection: {
        erp_system: "acumatica",
        base_url: "https://fresh.acumatica.com",
        settings: { company: "Fresh", endpoint_version: "23.200.001" },
        credentials_set: true,
        credentials_fields: ["username", "password"],
        status: "ok",
        last_tested_at: "2026-11-26T10:45:00Z",
        last_error: null,
      },
      secrets: { username: "admin", password: "sandbox" },
    });
    const fake = start("#/companies/fresh/erp/connection", state);
    await screen.findByDisplayValue("https://fresh.acumatica.com");
    expect((screen.getByLabelText("ERP Username") as HTMLInputElement).value).toBe("");
    // With a connection stored, its admin can preview how it maps an ERP job.
    expect(screen.getByRole("region", { name: "Mapping preview" })).toBeTruthy();
    type("Company", "Fresh2");
    fireEvent.click(screen.getByRole("button", { name: "Save Connection" }));
    await screen.findByText(/Connection saved/);
    const put = fake.requests.find((r) => r.method === "PUT")!;
    expect(put.body).not.toHaveProperty("credentials");
    expect(state.secrets).toEqual({ username: "admin", password: "sandbox" });
  });

  it("shows each secret the API names as stored as set, an optional one too, and an unsaved one as not set", async () => {
    const state = adoptionState({
      connection: { ...connected(), credentials_fields: ["username", "password", "client_secret"] },
      secrets: { username: "admin", password: "sandbox", client_secret: "s3cret" },
    });
    start("#/companies/fresh/erp/connection", state);
    await screen.findByDisplayValue("http://127.0.0.1:8001");
    const note = (label: string) => {
      const input = screen.getByLabelText(label) as HTMLInputElement;
      expect(input.value).toBe("");
      return document.getElementById(input.getAttribute("aria-describedby") ?? "")?.textContent;
    };
    expect(note("ERP Username")).toBe("Set. Leave empty to keep it.");
    expect(note("ERP Password")).toBe("Set. Leave empty to keep it.");
    expect(note("Client Secret")).toBe("Set. Leave empty to keep it.");
    expect(note("Client ID")).toBe("Optional.");
    expect(document.body.textContent).not.toContain("s3cret");
  });

  it("deletes the connection after Please Confirm, and says why when a job is running", async () => {
    const state = adoptionState({ connection: connected(), secrets: { username: "admin", password: "sandbox" }, jobRunning: true });
    start("#/companies/fresh/erp/connection", state);
    fireEvent.click(await screen.findByRole("button", { name: "Delete Connection" }));
    fireEvent.click(within(screen.getByRole("dialog", { name: "Please Confirm" })).getByRole("button", { name: "OK" }));
    expect((await screen.findByRole("alert")).textContent).toBe("A job is running; delete the connection once it has finished.");
    expect(state.connection).not.toBeNull();

    state.jobRunning = false;
    fireEvent.click(screen.getByRole("button", { name: "Delete Connection" }));
    fireEvent.click(within(screen.getByRole("dialog", { name: "Please Confirm" })).getByRole("button", { name: "OK" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Connection deleted, with its stored secrets."));
    expect(state.connection).toBeNull();
    expect((screen.getByLabelText("Base URL") as HTMLInputElement).value).toBe("");
    expect(screen.queryByRole("button", { name: "Delete Connection" })).toBeNull();
  });

  it("offers each ERP's own fields and names the field a person forgot", async () => {
    start("#/companies/fresh/erp/connection", adoptionState());
    const system = (await screen.findByLabelText("ERP System")) as HTMLSelectElement;
    expect(screen.queryByRole("region", { name: "Mapping preview" })).toBeNull();
    fireEvent.change(system, { target: { value: "netsuite" } });
    expect(screen.getByLabelText("Class Cost Types")).toBeTruthy();
    expect(screen.getByLabelText("Account ID")).toBeTruthy();
    expect(screen.getByLabelText("Private Key").tagName).toBe("TEXTAREA");
    expect(screen.queryByLabelText("ERP Password")).toBeNull();
    type("Base URL", "https://1234.suitetalk.api.netsuite.com");
    fireEvent.click(screen.getByRole("button", { name: "Save Connection" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Enter the Account ID.");
    expect(screen.getByLabelText("Account ID").getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(screen.getByLabelText("Account ID"));
  });
});

describe("Connection to Sage Intacct", () => {
  it("offers where sub jobs come from as a list, starting with none, and sends the one chosen", async () => {
    const state = adoptionState();
    const fake = start("#/companies/fresh/erp/connection", state);
    fireEvent.change(await screen.findByLabelText("ERP System"), { target: { value: "intacct" } });
    const subJobFrom = screen.getByLabelText("Sub Job From") as HTMLSelectElement;
    expect(subJobFrom.tagName).toBe("SELECT");
    expect(within(subJobFrom).getAllByRole("option").map((o) => [o.getAttribute("value"), o.textContent])).toEqual([
      ["none", "None"],
      ["child_project", "Child Project"],
      ["task", "Task"],
    ]);
    expect(subJobFrom.value).toBe("none");
    fireEvent.change(subJobFrom, { target: { value: "child_project" } });
    type("Base URL", "https://api.intacct.com");
    type("Client ID", "c");
    type("Client Secret", "s");
    fireEvent.click(screen.getByRole("button", { name: "Save Connection" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("Connection saved"));
    const put = fake.requests.find((r) => r.method === "PUT");
    expect((put?.body as { settings: unknown }).settings).toEqual({ sub_job_from: "child_project" });
  });
});

describe("Connection to the spreadsheet import", () => {
  it("asks for no address or secret, saves and tests, and Projects then links a job by the ID typed", async () => {
    const state = adoptionState({ projects: [] });
    const fake = start("#/companies/fresh/erp/connection", state);
    const system = (await screen.findByLabelText("ERP System")) as HTMLSelectElement;
    expect(within(system).getByRole("option", { name: "Spreadsheet import" })).toBeTruthy();
    fireEvent.change(system, { target: { value: "spreadsheet" } });
    expect(screen.queryByLabelText("Base URL")).toBeNull();
    expect(screen.queryByLabelText("ERP Password")).toBeNull();
    expect(screen.getByText(/Upload Export/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Save Connection" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("Connection saved"));
    const put = fake.requests.find((r) => r.method === "PUT");
    expect(put?.body).toEqual({ erp_system: "spreadsheet", settings: {} });
    expect(state.connection?.erp_system).toBe("spreadsheet");

    window.location.hash = "#/companies/fresh/erp/projects";
    const form = await screen.findByRole("form", { name: "Link a job" });
    expect(await screen.findByText(/No budget export has been uploaded yet/)).toBeTruthy();
    fireEvent.change(within(form).getByLabelText("ERP Job ID"), { target: { value: " S-42 " } });
    fireEvent.change(within(form).getByLabelText("Project Name"), { target: { value: "Quay Library" } });
    fireEvent.click(within(form).getByRole("button", { name: "Link Job" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("S-42 is linked to the new project"));
    const link = fake.requests.find((r) => r.path.endsWith("/link"));
    expect([link?.path, link?.body]).toEqual(["/companies/fresh/erp/projects/S-42/link", { project_name: "Quay Library" }]);
    expect((within(form).getByLabelText("ERP Job ID") as HTMLInputElement).value).toBe("");
  });
});

describe("Projects", () => {
  it("links an ERP job to a new project and points to its budget under Ready to Import", async () => {
    const state = adoptionState({ connection: connected() });
    const fake = start("#/companies/fresh/erp/projects", state);
    const table = await screen.findByRole("table", { name: "ERP projects" });
    for (const name of ["ERP Job ID", "Name", "Linked Project"]) expect(within(table).getByRole("columnheader", { name })).toBeTruthy();
    const row = within(table).getByRole("rowheader", { name: "F-3001" }).closest("tr")!;
    fireEvent.click(within(row).getByRole("button", { name: "Link" }));
    await waitFor(() => expect(within(row).queryByRole("button", { name: "Link" })).toBeNull());
    expect(within(row).getByRole("link", { name: "Fresh Tower" }).getAttribute("href")).toBe("#/companies/fresh/projects/p-F-3001/budget");
    expect(screen.getByRole("status").textContent).toContain("F-3001 is linked to the new project Fresh Tower.");
    expect(within(screen.getByRole("status")).getByRole("link").getAttribute("href")).toBe(
      "#/companies/fresh/erp/budgets?filter=ready_to_import",
    );
    expect(fake.requests.find((r) => r.path.endsWith("/link"))?.path).toBe("/companies/fresh/erp/projects/F-3001/link");
  });

  it("names a linked project by the name it was given, not the ERP's", async () => {
    const state = adoptionState({ connection: connected() });
    state.projects[0] = { ...state.projects[0], project_id: "p-1", project_name: "Tower A" };
    start("#/companies/fresh/erp/projects", state);
    const table = await screen.findByRole("table", { name: "ERP projects" });
    const row = within(table).getByRole("rowheader", { name: "F-3001" }).closest("tr")!;
    expect(within(row).getByRole("link", { name: "Tower A" }).getAttribute("href")).toBe("#/companies/fresh/projects/p-1/budget");
    expect(within(row).getByText("Fresh Tower")).toBeTruthy(); // the ERP's name, in its own column
  });

  it("asks a Procore company's admin for the Procore project, keeps the dialog open on a refusal, then links", async () => {
    const state = adoptionState({ connection: connected(), target: "procore", procoreProjects: ["2001"] });
    const fake = start("#/companies/fresh/erp/projects", state);
    const table = await screen.findByRole("table", { name: "ERP projects" });
    await waitFor(() => expect(fake.requests.some((r) => r.path.endsWith("/target"))).toBe(true));
    const row = within(table).getByRole("rowheader", { name: "F-3001" }).closest("tr")!;
    fireEvent.click(within(row).getByRole("button", { name: "Link" }));

    const dialog = await screen.findByRole("dialog", { name: "Link F-3001 to a Procore Project" });
    const field = within(dialog).getByLabelText("Procore Project ID");
    await waitFor(() => expect(document.activeElement).toBe(field));
    expect((within(dialog).getByRole("button", { name: "OK" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(field, { target: { value: "999" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    expect((await within(dialog).findByRole("alert")).textContent).toBe("Procore does not answer for the project 999.");
    expect(state.projects[0].project_id).toBeNull();

    fireEvent.change(field, { target: { value: " 2001 " } });
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(screen.getByRole("status").textContent).toContain("F-3001 is linked to the new project Fresh Tower.");
    const links = fake.requests.filter((r) => r.path.endsWith("/link"));
    expect(links.map((r) => r.body)).toEqual([{ procore_project_id: "999" }, { procore_project_id: "2001" }]);
  });

  it("pages through the ERP's jobs and shows ERP text as text", async () => {
    const projects = Array.from({ length: 3 }, (_, i) => ({
      erp_job_id: `F-${i}`,
      name: `<b>Job ${i}</b>`,
      erp_status: "Active",
      project_id: null,
    }));
    start("#/companies/fresh/erp/projects", adoptionState({ connection: connected(), projects }), "standard");
    await screen.findByText("<b>Job 0</b>");
    expect(document.querySelector("b")).toBeNull();
    // Below ERP admin there is nothing to link with.
    expect(screen.queryByRole("columnheader", { name: "Action" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Link" })).toBeNull();
  });

  it("names an already linked project's link as the ERP names the job", async () => {
    const projects = [{ erp_job_id: "F-3001", name: "Fresh Tower", erp_status: "Active", project_id: "p-9" }];
    start("#/companies/fresh/erp/projects", adoptionState({ connection: connected(), projects }));
    const link = await screen.findByRole("link", { name: "Fresh Tower" });
    expect(link.getAttribute("href")).toBe("#/companies/fresh/projects/p-9/budget");
    expect(screen.queryByRole("button", { name: "Link" })).toBeNull();
  });

  it("pages with next_cursor", async () => {
    const projects = Array.from({ length: 60 }, (_, i) => ({ erp_job_id: `F-${i}`, name: `Job ${i}`, erp_status: "Active", project_id: null }));
    start("#/companies/fresh/erp/projects", adoptionState({ connection: connected(), projects }));
    await screen.findByText("Job 0");
    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByText("Job 55");
    expect(screen.queryByText("Job 0")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Previous page" }));
    await screen.findByText("Job 0");
  });
});

function connected() {
  return {
    erp_system: "acumatica",
    base_url: "http://127.0.0.1:8001",
    settings: { company: "Fresh", endpoint_version: "23.200.001" },
    credentials_set: true,
    credentials_fields: ["username", "password"],
    status: "ok" as const,
    last_tested_at: null,
    last_error: null,
  };
}

describe("Budgets without a connection", () => {
  it("points an ERP admin to Connection", async () => {
    start("#/companies/fresh/erp/budgets", adoptionState());
    const sentence = await screen.findByText(/No ERP is connected to this company yet/);
    expect(within(sentence).getByRole("link", { name: "Connect your ERP" }).getAttribute("href")).toBe("#/companies/fresh/erp/connection");
    // The subtab keeps its name to itself: a test or a screen reader asking for "Connection" finds one link.
    expect(screen.getAllByRole("link", { name: /Connection/ })).toHaveLength(1);
  });

  it("tells others that their admins connect it, without a link they cannot use", async () => {
    start("#/companies/fresh/erp/budgets", adoptionState(), "standard");
    await screen.findByText(/Your company's ERP admins connect it/);
    expect(screen.queryByRole("link", { name: "Connect your ERP" })).toBeNull();
  });

  it("says nothing once a connection exists", async () => {
    start("#/companies/fresh/erp/budgets", adoptionState({ connection: connected() }));
    await screen.findByRole("heading", { name: "Budgets" });
    await screen.findByText("No budgets ready to import");
    expect(screen.queryByText(/No ERP is connected/)).toBeNull();
  });
});

describe("navigation follows the permissions", () => {
  it("shows an ERP admin every subtab and Company Settings", async () => {
    start("#/companies/fresh/erp/budgets", adoptionState({ connection: connected() }));
    const sections = await screen.findByRole("navigation", { name: "ERP Integrations sections" });
    expect(within(sections).getAllByRole("link").map((a) => a.textContent)).toEqual(["Budgets", "Projects", "Settings", "Connection", "Budget Target"]);
    fireEvent.click(within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "Company Settings" }));
    const settings = await screen.findByRole("navigation", { name: "Company Settings sections" });
    expect(within(settings).getAllByRole("link").map((a) => a.textContent)).toEqual(["Members", "Cost Codes", "Audit Log"]);
  });

  it("shows no Budgets subtab to someone without ERP access, only why the list is closed", async () => {
    start("#/companies/fresh/erp/budgets", adoptionState({ connection: connected() }), "none", "standard");
    await screen.findByRole("heading", { name: "No access" });
    expect(screen.queryByRole("navigation", { name: "ERP Integrations sections" })).toBeNull();
    expect(screen.queryByRole("link", { name: "Budgets" })).toBeNull();
  });

  it("keeps Settings, Connection and Members from a standard user, even by address", async () => {
    start("#/companies/fresh/erp/connection", adoptionState({ connection: connected() }), "standard");
    await screen.findByRole("heading", { name: "No access" });
    const sections = screen.getByRole("navigation", { name: "ERP Integrations sections" });
    expect(within(sections).getAllByRole("link").map((a) => a.textContent)).toEqual(["Budgets", "Projects"]);
    fireEvent.click(within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "Company Settings" }));
    const settings = await screen.findByRole("navigation", { name: "Company Settings sections" });
    expect(within(settings).getAllByRole("link").map((a) => a.textContent)).toEqual(["Cost Codes"]);
  });
});

describe("ERP Settings", () => {
  it("saves the automatic re-import and Add Unknown Cost Codes", async () => {
    const state = adoptionState();
    start("#/companies/fresh/erp/settings", state);
    fireEvent.click(await screen.findByLabelText("Automatic Re-import"));
    type("Every (hours)", "6");
    fireEvent.click(screen.getByLabelText("Add Unknown Cost Codes"));
    fireEvent.click(screen.getByRole("button", { name: "Save Settings" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Settings saved."));
    expect(state.settings).toEqual({ auto_reimport: { enabled: true, every_hours: 6 }, add_unknown_cost_codes: true });
  });

  it("refuses hours out of range before asking the API", async () => {
    const fake = start("#/companies/fresh/erp/settings", adoptionState());
    await screen.findByLabelText("Every (hours)");
    type("Every (hours)", "0");
    fireEvent.click(screen.getByRole("button", { name: "Save Settings" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Every (hours) must be a whole number from 1 to 168.");
    expect(fake.requests.some((r) => r.method === "PUT")).toBe(false);
  });
});

describe("Members", () => {
  it("says that someone who already has an account joined, without an invitation", async () => {
    const state = { ...adoptionState(), accounts: ["known@else.test"] };
    start("#/companies/fresh/settings/members", state);
    await screen.findByRole("table", { name: "Members" });
    type("Email", "known@else.test");
    fireEvent.click(screen.getByRole("button", { name: "Send Invitation" }));
    await waitFor(() =>
      expect(screen.getByRole("status").textContent).toBe(
        "known@else.test already has an account and now belongs to this company; no invitation was needed.",
      ),
    );
    expect(await screen.findByRole("rowheader", { name: "known@else.test" })).toBeTruthy();
  });

  it("invites a person with the chosen permissions", async () => {
    const state = adoptionState();
    const fake = start("#/companies/fresh/settings/members", state);
    await screen.findByRole("table", { name: "Members" });
    fireEvent.click(screen.getByRole("button", { name: "Invite Member" }));
    expect(document.activeElement).toBe(screen.getByLabelText("Email"));
    type("Email", "pm@fresh.test");
    fireEvent.change(screen.getByLabelText("ERP Integrations Permission"), { target: { value: "standard" } });
    fireEvent.change(screen.getByLabelText("Budget Permission"), { target: { value: "standard" } });
    fireEvent.click(screen.getByRole("button", { name: "Send Invitation" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Invitation sent to pm@fresh.test."));
    expect(fake.requests.find((r) => r.method === "POST")?.body).toEqual({
      email: "pm@fresh.test",
      erp_permission: "standard",
      budget_permission: "standard",
    });
    const row = (await screen.findByRole("rowheader", { name: "pm@fresh.test" })).closest("tr")!;
    expect(within(row).getByText("Invited")).toBeTruthy();
  });

  it("changes a permission, and puts it back when the API refuses to demote the last admin", async () => {
    const state = adoptionState();
    state.members.push({ email: "pm@fresh.test", erp_permission: "standard", budget_permission: "standard", status: "active" });
    start("#/companies/fresh/settings/members", state);
    const pm = (await screen.findByLabelText("ERP Integrations access for pm@fresh.test")) as HTMLSelectElement;
    fireEvent.change(pm, { target: { value: "read_only" } });
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("pm@fresh.test now has Read Only permission for ERP Integrations."));
    expect(state.members[1].erp_permission).toBe("read_only");

    const admin = screen.getByLabelText("Budget access for admin@fresh.test") as HTMLSelectElement;
    fireEvent.change(admin, { target: { value: "standard" } });
    expect((await screen.findByRole("alert")).textContent).toBe("The company's last admin cannot be demoted.");
    expect(admin.value).toBe("admin");
  });

  it("offers a Budget admin only the Budget permission to give", async () => {
    const state = adoptionState();
    state.members.push({ email: "pm@fresh.test", erp_permission: "standard", budget_permission: "standard", status: "active" });
    const fake = start("#/companies/fresh/settings/members", state, "read_only", "admin");
    const rowErp = (await screen.findByLabelText("ERP Integrations access for pm@fresh.test")) as HTMLSelectElement;
    expect(rowErp.disabled).toBe(true);
    expect(rowErp.title).toBe("Only an ERP Integrations admin can give or change this permission.");
    // The reason is on the page (a tooltip alone reaches no keyboard or touch user) and describes the select.
    const reason = screen.getByText("Only an ERP Integrations admin can give or change a member's ERP Integrations access.");
    expect(rowErp.getAttribute("aria-describedby")).toBe(reason.id);
    expect(screen.queryByText(/Only a Budget admin/)).toBeNull();
    const rowBudget = screen.getByLabelText("Budget access for pm@fresh.test") as HTMLSelectElement;
    expect(rowBudget.disabled).toBe(false);
    expect(rowBudget.getAttribute("aria-describedby")).toBeNull();
    const inviteErp = screen.getByLabelText("ERP Integrations Permission") as HTMLSelectElement;
    expect(inviteErp.disabled).toBe(true);
    expect(inviteErp.getAttribute("aria-describedby")).toBe(reason.id);
    expect(inviteErp.value).toBe("none");
    type("Email", "sub@fresh.test");
    fireEvent.click(screen.getByRole("button", { name: "Send Invitation" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Invitation sent to sub@fresh.test."));
    expect(fake.requests.find((r) => r.method === "POST")?.body).toEqual({
      email: "sub@fresh.test",
      erp_permission: "none",
      budget_permission: "read_only",
    });
  });

  it("removes a member after Please Confirm", async () => {
    const state = adoptionState();
    state.members.push({ email: "pm@fresh.test", erp_permission: "standard", budget_permission: "standard", status: "active" });
    const fake = start("#/companies/fresh/settings/members", state);
    const row = (await screen.findByRole("rowheader", { name: "pm@fresh.test" })).closest("tr")!;
    fireEvent.click(within(row).getByRole("button", { name: "Remove" }));
    const dialog = screen.getByRole("dialog", { name: "Please Confirm" });
    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    await waitFor(() => expect(screen.queryByRole("rowheader", { name: "pm@fresh.test" })).toBeNull());
    expect(fake.requests.find((r) => r.method === "DELETE")?.path).toBe("/companies/fresh/members/pm%40fresh.test");
  });
});

describe("Cost Codes and Audit Log", () => {
  it("syncs the catalog from the ERP and lists what it holds", async () => {
    start("#/companies/fresh/settings/cost-codes", adoptionState({ connection: connected() }));
    await screen.findByRole("table", { name: /Cost codes/ });
    fireEvent.click(screen.getByRole("button", { name: "Sync from ERP" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Added 1 cost code and 2 cost types from the ERP."));
    expect(within(screen.getByRole("table", { name: /Cost types/ })).getByText("Material")).toBeTruthy();
  });

  it("adds a cost code and refuses to remove one that budget lines use, naming the lines", async () => {
    const state = adoptionState({
      catalog: { cost_codes: [{ code: "01-100", description: "General" }], cost_types: [] },
      usedCostCodes: ["01-100"],
    });
    start("#/companies/fresh/settings/cost-codes", state);
    await screen.findByRole("table", { name: /Cost codes/ });
    type("New Cost Code", "02-200");
    type("Cost Code Description", "Sitework");
    fireEvent.click(screen.getByRole("button", { name: "Add Cost Code" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Added cost code 02-200."));
    expect(state.catalog.cost_codes.map((c) => c.code)).toEqual(["01-100", "02-200"]);

    const row = screen.getByRole("rowheader", { name: "01-100" }).closest("tr")!;
    fireEvent.click(within(row).getByRole("button", { name: "Remove" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Budget lines still use a cost code you removed. Lines: 0001 / 01-100 / L.",
    );
    expect(screen.getByRole("rowheader", { name: "01-100" })).toBeTruthy();
  });

  it("offers no sync below ERP admin", async () => {
    start("#/companies/fresh/settings/cost-codes", adoptionState(), "read_only", "admin");
    await screen.findByRole("table", { name: /Cost codes/ });
    expect(screen.queryByRole("button", { name: "Sync from ERP" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Remove" })).toBeNull();
    expect(screen.queryByLabelText("New Cost Code")).toBeNull();
  });

  it("pages the audit log, details as text", async () => {
    const audit = Array.from({ length: 55 }, (_, i) => ({
      at: "2026-11-26T10:45:00Z",
      actor: "admin@fresh.test",
      action: "member_added",
      target: `person${i}@fresh.test`,
      details: { erp_permission: "standard", note: "<i>x</i>", changed: ["password", "username"], code: null },
    }));
    start("#/companies/fresh/settings/audit", adoptionState({ audit }));
    const table = await screen.findByRole("table", { name: "Audit log" });
    expect(within(table).getAllByText("Member added")).toHaveLength(50);
    expect(within(table).getAllByText("note: <i>x</i>")).toHaveLength(50);
    expect(within(table).getAllByText("changed: password, username")).toHaveLength(50);
    expect(within(table).getAllByText("code: none")).toHaveLength(50);
    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByText("person54@fresh.test");
  });
});

describe("signing in with a temporary password", () => {
  it("asks for a new password, announces a weak one, then signs in", async () => {
    window.location.hash = "#/companies/fresh/erp/budgets";
    let attempts = 0;
    const fake = fakeFetch({
      "POST /session": () => ({ body: { challenge: "new_password_required", session: "cognito-session-1" } }),
      "POST /session/new-password": () =>
        ++attempts === 1
          ? { status: 422, body: { error: { code: "weak_password", message: "The password must have at least 12 characters." } } }
          : { body: { token: "jwt-new", expires_in: 3600 } },
      "GET /me": () => ({ body: me("standard") }),
      ...adoptionRoutes(adoptionState({ connection: connected() })),
      "GET /companies/fresh/erp/budgets": () => ({ body: { budgets: [], next_cursor: null } }),
    });
    vi.stubGlobal("fetch", fake.fetchImpl);
    render(<App config={{ apiBase: "" }} />);
    type("Email", "pm@fresh.test");
    type("Password", "Temp-pass-1");
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const field = await screen.findByLabelText("New Password");
    expect(document.activeElement).toBe(field);
    type("New Password", "short");
    fireEvent.click(screen.getByRole("button", { name: "Set Password" }));
    expect((await screen.findByRole("alert")).textContent).toBe("The password must have at least 12 characters.");
    type("New Password", "Fresh-start-pass-2026");
    fireEvent.click(screen.getByRole("button", { name: "Set Password" }));
    await screen.findByRole("heading", { name: "Budgets" });
    expect(fake.requests.filter((r) => r.path === "/session/new-password").pop()?.body).toEqual({
      email: "pm@fresh.test",
      session: "cognito-session-1",
      new_password: "Fresh-start-pass-2026",
    });
    expect(sessionStorage.getItem("budgetBridge.token")).toBe("jwt-new");
  });
});
