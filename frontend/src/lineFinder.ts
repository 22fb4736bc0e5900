// Finding lines on a project's Budget tab: filters by sub job, cost code, cost type and text, and
// a sort by any column, over every line the tab holds (up to 100,000; docs/performance.md).
//
// Each answer must come within a fraction of a second at that size, so the work a query repeats is
// done once and kept: the text each line is searched in (built as each page arrives) and the order
// of every column sorted so far; a filter is then one pass over that order.

import type { LineItem } from "./types";

export const SORT_COLUMNS = [
  "sub_job",
  "cost_code",
  "cost_type",
  "description",
  "original_budget_amount",
  "uom",
  "quantity",
  "unit_cost",
] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
export type SortDirection = "ascending" | "descending";

export interface LineSort {
  column: SortColumn;
  direction: SortDirection;
}

export interface LineQuery {
  subJob: string | null; // null = every sub job ("" is a line without one)
  costCode: string | null;
  costType: string | null;
  text: string; // matched case-insensitively anywhere in a line's key, description, UOM or amount
  sort: LineSort | null; // null = the budget's own order
}

export const NO_QUERY: LineQuery = { subJob: null, costCode: null, costType: null, text: "", sort: null };

const NUMERIC: ReadonlySet<SortColumn> = new Set(["original_budget_amount", "quantity", "unit_cost"]);

/** The same query, sorted by `column`: ascending first, then descending, then ascending again. */
export function toggleSort(query: LineQuery, column: SortColumn): LineQuery {
  const direction: SortDirection =
    query.sort?.column === column && query.sort.direction === "ascending" ? "descending" : "ascending";
  return { ...query, sort: { column, direction } };
}

export function isFiltered(query: LineQuery): boolean {
  return query.subJob !== null || query.costCode !== null || query.costType !== null || query.text.trim() !== "";
}

const NATURAL = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

type KeyField = "sub_job" | "cost_code" | "cost_type";
const KEY_FIELDS: readonly KeyField[] = ["sub_job", "cost_code", "cost_type"];

/** What a text search looks in; a separator no one types keeps a match inside one field. */
function searchText(l: LineItem): string {
  return [l.sub_job, l.cost_code, l.cost_type, l.description ?? "", l.uom ?? "", l.original_budget_amount]
    .join("\u0001")
    .toLowerCase();
}

interface Built {
  haystacks: readonly string[];
  values: Record<KeyField, ReadonlySet<string>>;
}

/**
 * The lines of one budget version as loaded so far, with what queries over them reuse. Immutable
 * from the outside: `with(more)` answers a new finder that also holds the next page's lines, and
 * builds the search text of those lines only.
 */
export class LineFinder {
  readonly lines: readonly LineItem[];
  private readonly haystacks: readonly string[];
  private readonly values: Record<KeyField, ReadonlySet<string>>;
  private readonly orders = new Map<string, Uint32Array>();
  private optionCache: { subJobs: string[]; costCodes: string[]; costTypes: string[] } | null = null;

  constructor(lines: readonly LineItem[] = [], built?: Built) {
    this.lines = lines;
    const haystacks = built ? built.haystacks.slice(0, lines.length) : [];
    const values = {
      sub_job: new Set(built?.values.sub_job),
      cost_code: new Set(built?.values.cost_code),
      cost_type: new Set(built?.values.cost_type),
    };
    for (let at = haystacks.length; at < lines.length; at++) {
      haystacks.push(searchText(lines[at]));
      for (const field of KEY_FIELDS) values[field].add(lines[at][field]);
    }
    this.haystacks = haystacks;
    this.values = values;
  }

  get size(): number {
    return this.lines.length;
  }

  /** A finder over these lines and `more` after them. */
  with(more: readonly LineItem[]): LineFinder {
    return new LineFinder(this.lines.concat(more), { haystacks: this.haystacks, values: this.values });
  }

  /** A finder in which the line with `line.line_item_id` reads `line` (after an edit). */
  replacing(line: LineItem): LineFinder {
    const at = this.lines.findIndex((each) => each.line_item_id === line.line_item_id);
    if (at < 0) return this;
    const lines = this.lines.slice();
    lines[at] = line;
    const haystacks = this.haystacks.slice();
    haystacks[at] = searchText(line);
    // An edit never changes a line's key, so the filters' choices stay as they are.
    return new LineFinder(lines, { haystacks, values: this.values });
  }

  /** The choices of the Sub Job, Cost Code and Cost Type filters, in natural order. */
  options(): { subJobs: string[]; costCodes: string[]; costTypes: string[] } {
    this.optionCache ??= {
      subJobs: [...this.values.sub_job].sort(NATURAL.compare),
      costCodes: [...this.values.cost_code].sort(NATURAL.compare),
      costTypes: [...this.values.cost_type].sort(NATURAL.compare),
    };
    return this.optionCache;
  }

  /** Positions (into `lines`) of the lines the query matches, in the order it asks for. */
  find(query: LineQuery): Uint32Array {
    const order = query.sort ? this.order(query.sort) : identity(this.lines.length);
    if (!isFiltered(query)) return order;
    const text = query.text.trim().toLowerCase();
    const { subJob, costCode, costType } = query;
    const { lines, haystacks } = this;
    const out = new Uint32Array(order.length);
    let found = 0;
    for (const at of order) {
      const line = lines[at];
      if (subJob !== null && line.sub_job !== subJob) continue;
      if (costCode !== null && line.cost_code !== costCode) continue;
      if (costType !== null && line.cost_type !== costType) continue;
      if (text !== "" && !haystacks[at].includes(text)) continue;
      out[found++] = at;
    }
    return out.slice(0, found);
  }

  private order(sort: LineSort): Uint32Array {
    const name = `${sort.column}:${sort.direction}`;
    let order = this.orders.get(name);
    if (!order) {
      order = sortedBy(this.lines, sort);
      this.orders.set(name, order);
    }
    return order;
  }
}

function identity(size: number): Uint32Array {
  const out = new Uint32Array(size);
  for (let i = 0; i < size; i++) out[i] = i;
  return out;
}

/**
 * Positions of `lines` sorted by one column; ties keep the budget's order, and empty cells come
 * last in either direction. Amounts and quantities compare as numbers, text by its lower case
 * (a plain comparison: a locale-aware one costs ten times as much on 100,000 distinct values).
 */
export function sortedBy(lines: readonly LineItem[], sort: LineSort): Uint32Array {
  const size = lines.length;
  const sign = sort.direction === "ascending" ? 1 : -1;
  const order = identity(size);
  if (NUMERIC.has(sort.column)) {
    const values = new Float64Array(size);
    for (let at = 0; at < size; at++) {
      const value = lines[at][sort.column];
      values[at] = value === null || value === undefined || value === "" ? NaN : Number(value);
    }
    return order.sort((a, b) => {
      const x = values[a];
      const y = values[b];
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? a - b : Number.isNaN(x) ? 1 : -1;
      return sign * (x - y) || a - b;
    });
  }
  const keys = new Array<string>(size);
  for (let at = 0; at < size; at++) keys[at] = (lines[at][sort.column] ?? "").toLowerCase();
  return order.sort((a, b) => {
    const x = keys[a];
    const y = keys[b];
    if (x === "" || y === "") return x === y ? a - b : x === "" ? 1 : -1;
    return x === y ? a - b : x < y ? -sign : sign;
  });
}
