import { fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Api } from "../api";
import { AppContext } from "../context";
import { fakeFetch } from "../test/fakeApi";
import { MappingPreview } from "./MappingPreview";

const company = {
  company_id: "qbo",
  name: "QuickBooks Demo Remodelers",
  erp_permission: "admin",
  budget_permission: "admin",
  target: "budget_bridge",
  target_name: "Budget Bridge",
} as const;

function start(routes: Parameters<typeof fakeFetch>[0]) {
  const fake = fakeFetch(routes);
  vi.stubGlobal("fetch", fake.fetchImpl);
  const api = new Api("", () => "token", () => undefined);
  render(
    <AppContext.Provider value={{ api, me: { email: "admin@qbo.test", companies: [company] }, company }}>
      <MappingPreview />
    </AppContext.Provider>,
  );
  return fake;
}

afterEach(() => vi.unstubAllGlobals());

describe("MappingPreview", () => {
  it("shows the chosen job's mapped lines, revenue marked as left out, ERP text as text", async () => {
    const fake = start({
      "GET /companies/qbo/erp/mapping-preview": () => ({
        body: {
          erp_job_id: "Q-8001",
          erp_system: "qbo",
          total_lines: 27,
          lines: [
            { line: 1, sub_job: "", cost_code: "5100", cost_type: "L", kind: "cost", amount: "12345.67", description: "<b>Job Materials</b>" },
            { line: 2, sub_job: "", cost_code: "5100", cost_type: "", kind: "revenue", amount: "999.00", description: "Sales" },
          ],
        },
      }),
    });

    fireEvent.change(screen.getByLabelText("ERP job"), { target: { value: " Q-8001 " } });
    fireEvent.click(screen.getByRole("button", { name: "Preview mapping" }));

    const table = await screen.findByRole("table", { name: "Mapped lines" });
    expect(fake.requests[0].query.get("erp_job_id")).toBe("Q-8001");
    expect(screen.getByText(/The first 2 of 27 lines of Q-8001/)).toBeTruthy();
    const rows = within(table).getAllByRole("row");
    expect(within(rows[1]).getByText("12,345.67")).toBeTruthy();
    expect(within(rows[1]).getByText("<b>Job Materials</b>")).toBeTruthy();
    expect(within(rows[2]).getByText("Revenue (left out)")).toBeTruthy();
  });

  it("says why when the ERP refuses", async () => {
    start({
      "GET /companies/qbo/erp/mapping-preview": () => ({
        status: 502,
        body: { error: { code: "erp_rejected", message: "QuickBooks Online has no budget named 'FY1999'." } },
      }),
    });

    fireEvent.change(screen.getByLabelText("ERP job"), { target: { value: "Q-8001" } });
    fireEvent.click(screen.getByRole("button", { name: "Preview mapping" }));

    expect((await screen.findByRole("alert")).textContent).toContain("no budget named 'FY1999'");
  });
});
