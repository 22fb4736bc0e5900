import { describe, expect, it } from "vitest";
import { LineFinder, NO_QUERY, isFiltered, sortedBy, toggleSort, type LineQuery } from "./lineFinder";
import type { LineItem } from "./types";

function line(id: number, fields: Partial<LineItem> = {}): LineItem {
  return {
    line_item_id: `L${id}`,
    sub_job: "0001",
    cost_code: "01-100",
    cost_type: "L",
    description: `Line ${id}`,
    original_budget_amount: "0.00",
    uom: null,
    quantity: null,
    unit_cost: null,
    ...fields,
  };
}

const LINES: LineItem[] = [
  line(0, { sub_job: "0002", cost_code: "03-300", cost_type: "M", description: "Concrete pour", original_budget_amount: "1250.00", uom: "CY", quantity: "10" }),
  line(1, { sub_job: "0001", cost_code: "01-100", cost_type: "L", description: "General labor", original_budget_amount: "99.50" }),
  line(2, { sub_job: "0010", cost_code: "03-300", cost_type: "L", description: "Concrete finishing", original_budget_amount: "-20.00", uom: "SF", quantity: "2.5" }),
  line(3, { sub_job: "0001", cost_code: "02-200", cost_type: "M", description: "Site fencing", original_budget_amount: "1250.00" }),
];

const ids = (finder: LineFinder, query: LineQuery) => [...finder.find(query)].map((at) => finder.lines[at].line_item_id);

describe("LineFinder.find", () => {
  const finder = new LineFinder(LINES);

  it("answers every line in the budget's order without a query", () => {
    expect(ids(finder, NO_QUERY)).toEqual(["L0", "L1", "L2", "L3"]);
    expect(isFiltered(NO_QUERY)).toBe(false);
  });

  it("filters by sub job, cost code and cost type, all together", () => {
    expect(ids(finder, { ...NO_QUERY, subJob: "0001" })).toEqual(["L1", "L3"]);
    expect(ids(finder, { ...NO_QUERY, costCode: "03-300" })).toEqual(["L0", "L2"]);
    expect(ids(finder, { ...NO_QUERY, costCode: "03-300", costType: "L" })).toEqual(["L2"]);
    expect(ids(finder, { ...NO_QUERY, subJob: "0001", costType: "L", costCode: "02-200" })).toEqual([]);
  });

  it("finds text in any field, ignoring case and surrounding spaces", () => {
    expect(ids(finder, { ...NO_QUERY, text: "  CONCRETE " })).toEqual(["L0", "L2"]);
    expect(ids(finder, { ...NO_QUERY, text: "sf" })).toEqual(["L2"]);
    expect(ids(finder, { ...NO_QUERY, text: "1250" })).toEqual(["L0", "L3"]);
    expect(ids(finder, { ...NO_QUERY, text: "02-2" })).toEqual(["L3"]);
    expect(isFiltered({ ...NO_QUERY, text: "  " })).toBe(false);
  });

  it("tells a line without a sub job from no sub job filter", () => {
    const withBlank = finder.with([line(4, { sub_job: "" })]);
    expect(ids(withBlank, { ...NO_QUERY, subJob: "" })).toEqual(["L4"]);
    expect(ids(withBlank, { ...NO_QUERY, subJob: null })).toHaveLength(5);
    expect(withBlank.options().subJobs[0]).toBe("");
  });

  it("never matches text spanning two fields", () => {
    // sub job "0001" followed by cost code "01-100" must not read as "000101".
    expect(ids(finder, { ...NO_QUERY, text: "000101" })).toEqual([]);
  });

  it("filters within the chosen sort order", () => {
    const query: LineQuery = { ...NO_QUERY, text: "concrete", sort: { column: "original_budget_amount", direction: "descending" } };
    expect(ids(finder, query)).toEqual(["L0", "L2"]);
    expect(ids(finder, { ...query, sort: { column: "original_budget_amount", direction: "ascending" } })).toEqual(["L2", "L0"]);
  });

  it("offers each filter's distinct values in natural order", () => {
    const finderWithMore = finder.with([line(4, { sub_job: "0003", cost_code: "10-000" }), line(5, { sub_job: "0003", cost_code: "9-000" })]);
    expect(finderWithMore.options()).toEqual({
      subJobs: ["0001", "0002", "0003", "0010"],
      costCodes: ["01-100", "02-200", "03-300", "9-000", "10-000"],
      costTypes: ["L", "M"],
    });
  });
});

describe("sorting", () => {
  const order = (column: Parameters<typeof sortedBy>[1]["column"], direction: "ascending" | "descending") =>
    [...sortedBy(LINES, { column, direction })].map((at) => LINES[at].line_item_id);

  it("sorts amounts by value, not as text", () => {
    expect(order("original_budget_amount", "ascending")).toEqual(["L2", "L1", "L0", "L3"]);
    // Equal amounts keep the budget's order in both directions.
    expect(order("original_budget_amount", "descending")).toEqual(["L0", "L3", "L1", "L2"]);
  });

  it("sorts text columns ignoring case and keeps ties in the budget's order", () => {
    expect(order("sub_job", "ascending")).toEqual(["L1", "L3", "L0", "L2"]);
    expect(order("cost_type", "descending")).toEqual(["L0", "L3", "L1", "L2"]);
    expect(order("description", "ascending")).toEqual(["L2", "L0", "L1", "L3"]);
  });

  it("puts empty cells last in either direction", () => {
    expect(order("quantity", "ascending")).toEqual(["L2", "L0", "L1", "L3"]);
    expect(order("quantity", "descending")).toEqual(["L0", "L2", "L1", "L3"]);
    expect(order("uom", "descending")).toEqual(["L2", "L0", "L1", "L3"]);
  });

  it("toggles a column ascending, then descending; a new column starts ascending", () => {
    let query = toggleSort(NO_QUERY, "cost_code");
    expect(query.sort).toEqual({ column: "cost_code", direction: "ascending" });
    query = toggleSort(query, "cost_code");
    expect(query.sort).toEqual({ column: "cost_code", direction: "descending" });
    query = toggleSort(query, "cost_code");
    expect(query.sort).toEqual({ column: "cost_code", direction: "ascending" });
    expect(toggleSort(query, "unit_cost").sort).toEqual({ column: "unit_cost", direction: "ascending" });
  });
});

describe("a finder grown page by page", () => {
  it("searches the lines of later pages too, and an edited line by its new text", () => {
    let finder = new LineFinder(LINES.slice(0, 2));
    expect(ids(finder, { ...NO_QUERY, text: "concrete" })).toEqual(["L0"]); // builds the search text
    finder = finder.with(LINES.slice(2));
    expect(ids(finder, { ...NO_QUERY, text: "concrete" })).toEqual(["L0", "L2"]);
    const edited = finder.replacing({ ...LINES[0], description: "Rebar" });
    expect(ids(edited, { ...NO_QUERY, text: "concrete" })).toEqual(["L2"]);
    expect(ids(edited, { ...NO_QUERY, text: "rebar" })).toEqual(["L0"]);
    expect(ids(finder, { ...NO_QUERY, text: "concrete" })).toEqual(["L0", "L2"]); // unchanged
  });

  it("sorts the lines it holds now, not those it held when first sorted", () => {
    const sort = { column: "cost_code", direction: "ascending" } as const;
    let finder = new LineFinder(LINES.slice(0, 2));
    expect(ids(finder, { ...NO_QUERY, sort })).toEqual(["L1", "L0"]);
    finder = finder.with(LINES.slice(2));
    expect(ids(finder, { ...NO_QUERY, sort })).toEqual(["L1", "L3", "L0", "L2"]);
  });
});
