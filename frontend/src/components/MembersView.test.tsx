// Members: where the focus goes once Please Confirm's OK has removed a member, and with it the row's
// Remove button that opened the dialog.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { adoptionRoutes, adoptionState, fakeFetch } from "../test/fakeApi";
import { App } from "./App";

const me = {
  email: "admin@fresh.test",
  companies: [{ company_id: "fresh", name: "Fresh Start Builders", erp_permission: "admin", budget_permission: "admin" }],
};

/** The Members page with one other member; `answer` is awaited before the API answers a DELETE. */
async function openMembers(answer: Promise<void> = Promise.resolve()) {
  const state = adoptionState();
  state.members.push({ email: "pm@fresh.test", erp_permission: "standard", budget_permission: "standard", status: "active" });
  sessionStorage.setItem("budgetBridge.token", "token-1");
  window.location.hash = "#/companies/fresh/settings/members";
  const fake = fakeFetch({ "GET /me": () => ({ body: me }), ...adoptionRoutes(state) });
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init: RequestInit = {}) => {
    if (init.method === "DELETE") await answer;
    return fake.fetchImpl(input, init);
  });
  render(<App config={{ apiBase: "" }} />);
  const row = (await screen.findByRole("rowheader", { name: "pm@fresh.test" })).closest("tr")!;
  const remove = within(row).getByRole("button", { name: "Remove" });
  remove.focus();
  fireEvent.click(remove);
  return { remove, dialog: screen.getByRole("dialog", { name: "Please Confirm" }) };
}

afterEach(() => vi.unstubAllGlobals());

describe("removing a member", () => {
  it("puts the focus on the members table, not the page's body, once the removed member's row is gone", async () => {
    const { dialog } = await openMembers();

    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));

    await waitFor(() => expect(screen.queryByRole("rowheader", { name: "pm@fresh.test" })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("table", { name: "Members" })));
  });

  it("moves the focus from the Remove button to the members table when the removal is answered after the dialog closed", async () => {
    let answer = () => {};
    const { remove, dialog } = await openMembers(new Promise<void>((resolve) => (answer = resolve)));

    fireEvent.click(within(dialog).getByRole("button", { name: "OK" }));
    await waitFor(() => expect(document.activeElement).toBe(remove));
    answer();

    await waitFor(() => expect(screen.queryByRole("rowheader", { name: "pm@fresh.test" })).toBeNull());
    expect(document.activeElement).toBe(screen.getByRole("table", { name: "Members" }));
    expect(screen.getByRole("status").textContent).toBe("pm@fresh.test was removed from Fresh Start Builders.");
  });
});
