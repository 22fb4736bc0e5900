// The job's progress bar: a known total fills it, a total of 0 ("not known yet", while the ERP is read) does not.
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { jobOf } from "../test/fixtures";
import type { Job } from "../types";
import { ProgressBar } from "./JobPanel";

function running(progress: Job["progress"]): Job {
  return jobOf({ job_id: "j-1", budget_id: "b-1", kind: "reimport", status: "in_progress", progress });
}

describe("ProgressBar", () => {
  it("is not full while the ERP's lines are still arriving with no known total", () => {
    render(<ProgressBar job={running({ phase: "fetching", done: 2000, total: 0 })} />);
    const bar = screen.getByRole("progressbar", { name: "Fetching from the ERP" });
    expect(bar.getAttribute("aria-valuenow")).toBeNull();
    expect(bar.getAttribute("aria-valuetext")).toBe("Fetching from the ERP: 2,000 lines so far");
    expect(screen.getByText("2,000 lines so far")).toBeTruthy();
  });

  it("counts the lines done against the total once it is known", () => {
    render(<ProgressBar job={running({ phase: "applying", done: 250, total: 1000 })} />);
    const bar = screen.getByRole("progressbar", { name: "Applying" });
    expect(bar.getAttribute("aria-valuenow")).toBe("250");
    expect(bar.getAttribute("aria-valuemax")).toBe("1000");
    expect(bar.getAttribute("aria-valuetext")).toBe("Applying: 250 of 1,000 lines");
  });
});
