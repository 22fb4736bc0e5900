// The side effects of a job flow (reimportFlow's state machine): send the request once when OK is
// pressed, then follow the job with backoff. Shared by the Budgets list and the History tab.

import { useEffect, type Dispatch } from "react";
import { ApiError } from "../api";
import { useApp } from "../context";
import type { FlowEvent, FlowState, FlowTarget } from "../reimportFlow";
import type { Accepted, Job } from "../types";

/** `requestUrl` names the POST that starts the job for a target (its import, re-import or restore route). */
export function useJobFlow(flow: FlowState, dispatch: Dispatch<FlowEvent>, requestUrl: (target: FlowTarget) => string) {
  const { api, company } = useApp();
  const jobsBase = `/companies/${encodeURIComponent(company.company_id)}/erp/jobs`;

  // OK was pressed: send the request once, with this confirmation's idempotency key.
  const submitKey = flow.phase === "submitting" ? flow.idempotencyKey : null;
  useEffect(() => {
    if (flow.phase !== "submitting") return;
    const { target, idempotencyKey, body } = flow;
    api
      .request<Accepted>("POST", requestUrl(target), { headers: { "Idempotency-Key": idempotencyKey }, body })
      .then((accepted) => dispatch({ type: "accepted", jobId: accepted.job_id }))
      .catch((error: unknown) =>
        dispatch({
          type: "refused",
          code: error instanceof ApiError ? error.code : "error",
          message: error instanceof Error ? error.message : "The request was refused.",
        }),
      );
  }, [submitKey]);

  // Follow the job with backoff; the reducer decides the next delay.
  const pollKey = flow.phase === "polling" ? `${flow.jobId}:${flow.attempt}` : null;
  useEffect(() => {
    if (flow.phase !== "polling") return;
    const { jobId, delay } = flow;
    let cancelled = false;
    const timer = setTimeout(() => {
      api
        .get<Job>(`${jobsBase}/${encodeURIComponent(jobId)}`)
        .then((job) => !cancelled && dispatch({ type: "jobUpdate", job }))
        .catch((error: unknown) => {
          if (cancelled || (error instanceof ApiError && error.status === 401)) return;
          dispatch({ type: "pollFailed", message: error instanceof Error ? error.message : "unknown error" });
        });
    }, delay);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [pollKey]);
}
