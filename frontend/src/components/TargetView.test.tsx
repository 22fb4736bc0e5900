// ERP Integrations -> Budget Target: an ERP admin chooses where budgets are kept (Budget Bridge or
// Procore) and enters Procore's client credentials, which are never shown back (docs/targets/procore.md).
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { adoptionRoutes, adoptionState, fakeFetch, type Answer, type Recorded } from "../test/fakeApi";
import type { Permission, TargetAnswer, TargetBody } from "../types";
import { App } from "./App";

const HASH = "#/companies/fresh/erp/target";
const PUT_TARGET = "PUT /companies/fresh/target";
const AGAIN =
  "Enter the client_id and client_secret again: they are only sent to the address they were saved for, and this save changes the base_url.";

interface Stored {
  target: TargetAnswer;
  secrets: { client_id: string; client_secret: string } | null;
  /** A refusal the next PUT answers instead of saving. */
  refuse?: Answer;
}

function procore(): Stored {
  return {
    target: {
      target: "procore",
      target_name: "Procore",
      base_url: "https://api.procore.com",
      procore_company_id: "1001",
      credentials_set: true,
    },
    secrets: { client_id: "pilot-client", client_secret: "pilot-secret" },
  };
}

function ownStore(): Stored {
  return {
    target: { target: "budget_bridge", target_name: "Budget Bridge", base_url: null, procore_company_id: null, credentials_set: false },
    secrets: null,
  };
}

function invalid(message: string): Answer {
  return { status: 422, body: { error: { code: "invalid_target", message } } };
}

/** GET and PUT /target over `stored`, with the API's rules for kept credentials (services/targets.py). */
function targetRoutes(stored: Stored) {
  return {
    "GET /companies/fresh/target": () => ({ body: stored.target }),
    [PUT_TARGET]: (request: Recorded): Answer => {
      if (stored.refuse) return stored.refuse;
      const body = request.body as TargetBody;
      if (body.target === "budget_bridge") {
        stored.secrets = null;
        stored.target = ownStore().target;
        return { body: stored.target };
      }
      const baseUrl = (body.base_url ?? "").trim().replace(/\/+$/, "");
      if (!body.credentials && stored.secrets && stored.target.base_url !== baseUrl) return invalid(AGAIN);
      if (body.credentials) stored.secrets = { ...body.credentials };
      if (!stored.secrets) return invalid("credentials are required: the client_id and client_secret of Procore's service account.");
      stored.target = {
        target: "procore",
        target_name: "Procore",
        base_url: baseUrl,
        procore_company_id: body.procore_company_id ?? null,
        credentials_set: true,
      };
      return { body: stored.target };
    },
  };
}

function start(stored: Stored, erp: Permission = "admin", hash = HASH) {
  sessionStorage.setItem("budgetBridge.token", "token-1");
  window.location.hash = hash;
  const fake = fakeFetch({
    "GET /me": () => ({
      body: {
        email: "admin@fresh.test",
        companies: [{ company_id: "fresh", name: "Fresh Start Builders", erp_permission: erp, budget_permission: erp }],
      },
    }),
    "GET /companies/fresh/erp/budgets": () => ({ body: { budgets: [], next_cursor: null } }),
    ...adoptionRoutes(adoptionState()),
    ...targetRoutes(stored),
  });
  vi.stubGlobal("fetch", fake.fetchImpl);
  render(<App config={{ apiBase: "" }} />);
  return fake;
}

function type(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

function note(label: string) {
  const input = screen.getByLabelText(label);
  return document.getElementById(input.getAttribute("aria-describedby") ?? "")?.textContent;
}

const puts = (fake: ReturnType<typeof fakeFetch>) => fake.requests.filter((r) => r.method === "PUT");

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("Budget Target", () => {
  it("loads the saved Procore target, its client credentials shown as set and never their values", async () => {
    start(procore());
    await screen.findByRole("heading", { name: "Budget Target" });
    expect(document.title).toBe("Budget Target · ERP Integrations · Budget Bridge");
    expect((screen.getByRole("radio", { name: "Procore" }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText("Base URL") as HTMLInputElement).value).toBe("https://api.procore.com");
    expect((screen.getByLabelText("Procore Company ID") as HTMLInputElement).value).toBe("1001");
    expect((screen.getByLabelText("Client ID") as HTMLInputElement).value).toBe("");
    expect((screen.getByLabelText("Client Secret") as HTMLInputElement).value).toBe("");
    expect(screen.getByLabelText("Client Secret").getAttribute("type")).toBe("password");
    expect(note("Client ID")).toBe("Set. Leave empty to keep it.");
    expect(note("Client Secret")).toBe("Set. Leave empty to keep it.");
    expect(document.body.textContent).not.toContain("pilot-secret");
  });

  it("switches a company on Budget Bridge to Procore and sends the address, company and client credentials", async () => {
    const stored = ownStore();
    const fake = start(stored);
    await screen.findByRole("heading", { name: "Budget Target" });
    expect((screen.getByRole("radio", { name: "Budget Bridge" }) as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByLabelText("Base URL")).toBeNull();

    fireEvent.click(screen.getByRole("radio", { name: "Procore" }));
    expect(note("Client Secret")).toBe("Not set.");
    type("Base URL", " https://api.procore.com/ ");
    type("Procore Company ID", "1001");
    type("Client ID", "pilot-client");
    type("Client Secret", "pilot-secret");
    fireEvent.click(screen.getByRole("button", { name: "Save Target" }));

    expect((await screen.findByText(/Budget target saved/)).textContent).toBe("Budget target saved: budgets are kept in Procore.");
    expect(puts(fake).map((r) => r.body)).toEqual([
      {
        target: "procore",
        base_url: "https://api.procore.com/",
        procore_company_id: "1001",
        credentials: { client_id: "pilot-client", client_secret: "pilot-secret" },
      },
    ]);
    expect(stored.target.target).toBe("procore");
    // The secrets leave the page once stored.
    expect((screen.getByLabelText("Client Secret") as HTMLInputElement).value).toBe("");
    expect(note("Client Secret")).toBe("Set. Leave empty to keep it.");
    // What /me says of the company (its target's name) is read again.
    await waitFor(() => expect(fake.requests.filter((r) => r.path === "/me")).toHaveLength(2));
  });

  it("does not send a saved secret left empty, so the API keeps it", async () => {
    const stored = procore();
    const fake = start(stored);
    await screen.findByDisplayValue("1001");
    type("Procore Company ID", "1002");
    fireEvent.click(screen.getByRole("button", { name: "Save Target" }));
    await screen.findByText(/Budget target saved/);
    const [put] = puts(fake);
    expect(put.body).toEqual({ target: "procore", base_url: "https://api.procore.com", procore_company_id: "1002" });
    expect(put.body).not.toHaveProperty("credentials");
    expect(stored.secrets).toEqual({ client_id: "pilot-client", client_secret: "pilot-secret" });
  });

  it("asks for the client credentials again when the Base URL changes, on the field, before asking the API", async () => {
    const fake = start(procore());
    await screen.findByDisplayValue("https://api.procore.com");
    type("Base URL", "https://sandbox.procore.com");
    expect(screen.getByRole("note").textContent).toContain("enter the Client ID and Client Secret again");
    expect(note("Client Secret")).toBe("Saved for the old Base URL. Enter it again.");
    fireEvent.click(screen.getByRole("button", { name: "Save Target" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Enter the Client ID and Client Secret again: saved ones are only sent to the Base URL they were saved for.",
    );
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Client ID")));
    expect(screen.getByLabelText("Client ID").getAttribute("aria-invalid")).toBe("true");
    expect(puts(fake)).toHaveLength(0);

    type("Client ID", "sandbox-client");
    fireEvent.click(screen.getByRole("button", { name: "Save Target" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Enter the Client Secret too: the Client ID and Client Secret are saved together.",
    );
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Client Secret")));
    expect(puts(fake)).toHaveLength(0);
  });

  it("shows the API's 422 sentence in an alert and takes the person to the field it names", async () => {
    const stored = procore();
    const refusal =
      "base_url: The base URL's host localhost resolves to 127.0.0.1, which is not a public address.";
    stored.refuse = invalid(refusal);
    const fake = start(stored);
    await screen.findByDisplayValue("https://api.procore.com");
    type("Base URL", "https://localhost:8852/procore");
    type("Client ID", "pilot-client");
    type("Client Secret", "pilot-secret");
    fireEvent.click(screen.getByRole("button", { name: "Save Target" }));
    expect((await screen.findByRole("alert")).textContent).toBe(refusal);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Base URL")));
    expect(screen.getByLabelText("Base URL").getAttribute("aria-invalid")).toBe("true");
    expect(puts(fake)).toHaveLength(1);
    expect(screen.getByRole("status").textContent).toBe("");
    // What was typed stays, to be corrected.
    expect((screen.getByLabelText("Client Secret") as HTMLInputElement).value).toBe("pilot-secret");
    expect(stored.target.base_url).toBe("https://api.procore.com");
  });

  it("keeps Save Target focusable while saving and ignores pressing it again", async () => {
    const stored = procore();
    const fake = fakeFetch({
      "GET /me": () => ({
        body: {
          email: "admin@fresh.test",
          companies: [{ company_id: "fresh", name: "Fresh Start Builders", erp_permission: "admin", budget_permission: "admin" }],
        },
      }),
      ...targetRoutes(stored),
    });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init: RequestInit = {}) => {
      if (init.method === "PUT") await held;
      return fake.fetchImpl(input, init);
    });
    sessionStorage.setItem("budgetBridge.token", "token-1");
    window.location.hash = HASH;
    render(<App config={{ apiBase: "" }} />);
    await screen.findByDisplayValue("1001");

    const save = screen.getByRole("button", { name: "Save Target" });
    save.focus();
    fireEvent.click(save);
    await waitFor(() => expect(save.getAttribute("aria-disabled")).toBe("true"));
    expect((save as HTMLButtonElement).disabled).toBe(false);
    expect(document.activeElement).toBe(save);
    fireEvent.click(save);
    release();
    await screen.findByText(/Budget target saved/);
    expect(save.getAttribute("aria-disabled")).toBeNull();
    expect(document.activeElement).toBe(save);
    expect(puts(fake)).toHaveLength(1);
  });

  it("goes back to Budget Bridge's own store with the target alone, saying the Procore settings are forgotten", async () => {
    const stored = procore();
    const fake = start(stored);
    await screen.findByDisplayValue("1001");
    fireEvent.click(screen.getByRole("radio", { name: "Budget Bridge" }));
    expect(screen.getByRole("note").textContent).toContain("forgets the Procore address and client credentials");
    expect(screen.queryByLabelText("Client Secret")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Save Target" }));
    expect((await screen.findByText(/Budget target saved/)).textContent).toBe(
      "Budget target saved: budgets are kept in Budget Bridge.",
    );
    expect(puts(fake).map((r) => r.body)).toEqual([{ target: "budget_bridge" }]);
    expect(stored.secrets).toBeNull();
  });
});

describe("Budget Target and permissions", () => {
  it("is a subtab of ERP Integrations for an ERP admin", async () => {
    start(ownStore(), "admin", "#/companies/fresh/erp/budgets");
    const sections = await screen.findByRole("navigation", { name: "ERP Integrations sections" });
    const link = within(sections).getByRole("link", { name: "Budget Target" });
    expect(link.getAttribute("href")).toBe(HASH);
    fireEvent.click(link);
    window.location.hash = HASH;
    await screen.findByRole("heading", { name: "Budget Target" });
    expect(within(sections).getByRole("link", { name: "Budget Target" }).getAttribute("aria-current")).toBe("page");
  });

  it.each<Permission>(["standard", "read_only"])("is neither offered to an ERP %s user nor opened by its address", async (erp) => {
    const fake = start(procore(), erp);
    await screen.findByRole("heading", { name: "No access" });
    const sections = screen.getByRole("navigation", { name: "ERP Integrations sections" });
    expect(within(sections).queryByRole("link", { name: "Budget Target" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Save Target" })).toBeNull();
    expect(fake.requests.some((r) => r.path === "/companies/fresh/target")).toBe(false);
  });
});
