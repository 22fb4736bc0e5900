// How long to wait before each poll of a running job: start at 500 ms, x1.5 each time, cap at 3 s.

export const FIRST_DELAY_MS = 500;
export const GROWTH = 1.5;
export const MAX_DELAY_MS = 3000;

/** The wait before poll number `attempt` (0 for the first poll). */
export function pollDelay(attempt: number): number {
  const raw = FIRST_DELAY_MS * GROWTH ** Math.max(0, attempt);
  return Math.min(MAX_DELAY_MS, Math.round(raw));
}

export function pollSchedule(count: number): number[] {
  return Array.from({ length: count }, (_, attempt) => pollDelay(attempt));
}
