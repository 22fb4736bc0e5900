// A failed job's line errors say whose lines they are: the ERP's, or the target's when Procore refused the write.
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Api } from "../api";
import { AppContext } from "../context";
import { jobOf } from "../test/fixtures";
import type { CompanyAccess, Job } from "../types";
import { JobLineErrors } from "./JobPanel";

const pilot: CompanyAccess = {
  company_id: "pilot",
  name: "Procore Pilot Co.",
  erp_permission: "admin",
  budget_permission: "admin",
  target: "procore",
  target_name: "Procore",
};

function failed(error_code: string | null): Job {
  const errors = [{ line: 1, field: "original_budget_amount", message: "The amount is not valid." }];
  return jobOf({ job_id: "j-1", budget_id: "b-1", kind: "reimport", status: "failed", error_code, errors });
}

function show(job: Job) {
  const api = new Api("", () => "token", () => undefined);
  render(
    <AppContext.Provider value={{ api, me: { email: "admin@pilot.test", companies: [pilot] }, company: pilot }}>
      <JobLineErrors companyId="pilot" job={job} errors={job.errors} />
    </AppContext.Provider>,
  );
}

describe("JobLineErrors", () => {
  it("captions the lines Procore refused as Procore's", () => {
    show(failed("target_rejected"));
    expect(screen.getByRole("table", { name: "Lines Procore refused" })).toBeTruthy();
  });

  it("captions bad ERP lines as the ERP's", () => {
    show(failed(null));
    expect(screen.getByRole("table", { name: "ERP lines that could not be accepted" })).toBeTruthy();
  });
});
