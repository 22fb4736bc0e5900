// The side effects of a job flow (reimportFlow's state machine): send the request once when OK is
// pressed, then follow the job with backoff. Shared by the Budgets list and the History tab.

import { useEffect, useEffectEvent, type Dispatch } from "react";
import { ApiError, type Api } from "../api";
import { useApp } from "../context";
import type { FlowEvent, FlowState, FlowTarget, RequestBody } from "../reimportFlow";
import type { Accepted } from "../types";
import { usePollJob } from "./usePollJob";

/** Starts the job for a target: one of api.ts's request functions (import, re-import or restore). */
export type JobRequest = (
  api: Api,
  target: FlowTarget,
  idempotencyKey: string,
  body: RequestBody | undefined,
) => Promise<Accepted>;

export function useJobFlow(flow: FlowState, dispatch: Dispatch<FlowEvent>, request: JobRequest) {
  const { api, company } = useApp();

  // What the effects do, with the latest values: the caller's request (and possibly its dispatch)
  // is a new function each render, and the request must go once per OK, not once per render.
  const report = useEffectEvent((event: FlowEvent) => dispatch(event));
  const send = useEffectEvent((target: FlowTarget, idempotencyKey: string, body: RequestBody | undefined) =>
    request(api, target, idempotencyKey, body),
  );

  // OK was pressed: send the request once, with this confirmation's idempotency key. The state object
  // stays the same while the request is out, so the effect runs once per submission.
  const submitting = flow.phase === "submitting" ? flow : null;
  useEffect(() => {
    if (!submitting) return;
    send(submitting.target, submitting.idempotencyKey, submitting.body)
      .then((accepted) => report({ type: "accepted", jobId: accepted.job_id }))
      .catch((error: unknown) =>
        report({
          type: "refused",
          code: error instanceof ApiError ? error.code : "error",
          message: error instanceof Error ? error.message : "The request was refused.",
        }),
      );
  }, [submitting]);

  // Follow the job with backoff; the reducer decides the next delay (each attempt is a new state).
  usePollJob(flow.phase === "polling" ? flow : null, company.company_id, dispatch);
}
