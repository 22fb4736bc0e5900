// The import / re-import (or restore) flow as a pure state machine, so it can be tested alone.
//
// idle -> confirming -> submitting -> polling -> succeeded | failed
//                  \-> idle (Cancel/Esc)   \-> refused (409 and other refusals of the request)

import { pollDelay } from "./backoff";
import type { Job, JobRequestBody, LineError } from "./types";

export interface FlowTarget {
  budget_id: string;
  project_name: string;
  erp_system: string;
  kind: "import" | "reimport" | "restore";
}

/** What the request that starts the job carries, e.g. the preview it applies. */
export type RequestBody = JobRequestBody;

/** Polls that fail in a row (network, 5xx) before the flow gives up on following the job. */
export const MAX_POLL_FAILURES = 5;

export type FlowState =
  | { phase: "idle" }
  | { phase: "confirming"; target: FlowTarget }
  | { phase: "submitting"; target: FlowTarget; idempotencyKey: string; body?: RequestBody }
  | {
      phase: "polling";
      target: FlowTarget;
      jobId: string;
      job: Job | null;
      attempt: number;
      delay: number;
      failures: number;
    }
  | { phase: "succeeded"; target: FlowTarget; job: Job }
  | { phase: "failed"; target: FlowTarget; message: string; errors: LineError[]; job: Job | null }
  | { phase: "refused"; target: FlowTarget; code: string; message: string };

export type FlowEvent =
  | { type: "open"; target: FlowTarget }
  | { type: "cancel" }
  | { type: "confirm"; idempotencyKey: string; body?: RequestBody }
  | { type: "accepted"; jobId: string }
  | { type: "refused"; code: string; message: string }
  | { type: "jobUpdate"; job: Job }
  | { type: "pollFailed"; message: string }
  | { type: "dismiss" };

export const initialFlow: FlowState = { phase: "idle" };

export function isBusy(state: FlowState): boolean {
  return state.phase === "submitting" || state.phase === "polling";
}

function polling(target: FlowTarget, jobId: string, job: Job | null, attempt: number, failures: number): FlowState {
  return { phase: "polling", target, jobId, job, attempt, delay: pollDelay(attempt), failures };
}

export function flowReducer(state: FlowState, event: FlowEvent): FlowState {
  switch (event.type) {
    case "open":
      // A running job must finish (or be given up) before another one starts from this view.
      return isBusy(state) ? state : { phase: "confirming", target: event.target };
    case "cancel":
      return state.phase === "confirming" ? initialFlow : state;
    case "confirm":
      return state.phase === "confirming"
        ? { phase: "submitting", target: state.target, idempotencyKey: event.idempotencyKey, body: event.body }
        : state;
    case "accepted":
      return state.phase === "submitting" ? polling(state.target, event.jobId, null, 0, 0) : state;
    case "refused":
      return state.phase === "submitting"
        ? { phase: "refused", target: state.target, code: event.code, message: event.message }
        : state;
    case "jobUpdate": {
      if (state.phase !== "polling" || event.job.job_id !== state.jobId) return state;
      const job = event.job;
      if (job.status === "succeeded") return { phase: "succeeded", target: state.target, job };
      if (job.status === "failed") {
        return {
          phase: "failed",
          target: state.target,
          job,
          message: job.message || "The job failed.",
          errors: job.errors ?? [],
        };
      }
      return polling(state.target, state.jobId, job, state.attempt + 1, 0);
    }
    case "pollFailed": {
      if (state.phase !== "polling") return state;
      const failures = state.failures + 1;
      if (failures >= MAX_POLL_FAILURES) {
        return {
          phase: "failed",
          target: state.target,
          job: state.job,
          message: `Could not follow the job: ${event.message}`,
          errors: [],
        };
      }
      return polling(state.target, state.jobId, state.job, state.attempt + 1, failures);
    }
    case "dismiss":
      return isBusy(state) || state.phase === "confirming" ? state : initialFlow;
  }
}

const PHASE_LABELS: Record<string, string> = {
  fetching: "Fetching from the ERP",
  validating: "Validating",
  applying: "Applying",
};

/** The words shown and announced for a running job. */
export function progressLabel(job: Job | null): string {
  if (!job || job.status === "queued" || !job.progress) return "Queued";
  return PHASE_LABELS[job.progress.phase] ?? job.progress.phase;
}

/** Refusals and failures that a fresh preview resolves: the budget or the ERP moved since the last one. */
export const STALE_CODES = ["preview_stale", "preview_expired"];

export function needsNewPreview(state: FlowState): boolean {
  if (state.phase === "refused") return STALE_CODES.includes(state.code);
  if (state.phase === "failed") return !!state.job?.error_code && STALE_CODES.includes(state.job.error_code);
  return false;
}
