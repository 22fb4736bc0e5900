import { describe, expect, it } from "vitest";
import { fileProblem, MAX_EXPORT_BYTES } from "./UploadExport";

describe("a budget export chosen for upload", () => {
  it("is sent when it is a CSV or XLSX file of at most 10 MB", () => {
    expect(fileProblem({ name: "Budget.CSV", size: 2048 })).toBeNull();
    expect(fileProblem({ name: "budget.xlsx", size: MAX_EXPORT_BYTES })).toBeNull();
  });

  it("is refused with a sentence when it is too large, empty or of another type", () => {
    expect(fileProblem({ name: "budget.csv", size: 11 * 1024 * 1024 })).toBe(
      "The file is 11.0 MB; budget exports may be at most 10 MB.",
    );
    expect(fileProblem({ name: "budget.csv", size: 0 })).toBe("The file is empty.");
    expect(fileProblem({ name: "budget.pdf", size: 10 })).toBe("The budget export must be a .csv or .xlsx file.");
  });
});
