// A page that shows "Not found" says so in the document's title too, not the title of the view its
// address names.
import { render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeFetch } from "../test/fakeApi";
import { App } from "./App";

function start(hash: string) {
  sessionStorage.setItem("budgetBridge.token", "token-1");
  window.location.hash = hash;
  const fake = fakeFetch({
    "GET /me": () => ({
      body: {
        email: "admin@demo.test",
        companies: [{ company_id: "demo", name: "Demo Construction Co.", erp_permission: "admin", budget_permission: "admin" }],
      },
    }),
    "GET /companies/demo/erp/budgets": () => ({ body: { budgets: [], next_cursor: null } }),
  });
  vi.stubGlobal("fetch", fake.fetchImpl);
  render(<App config={{ apiBase: "" }} />);
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the Not found page's title", () => {
  it("says Not found for a company the person does not belong to, not Budgets", async () => {
    start("#/companies/nope/erp/budgets");
    await screen.findByRole("heading", { name: "Not found" });
    await waitFor(() => expect(document.title).toBe("Not found · Budget Bridge"));
  });

  it("says Not found for an address the app does not know", async () => {
    start("#/companies/demo/erp/nowhere");
    await screen.findByRole("heading", { name: "Not found" });
    await waitFor(() => expect(document.title).toBe("Not found · Budget Bridge"));
  });

  it("keeps the view's title on a page that exists", async () => {
    start("#/companies/demo/erp/budgets");
    await screen.findByRole("heading", { name: "Budgets" });
    expect(document.title).toBe("Budgets · ERP Integrations · Budget Bridge");
  });
});
