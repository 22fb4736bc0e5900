import { describe, expect, it } from "vitest";
import { fileNameFrom } from "./api";
import { csvFileName } from "./download";

describe("download names", () => {
  it("takes the server's suggested name, without folders", () => {
    expect(fileNameFrom('attachment; filename="budget-P-1001.csv"')).toBe("budget-P-1001.csv");
    expect(fileNameFrom("attachment; filename=changes.csv")).toBe("changes.csv");
    expect(fileNameFrom("attachment; filename*=UTF-8''Caf%C3%A9.csv")).toBe("Café.csv");
    expect(fileNameFrom('attachment; filename="../../etc/passwd"')).toBe("passwd");
    expect(fileNameFrom("attachment")).toBeNull();
    expect(fileNameFrom(null)).toBeNull();
  });

  it("builds a safe fallback name", () => {
    expect(csvFileName("budget", "P-1001")).toBe("budget-P-1001.csv");
    expect(csvFileName("changes", "Harbor Office / Phase 2", "j-1")).toBe("changes-Harbor-Office-Phase-2-j-1.csv");
    expect(csvFileName("")).toBe("download.csv");
  });
});

// Every source of the web app except the API module, the generated types and the tests, as text.
const SOURCES = import.meta.glob<string>(
  ["./**/*.{ts,tsx}", "!./api.ts", "!./api.gen.ts", "!./**/*.test.{ts,tsx}", "!./test/**"],
  { query: "?raw", import: "default", eager: true },
);

describe("the API module", () => {
  it("reads the sources it checks", () => {
    expect(Object.keys(SOURCES)).toContain("./components/BudgetsView.tsx");
  });

  it("is the only code that names an API route or sends a request", () => {
    // A route is a string starting "/companies/" ("#/companies/..." is the web app's own address).
    const offenders = Object.entries(SOURCES)
      .filter(([, text]) => /[`"']\/companies\//.test(text) || /\.(request|file)\s*[<(]/.test(text))
      .map(([file]) => file);
    expect(offenders).toEqual([]);
  });
});
