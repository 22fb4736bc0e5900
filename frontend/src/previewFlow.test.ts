import { describe, expect, it } from "vitest";
import { applyBody, previewBody, previewReducer, startPreview, type PreviewEvent, type PreviewState } from "./previewFlow";
import { MAX_POLL_FAILURES, needsNewPreview, type FlowState } from "./reimportFlow";
import { jobOf } from "./test/fixtures";
import type { Job } from "./types";

function job(overrides: Partial<Job>): Job {
  return jobOf({ job_id: "p-1", budget_id: "b-1", kind: "preview", status: "in_progress", ...overrides });
}

function run(start: PreviewState, ...events: PreviewEvent[]): PreviewState {
  return events.reduce(previewReducer, start);
}

const totals = { current_erp_total: "1500.00", current_total: "1250.00", new_total: "1500.00" };
const accepted: PreviewEvent = { type: "accepted", jobId: "p-1" };

describe("preview in Please Confirm", () => {
  it("offers no OK until the preview has finished", () => {
    expect(applyBody(startPreview())).toBeNull();
    const state = run(startPreview(), accepted, { type: "jobUpdate", job: job({ progress: { phase: "fetching", done: 0, total: 0 } }) });
    expect(state).toMatchObject({ phase: "running", attempt: 1 });
    expect(applyBody(state)).toBeNull();
  });

  it("applies exactly the preview it showed", () => {
    const state = run(startPreview(), accepted, { type: "jobUpdate", job: job({ status: "succeeded", totals }) });
    expect(state.phase).toBe("ready");
    expect(applyBody(state)).toEqual({ preview_job_id: "p-1" });
  });

  it("ignores answers about another job", () => {
    const state = run(startPreview(), accepted, { type: "jobUpdate", job: job({ job_id: "p-0", status: "succeeded" }) });
    expect(state.phase).toBe("running");
  });

  it("keeps OK disabled when the ERP has bad lines, and lists them", () => {
    const errors = [{ line: 6, field: "OriginalBudgetedAmount", message: "abc is not a number" }];
    const state = run(startPreview(), accepted, { type: "jobUpdate", job: job({ status: "failed", errors, message: "" }) });
    expect(state).toMatchObject({ phase: "rejected", errors, emptyErp: false });
    expect(applyBody(state)).toBeNull();
  });

  it("keeps OK disabled when a preview that succeeded still reports bad lines", () => {
    const errors = [{ line: 2, field: "CostCode", message: "unknown" }];
    expect(applyBody(run(startPreview(), accepted, { type: "jobUpdate", job: job({ status: "succeeded", errors }) }))).toBeNull();
  });

  it("asks before zeroing a budget the ERP answered empty, then applies with allow_empty", () => {
    const empty = job({ status: "failed", error_code: "erp_budget_empty", message: "The ERP has no cost lines." });
    const asked = run(startPreview(), accepted, { type: "jobUpdate", job: empty });
    expect(asked).toMatchObject({ phase: "rejected", emptyErp: true, message: "The ERP has no cost lines." });

    const again = run(asked, { type: "start", allowEmpty: true });
    expect(previewBody(again)).toEqual({ allow_empty: true });
    const ready = run(again, { type: "accepted", jobId: "p-2" }, { type: "jobUpdate", job: job({ job_id: "p-2", status: "succeeded", totals }) });
    expect(applyBody(ready)).toEqual({ preview_job_id: "p-2", allow_empty: true });
  });

  it("sends no body for an ordinary preview", () => {
    expect(previewBody(startPreview())).toBeUndefined();
  });

  it("reports a refused preview request", () => {
    const state = run(startPreview(), { type: "refused", code: "budget_locked", message: "The budget is locked." });
    expect(state).toEqual({ phase: "refused", allowEmpty: false, code: "budget_locked", message: "The budget is locked." });
  });

  it("gives up following the preview after repeated failures", () => {
    const failures = Array.from({ length: MAX_POLL_FAILURES }, () => ({ type: "pollFailed", message: "offline" }) as PreviewEvent);
    expect(run(startPreview(), accepted, ...failures)).toMatchObject({ phase: "refused", message: "Could not follow the preview: offline" });
  });
});

describe("a stale preview", () => {
  const target = { budget_id: "b-1", project_name: "Harbor Office", erp_system: "Acumatica", kind: "reimport" as const };

  it("is offered again after a 409 preview_stale or preview_expired", () => {
    for (const code of ["preview_stale", "preview_expired"]) {
      expect(needsNewPreview({ phase: "refused", target, code, message: "" })).toBe(true);
    }
    expect(needsNewPreview({ phase: "refused", target, code: "budget_locked", message: "" })).toBe(false);
  });

  it("is offered again when the apply job failed because the ERP moved", () => {
    const failed: FlowState = {
      phase: "failed",
      target,
      message: "The ERP changed since the preview.",
      errors: [],
      job: job({ kind: "reimport", status: "failed", error_code: "preview_stale" }),
    };
    expect(needsNewPreview(failed)).toBe(true);
    expect(needsNewPreview({ ...failed, job: null })).toBe(false);
  });
});
