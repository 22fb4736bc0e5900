import { renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Api } from "../api";
import { AppContext } from "../context";
import { fakeFetch, type Answer } from "../test/fakeApi";
import { jobOf } from "../test/fixtures";
import { usePollJob, type PollAttempt, type PollEvent } from "./usePollJob";

const company = {
  company_id: "demo",
  name: "Demo Construction Co.",
  erp_permission: "standard",
  budget_permission: "standard",
  target: "budget_bridge",
  target_name: "Budget Bridge",
} as const;

const JOB_PATH = "GET /companies/demo/erp/jobs/job-1";

/** The hook over a scripted API: `answer` says what each GET of job-1 gets. */
function poll(answer: () => Answer, first: PollAttempt | null) {
  const fake = fakeFetch({ [JOB_PATH]: answer });
  vi.stubGlobal("fetch", fake.fetchImpl);
  const signedOut = vi.fn();
  const api = new Api("", () => "token", signedOut);
  const wrapper = ({ children }: { children: ReactNode }) => (
    <AppContext.Provider value={{ api, me: { email: "a@demo.test", companies: [company] }, company }}>{children}</AppContext.Provider>
  );
  const events: PollEvent[] = [];
  const hook = renderHook(({ attempt }: { attempt: PollAttempt | null }) => usePollJob(attempt, "demo", (e) => events.push(e)), {
    wrapper,
    initialProps: { attempt: first },
  });
  return { hook, events, requests: fake.requests, signedOut };
}

const running = jobOf({ job_id: "job-1", budget_id: "b-1001", kind: "reimport", status: "in_progress" });

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("usePollJob", () => {
  it("reads the job once, after the attempt's delay, and reports it", async () => {
    const { events, requests } = poll(() => ({ body: running }), { jobId: "job-1", delay: 500 });

    await vi.advanceTimersByTimeAsync(499);
    expect(requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);

    expect(requests.map((r) => r.path)).toEqual(["/companies/demo/erp/jobs/job-1"]);
    expect(events).toEqual([{ type: "jobUpdate", job: running }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(requests).toHaveLength(1); // the next poll waits for the flow's next attempt
  });

  it("polls again for each new attempt and stops when there is none (the job finished)", async () => {
    const first = { jobId: "job-1", delay: 500 };
    const { hook, requests } = poll(() => ({ body: running }), first);
    await vi.advanceTimersByTimeAsync(500);

    hook.rerender({ attempt: first }); // a render with the same attempt polls nothing more
    await vi.advanceTimersByTimeAsync(1000);
    expect(requests).toHaveLength(1);

    hook.rerender({ attempt: { jobId: "job-1", delay: 750 } });
    await vi.advanceTimersByTimeAsync(750);
    expect(requests).toHaveLength(2);

    hook.rerender({ attempt: null });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(requests).toHaveLength(2);
  });

  it("reports a failed read with its message", async () => {
    const { events } = poll(
      () => ({ status: 503, body: { error: { code: "service_unavailable", message: "Try again in a minute." } } }),
      { jobId: "job-1", delay: 500 },
    );
    await vi.advanceTimersByTimeAsync(500);

    expect(events).toEqual([{ type: "pollFailed", message: "Try again in a minute." }]);
  });

  it("reports nothing when the session ended (401 signs the person out instead)", async () => {
    const { events, signedOut } = poll(
      () => ({ status: 401, body: { error: { code: "unauthenticated", message: "Sign in again." } } }),
      { jobId: "job-1", delay: 500 },
    );
    await vi.advanceTimersByTimeAsync(500);

    expect(signedOut).toHaveBeenCalledTimes(1);
    expect(events).toEqual([]);
  });

  it("makes no request once unmounted, and drops an answer that arrives after", async () => {
    const waiting = poll(() => ({ body: running }), { jobId: "job-1", delay: 500 });
    waiting.hook.unmount();
    await vi.advanceTimersByTimeAsync(1000);
    expect(waiting.requests).toHaveLength(0);

    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    const slow = fakeFetch({ [JOB_PATH]: () => ({ body: running }) });
    const inFlight = poll(() => ({ body: running }), { jobId: "job-1", delay: 500 });
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
      await answered;
      return slow.fetchImpl(input, init);
    });
    await vi.advanceTimersByTimeAsync(500);
    inFlight.hook.unmount();
    release();
    await vi.advanceTimersByTimeAsync(0);

    expect(slow.requests).toHaveLength(1);
    expect(inFlight.events).toEqual([]);
  });
});
