// One way to turn anything a request threw into the sentence a person reads.

import { ApiError } from "../api";

export function errorText(error: unknown, fallback: string): string {
  if (error instanceof ApiError || error instanceof Error) return error.message || fallback;
  return fallback;
}
