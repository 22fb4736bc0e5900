import { describe, expect, it } from "vitest";
import { inUseKeys, withEntry, withoutEntry } from "./catalog";

const catalog = { cost_codes: [{ code: "01-100", description: "General" }], cost_types: [] };

describe("editing the cost catalog", () => {
  it("adds a trimmed entry and refuses an empty or repeated code", () => {
    expect(withEntry(catalog, "cost_types", { code: " L ", description: " Labor " })).toEqual({
      ...catalog,
      cost_types: [{ code: "L", description: "Labor" }],
    });
    expect(withEntry(catalog, "cost_codes", { code: "  ", description: "" })).toBe("Enter the cost code to add.");
    expect(withEntry(catalog, "cost_codes", { code: "01-100", description: "" })).toBe(
      "The catalog already has the cost code 01-100.",
    );
  });

  it("removes an entry by its code", () => {
    expect(withoutEntry(catalog, "cost_codes", "01-100").cost_codes).toEqual([]);
  });

  it("reads the lines an in_use refusal names, in any of the shapes a key may take", () => {
    expect(inUseKeys({ keys: [["0001", "01-100", "L"], { sub_job: "", cost_code: "02-200", cost_type: "M" }, "x"] })).toEqual([
      "0001 / 01-100 / L",
      " / 02-200 / M",
      "x",
    ]);
    expect(inUseKeys({})).toEqual([]);
  });
});
