// The Connection page when the Base URL changes: saved secrets are only sent to the address they were
// saved for (docs/adoption.md, "The ERP connection"), so the form asks for them again.
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { adoptionRoutes, adoptionState, fakeFetch, type AdoptionState, type Recorded } from "../test/fakeApi";
import { App } from "./App";

const CONNECTION = "PUT /companies/fresh/erp/connection";
const AGAIN =
  "Enter the credentials again (username, password): they are only sent to the address they were saved for, and this save changes the Base URL.";

const address = (url: string) => url.trim().replace(/\/+$/, "");

/** The adoption routes, with the API's rule: a save without credentials keeps them for the saved address only. */
function routes(state: AdoptionState) {
  const all = adoptionRoutes(state);
  const save = all[CONNECTION];
  all[CONNECTION] = (request: Recorded) => {
    const body = request.body as { base_url?: string; credentials?: Record<string, string> };
    const moved = state.connection !== null && address(body.base_url ?? "") !== address(state.connection.base_url);
    if (moved && !body.credentials) {
      return { status: 422, body: { error: { code: "invalid_connection", message: AGAIN, field: "credentials" } } };
    }
    return save(request);
  };
  return all;
}

function start(state: AdoptionState) {
  sessionStorage.setItem("budgetBridge.token", "token-1");
  window.location.hash = "#/companies/fresh/erp/connection";
  const fake = fakeFetch({
    "GET /me": () => ({
      body: {
        email: "admin@fresh.test",
        companies: [{ company_id: "fresh", name: "Fresh Start Builders", erp_permission: "admin", budget_permission: "admin" }],
      },
    }),
    "GET /companies/fresh/erp/budgets": () => ({ body: { budgets: [], next_cursor: null } }),
    ...routes(state),
  });
  vi.stubGlobal("fetch", fake.fetchImpl);
  render(<App config={{ apiBase: "" }} />);
  return fake;
}

function savedState(): AdoptionState {
  return adoptionState({
    connection: {
      erp_system: "acumatica",
      base_url: "https://fresh.acumatica.com",
      settings: { company: "Fresh", endpoint_version: "23.200.001" },
      credentials_set: true,
      credentials_fields: ["username", "password", "client_secret"],
      status: "ok",
      last_tested_at: "2026-11-26T10:45:00Z",
      last_error: null,
    },
    secrets: { username: "admin", password: "sandbox", client_secret: "s3cret" },
  });
}

function type(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

function note(label: string) {
  const input = screen.getByLabelText(label);
  return document.getElementById(input.getAttribute("aria-describedby") ?? "")?.textContent;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("Connection with a changed Base URL", () => {
  it("asks for the saved secrets again, shows the API's refusal on them, and saves once they are typed", async () => {
    const state = savedState();
    const fake = start(state);
    await screen.findByDisplayValue("https://fresh.acumatica.com");
    expect(note("ERP Password")).toBe("Set. Leave empty to keep it.");

    type("Base URL", "https://elsewhere.example.com");
    expect(screen.getByRole("note").textContent).toContain("enter the secrets again");
    expect(note("ERP Username")).toBe("Saved for the old Base URL. Enter it again.");
    expect(note("ERP Password")).toBe("Saved for the old Base URL. Enter it again.");
    expect(note("Client Secret")).toBe("Saved for the old Base URL. Enter it again to keep it.");

    fireEvent.click(screen.getByRole("button", { name: "Save Connection" }));
    expect((await screen.findByRole("alert")).textContent).toBe(AGAIN);
    expect(screen.getByLabelText("ERP Username").getAttribute("aria-invalid")).toBe("true");
    // The focus moves in an effect after the alert renders: wait for it rather than race it.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("ERP Username")));
    expect(state.connection?.base_url).toBe("https://fresh.acumatica.com");

    // One secret typed: the form itself asks for the others, saying why.
    type("ERP Password", "sandbox");
    fireEvent.click(screen.getByRole("button", { name: "Save Connection" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Enter the ERP Username again: saved secrets are only sent to the Base URL they were saved for.",
    );

    type("ERP Username", "admin");
    fireEvent.click(screen.getByRole("button", { name: "Save Connection" }));
    await screen.findByText(/Connection saved/);
    const puts = fake.requests.filter((r) => r.method === "PUT");
    expect(puts).toHaveLength(2);
    expect(puts[1].body).toMatchObject({
      base_url: "https://elsewhere.example.com",
      credentials: { username: "admin", password: "sandbox" },
    });
    expect(note("ERP Password")).toBe("Set. Leave empty to keep it.");
    expect(screen.queryByRole("note")).toBeNull();
  });

  it("keeps the saved secrets once the Base URL is put back as it was", async () => {
    const state = savedState();
    const fake = start(state);
    await screen.findByDisplayValue("https://fresh.acumatica.com");
    type("Base URL", "https://elsewhere.example.com");
    type("Base URL", "https://fresh.acumatica.com/");
    expect(note("ERP Password")).toBe("Set. Leave empty to keep it.");
    fireEvent.click(screen.getByRole("button", { name: "Save Connection" }));
    await screen.findByText(/Connection saved/);
    expect(fake.requests.find((r) => r.method === "PUT")!.body).not.toHaveProperty("credentials");
  });
});
