// The preview inside Please Confirm as a pure state machine: ask for a preview job, follow it, then
// either offer OK (apply exactly that preview) or say why not.
//
// requesting -> running -> ready | rejected
//            \-> refused (the preview request itself was refused, or the job could not be followed)

import { pollDelay } from "./backoff";
import type { Job, LineError } from "./types";
import { MAX_POLL_FAILURES } from "./reimportFlow";

export type PreviewState =
  | { phase: "requesting"; allowEmpty: boolean }
  | {
      phase: "running";
      allowEmpty: boolean;
      jobId: string;
      job: Job | null;
      attempt: number;
      delay: number;
      failures: number;
    }
  | { phase: "ready"; allowEmpty: boolean; job: Job }
  | {
      phase: "rejected";
      allowEmpty: boolean;
      job: Job;
      message: string;
      errors: LineError[];
      /** The ERP answered no cost lines for a budget that has some: the person may zero it on purpose. */
      emptyErp: boolean;
    }
  | { phase: "refused"; allowEmpty: boolean; code: string; message: string };

export type PreviewEvent =
  | { type: "start"; allowEmpty: boolean }
  | { type: "accepted"; jobId: string }
  | { type: "refused"; code: string; message: string }
  | { type: "jobUpdate"; job: Job }
  | { type: "pollFailed"; message: string };

export const EMPTY_ERP_CODE = "erp_budget_empty";

export function startPreview(allowEmpty = false): PreviewState {
  return { phase: "requesting", allowEmpty };
}

function running(state: { allowEmpty: boolean }, jobId: string, job: Job | null, attempt: number, failures: number): PreviewState {
  return { phase: "running", allowEmpty: state.allowEmpty, jobId, job, attempt, delay: pollDelay(attempt), failures };
}

function finished(allowEmpty: boolean, job: Job): PreviewState {
  const errors = job.errors ?? [];
  if (job.status === "succeeded" && errors.length === 0 && !job.error_code) return { phase: "ready", allowEmpty, job };
  const emptyErp = job.error_code === EMPTY_ERP_CODE && !allowEmpty;
  const fallback = errors.length > 0 ? "Some ERP lines cannot be accepted, so nothing can be applied." : "The preview failed.";
  return { phase: "rejected", allowEmpty, job, errors, emptyErp, message: job.message || fallback };
}

export function previewReducer(state: PreviewState, event: PreviewEvent): PreviewState {
  switch (event.type) {
    case "start":
      return startPreview(event.allowEmpty);
    case "accepted":
      return state.phase === "requesting" ? running(state, event.jobId, null, 0, 0) : state;
    case "refused":
      return state.phase === "requesting"
        ? { phase: "refused", allowEmpty: state.allowEmpty, code: event.code, message: event.message }
        : state;
    case "jobUpdate": {
      if (state.phase !== "running" || event.job.job_id !== state.jobId) return state;
      if (event.job.status === "succeeded" || event.job.status === "failed") return finished(state.allowEmpty, event.job);
      return running(state, state.jobId, event.job, state.attempt + 1, 0);
    }
    case "pollFailed": {
      if (state.phase !== "running") return state;
      const failures = state.failures + 1;
      if (failures >= MAX_POLL_FAILURES) {
        return {
          phase: "refused",
          allowEmpty: state.allowEmpty,
          code: "poll_failed",
          message: `Could not follow the preview: ${event.message}`,
        };
      }
      return running(state, state.jobId, state.job, state.attempt + 1, failures);
    }
  }
}

/** The body of the import / re-import request that applies this preview; null while OK must stay disabled. */
export function applyBody(state: PreviewState): { preview_job_id: string; allow_empty?: true } | null {
  if (state.phase !== "ready") return null;
  return state.allowEmpty ? { preview_job_id: state.job.job_id, allow_empty: true } : { preview_job_id: state.job.job_id };
}

/** The body of the preview request. */
export function previewBody(state: PreviewState): { allow_empty: true } | undefined {
  return state.allowEmpty ? { allow_empty: true } : undefined;
}
