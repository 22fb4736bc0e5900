// Saving a file the API serves: fetch it with the token, then hand it to the browser as a download.

import type { ApiFile } from "./api";

/** "budget-P-1001.csv": letters, digits, dots and dashes only, so every system accepts the name. */
export function csvFileName(...parts: string[]): string {
  const stem = parts
    .map((part) => part.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, ""))
    .filter(Boolean)
    .join("-");
  return `${stem || "download"}.csv`;
}

/** Waits for `file` (one of api.ts's file functions) and saves it under the server's suggested
 * name, or `fallbackName`. */
export async function downloadFile(file: Promise<ApiFile>, fallbackName: string): Promise<string> {
  const { blob, fileName } = await file;
  const name = fileName ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    // The browser has taken the file by the time the click handler returns; free the memory soon after.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return name;
}
