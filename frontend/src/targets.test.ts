import { describe, expect, it } from "vitest";
import { currentTotalLabel, newTotalLabel, targetName } from "./targets";

describe("target names", () => {
  it("defaults to Budget Bridge's own store", () => {
    expect(targetName()).toBe("Budget Bridge");
    expect(targetName({ target: null, message: "" })).toBe("Budget Bridge");
    expect(targetName({ target: "budget_bridge" })).toBe("Budget Bridge");
  });

  it("names Procore from the target id or from a job's success message", () => {
    expect(targetName({ target: "procore" })).toBe("Procore");
    expect(targetName({ message: "Successfully Re-imported to Procore" })).toBe("Procore");
    expect(targetName({ message: "Successfully Imported to Procore." })).toBe("Procore");
    expect(targetName({ message: "The ERP could not be reached." })).toBe("Budget Bridge");
  });

  it("builds the labels of the totals", () => {
    expect(currentTotalLabel("Budget Bridge")).toBe("Current Budget Bridge Total");
    expect(newTotalLabel("Budget Bridge", "reimport")).toBe("New Budget Bridge Total On Re-Import");
    expect(newTotalLabel("Procore", "import")).toBe("New Procore Total On Import");
  });
});
