import { describe, expect, it } from "vitest";
import { MAX_DELAY_MS, pollDelay, pollSchedule } from "./backoff";

describe("poll backoff", () => {
  it("starts at 500 ms and grows by half each time", () => {
    expect(pollSchedule(5)).toEqual([500, 750, 1125, 1688, 2531]);
  });

  it("never waits more than 3 seconds", () => {
    expect(pollDelay(5)).toBe(3000);
    expect(pollDelay(50)).toBe(MAX_DELAY_MS);
    expect(Math.max(...pollSchedule(30))).toBe(3000);
  });
});
