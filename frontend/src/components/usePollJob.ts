// Following a running job: one GET of the job per attempt, after that attempt's delay. The flows'
// reducers (reimportFlow, previewFlow) choose the delay (backoff.ts) and make each attempt a new
// state object, so the effect below runs once per attempt; a newer attempt or an unmount cancels
// the one still waiting, and an answer that arrives after that is dropped.

import { useEffect, useEffectEvent } from "react";
import { ApiError, getJob } from "../api";
import { useApp } from "../context";
import type { Job } from "../types";

/** One poll to make: which job, and how long to wait first. */
export interface PollAttempt {
  readonly jobId: string;
  readonly delay: number;
}

/** What a poll tells the flow: the job as it is now, or why it could not be read. */
export type PollEvent = { type: "jobUpdate"; job: Job } | { type: "pollFailed"; message: string };

/** Polls `attempt.jobId` of `companyId` when `attempt` is not null; `report` gets each outcome. */
export function usePollJob(attempt: PollAttempt | null, companyId: string, report: (event: PollEvent) => void): void {
  const { api } = useApp();
  // The latest report and API client without restarting the timer: callers pass new functions on
  // every render, and a restart would poll again before the delay.
  const onOutcome = useEffectEvent((event: PollEvent) => report(event));
  const fetchJob = useEffectEvent((jobId: string) => getJob(api, companyId, jobId));

  useEffect(() => {
    if (!attempt) return;
    const { jobId, delay } = attempt;
    let cancelled = false;
    const timer = setTimeout(() => {
      fetchJob(jobId)
        .then((job) => !cancelled && onOutcome({ type: "jobUpdate", job }))
        .catch((error: unknown) => {
          // A 401 has already signed the person out (the Api's onUnauthorized): nothing to show.
          if (cancelled || (error instanceof ApiError && error.status === 401)) return;
          onOutcome({ type: "pollFailed", message: error instanceof Error ? error.message : "unknown error" });
        });
    }, delay);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [attempt]);
}
