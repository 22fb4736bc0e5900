import { describe, expect, it } from "vitest";
import { flowReducer, initialFlow, MAX_POLL_FAILURES, progressLabel, type FlowEvent, type FlowState } from "./reimportFlow";
import { jobOf } from "./test/fixtures";
import type { Job } from "./types";

const target = { budget_id: "b-1", project_name: "Harbor Office", erp_system: "Acumatica", kind: "reimport" as const };

function job(overrides: Partial<Job>): Job {
  return jobOf({ job_id: "j-1", budget_id: "b-1", kind: "reimport", status: "in_progress", ...overrides });
}

function run(...events: FlowEvent[]): FlowState {
  return events.reduce(flowReducer, initialFlow);
}

const toPolling: FlowEvent[] = [
  { type: "open", target },
  { type: "confirm", idempotencyKey: "k-1" },
  { type: "accepted", jobId: "j-1" },
];

describe("re-import flow", () => {
  it("asks for confirmation before anything is sent", () => {
    expect(run({ type: "open", target })).toEqual({ phase: "confirming", target });
  });

  it("goes back to idle when the person cancels", () => {
    expect(run({ type: "open", target }, { type: "cancel" })).toEqual(initialFlow);
  });

  it("carries the confirmation's idempotency key into the request", () => {
    const state = run({ type: "open", target }, { type: "confirm", idempotencyKey: "k-1" });
    expect(state).toMatchObject({ phase: "submitting", idempotencyKey: "k-1" });
  });

  it("polls the accepted job, first after 500 ms", () => {
    expect(run(...toPolling)).toMatchObject({ phase: "polling", jobId: "j-1", attempt: 0, delay: 500, job: null });
  });

  it("backs off while the job runs and shows its progress", () => {
    const running = job({ progress: { phase: "applying", done: 10, total: 40 } });
    const state = run(...toPolling, { type: "jobUpdate", job: running }, { type: "jobUpdate", job: running });
    expect(state).toMatchObject({ phase: "polling", attempt: 2, delay: 1125, job: running });
  });

  it("ends in success with the job's own message", () => {
    const done = job({ status: "succeeded", message: "Successfully Re-imported to Budget Bridge" });
    expect(run(...toPolling, { type: "jobUpdate", job: done })).toEqual({ phase: "succeeded", target, job: done });
  });

  it("ends in failure with the job's message and every failing line", () => {
    const errors = [{ line: 7, field: "CostCode", message: "Cost code 99-999 is unknown." }];
    const failed = job({ status: "failed", message: "2 lines of the ERP budget are invalid.", errors });
    expect(run(...toPolling, { type: "jobUpdate", job: failed })).toMatchObject({
      phase: "failed",
      message: "2 lines of the ERP budget are invalid.",
      errors,
    });
  });

  it("shows a refused request (409) with the API's message", () => {
    const state = run(
      { type: "open", target },
      { type: "confirm", idempotencyKey: "k-1" },
      { type: "refused", code: "budget_locked", message: "The budget is locked." },
    );
    expect(state).toMatchObject({ phase: "refused", code: "budget_locked", message: "The budget is locked." });
  });

  it("ignores answers about another job", () => {
    const other = job({ job_id: "j-2", status: "succeeded" });
    expect(run(...toPolling, { type: "jobUpdate", job: other })).toMatchObject({ phase: "polling", jobId: "j-1" });
  });

  it("keeps polling through a few failed polls, then gives up with a reason", () => {
    const one = run(...toPolling, { type: "pollFailed", message: "timeout" });
    expect(one).toMatchObject({ phase: "polling", failures: 1, attempt: 1 });
    const fails = Array.from({ length: MAX_POLL_FAILURES }, () => ({ type: "pollFailed", message: "timeout" }) as const);
    expect(run(...toPolling, ...fails)).toMatchObject({ phase: "failed", message: "Could not follow the job: timeout" });
  });

  it("does not start a second job while one runs, nor dismiss it", () => {
    const busy = run(...toPolling);
    expect(flowReducer(busy, { type: "open", target: { ...target, budget_id: "b-2" } })).toBe(busy);
    expect(flowReducer(busy, { type: "dismiss" })).toBe(busy);
  });

  it("can start again once the outcome is dismissed", () => {
    const done = run(...toPolling, { type: "jobUpdate", job: job({ status: "succeeded" }) }, { type: "dismiss" });
    expect(done).toEqual(initialFlow);
    expect(flowReducer(done, { type: "open", target })).toMatchObject({ phase: "confirming" });
  });
});

describe("progress label", () => {
  it("names each phase for people", () => {
    expect(progressLabel(job({ progress: { phase: "fetching", done: 0, total: 0 } }))).toBe("Fetching from the ERP");
    expect(progressLabel(job({ progress: { phase: "validating", done: 3, total: 9 } }))).toBe("Validating");
    expect(progressLabel(job({ progress: { phase: "applying", done: 3, total: 9 } }))).toBe("Applying");
    expect(progressLabel(null)).toBe("Queued");
    expect(progressLabel(job({ status: "queued" }))).toBe("Queued");
  });
});
