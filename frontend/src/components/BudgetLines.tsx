// The Budget tab's line items: the filters that find lines, and the table that shows them, keeping
// only the rows on screen in the document so that a budget of 100,000 lines scrolls and answers as
// one of 100 does (docs/performance.md). The table stays a real table: header cells, rows and cells
// keep their roles, and aria-rowcount / aria-rowindex tell assistive technology where each shown
// row sits among all of them.

import { useEffect, useId, useMemo, useState, type ReactNode } from "react";
import { formatMoney, formatQuantity } from "../money";
import type { LineFinder, LineQuery, LineSort, SortColumn } from "../lineFinder";
import type { LineItem } from "../types";

const COLUMNS: { column: SortColumn; label: string; numeric?: boolean }[] = [
  { column: "sub_job", label: "Sub Job" },
  { column: "cost_code", label: "Cost Code" },
  { column: "cost_type", label: "Cost Type" },
  { column: "description", label: "Description" },
  { column: "original_budget_amount", label: "Amount", numeric: true },
  { column: "uom", label: "UOM" },
  { column: "quantity", label: "Quantity", numeric: true },
  { column: "unit_cost", label: "Unit Cost", numeric: true },
];

/** Up to this many rows the table holds them all; beyond, only those on screen and a margin. */
export const ALL_ROWS_UP_TO = 200;
const MARGIN_ROWS = 15; // above and below the screen, so a scroll or Tab never meets a blank
const FIRST_RANGE = { first: 0, last: 60, rowHeight: 37 }; // until the rows are measured

const ANY = "\u0000any"; // the "All" choice of a filter: a value no cell holds

function count(n: number): string {
  return formatQuantity(String(n));
}

interface FiltersProps {
  query: LineQuery;
  options: { subJobs: string[]; costCodes: string[]; costTypes: string[] };
  onChange: (query: LineQuery) => void;
  shown: number;
  held: number;
  total: number;
  complete: boolean;
}

export function LineFilters({ query, options, onChange, shown, held, total, complete }: FiltersProps) {
  const subJobs = useMemo(() => choices(options.subJobs, "(no sub job)"), [options.subJobs]);
  const costCodes = useMemo(() => choices(options.costCodes), [options.costCodes]);
  const costTypes = useMemo(() => choices(options.costTypes), [options.costTypes]);
  const id = useId();
  const filtered = shown !== held;
  return (
    <div className="line-filters card" role="search" aria-label="Find lines">
      <Choice
        label="Sub Job"
        value={query.subJob}
        options={subJobs}
        onChange={(subJob) => onChange({ ...query, subJob })}
      />
      <Choice
        label="Cost Code"
        value={query.costCode}
        options={costCodes}
        onChange={(costCode) => onChange({ ...query, costCode })}
      />
      <Choice
        label="Cost Type"
        value={query.costType}
        options={costTypes}
        onChange={(costType) => onChange({ ...query, costType })}
      />
      <div className="field line-search">
        <label htmlFor={`${id}-search`}>Search lines</label>
        <input
          id={`${id}-search`}
          type="search"
          value={query.text}
          placeholder="Description, code, UOM or amount"
          onChange={(e) => onChange({ ...query, text: e.target.value })}
        />
      </div>
      <p className="muted line-count" aria-live="polite">
        {filtered ? `${count(shown)} of ${count(held)} lines match.` : `${count(held)} lines.`}
        {!complete && ` Loading lines: ${count(held)} of ${count(total)} read; filters and sorting cover those.`}
      </p>
    </div>
  );
}

/** One filter: a label of its own (so the control's name is exactly the label) and a select. */
function Choice({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string | null;
  options: ReactNode[];
  onChange: (value: string | null) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value ?? ANY} onChange={(e) => onChange(e.target.value === ANY ? null : e.target.value)}>
        {options}
      </select>
    </div>
  );
}

function choices(values: string[], blank = "(none)"): ReactNode[] {
  return [
    <option key={ANY} value={ANY}>
      All
    </option>,
    ...values.map((value) => (
      <option key={value} value={value}>
        {value || blank}
      </option>
    )),
  ];
}

interface Range {
  first: number;
  last: number;
  rowHeight: number;
}

/**
 * Which rows of the table body are on screen (the window scrolls, not the table), measured on
 * scroll and resize. Answers the body's callback ref and the range with a margin on each side.
 */
function useVisibleRows(): [(body: HTMLTableSectionElement | null) => void, Range] {
  const [body, setBody] = useState<HTMLTableSectionElement | null>(null);
  const [range, setRange] = useState<Range>(FIRST_RANGE);

  useEffect(() => {
    if (!body) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      const row = body.querySelector("tr[data-line]");
      const rowHeight = row ? row.getBoundingClientRect().height || FIRST_RANGE.rowHeight : FIRST_RANGE.rowHeight;
      const above = Math.max(0, -body.getBoundingClientRect().top); // body scrolled past the top
      const top = Math.floor(above / rowHeight);
      const first = Math.max(0, top - MARGIN_ROWS);
      const last = top + Math.ceil(window.innerHeight / rowHeight) + MARGIN_ROWS;
      setRange((now) =>
        now.first === first && now.last === last && now.rowHeight === rowHeight ? now : { first, last, rowHeight },
      );
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    schedule();
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    return () => {
      if (frame) cancelAnimationFrame(frame);
      window.removeEventListener("scroll", schedule);
      window.removeEventListener("resize", schedule);
    };
  }, [body]);

  return [setBody, range];
}

interface TableProps {
  finder: LineFinder;
  rows: Uint32Array; // positions into finder.lines, in the order shown
  sort: LineSort | null;
  onSort: (column: SortColumn) => void;
  filtered: boolean;
  onClearFilters: () => void;
  total: string;
  lineCount: number;
  editable: boolean;
  editing: string | null;
  renderEditRow: (item: LineItem, rowIndex: number) => ReactNode;
  onEdit: (item: LineItem) => void;
}

export function LinesTable(props: TableProps) {
  const { finder, rows, sort, onSort, total, lineCount, editable, editing } = props;
  const [bodyRef, range] = useVisibleRows();
  const columns = COLUMNS.length + (editable ? 1 : 0);
  const size = rows.length;
  // A window on the rows: all of them on a small budget, else those on screen.
  let start = 0;
  let end = size;
  if (size > ALL_ROWS_UP_TO) {
    const span = range.last - range.first;
    start = Math.max(0, Math.min(range.first, size - span));
    end = Math.min(size, start + span);
  }
  const shown: ReactNode[] = [];
  for (let i = start; i < end; i++) {
    const item = finder.lines[rows[i]];
    const rowIndex = i + 2; // the header row is row 1
    shown.push(
      editable && editing === item.line_item_id ? (
        props.renderEditRow(item, rowIndex)
      ) : (
        <LineRow
          key={item.line_item_id}
          item={item}
          rowIndex={rowIndex}
          editable={editable}
          editDisabled={editing !== null}
          onEdit={props.onEdit}
        />
      ),
    );
  }
  const spacer = (key: string, rowsHidden: number) =>
    rowsHidden > 0 && (
      <tr key={key} aria-hidden="true" className="spacer">
        <td colSpan={columns} style={{ height: `${rowsHidden * range.rowHeight}px` }} />
      </tr>
    );

  return (
    <div className="table-wrap">
      <table className="table lines-table" aria-label="Line items" aria-rowcount={size + 2}>
        <thead>
          <tr aria-rowindex={1}>
            {COLUMNS.map(({ column, label, numeric }) => {
              const direction = sort?.column === column ? sort.direction : undefined;
              return (
                <th key={column} scope="col" className={`col-${column}${numeric ? " num" : ""}`} aria-sort={direction}>
                  <button type="button" className="sort-button" onClick={() => onSort(column)}>
                    {label}
                    <span aria-hidden="true" className="sort-mark">
                      {direction === "ascending" ? "▲" : direction === "descending" ? "▼" : ""}
                    </span>
                  </button>
                </th>
              );
            })}
            {editable && (
              <th scope="col" className="col-edit">
                Edit
              </th>
            )}
          </tr>
        </thead>
        <tbody ref={bodyRef}>
          {spacer("above", start)}
          {shown}
          {spacer("below", size - end)}
          {size === 0 && (
            <tr aria-rowindex={2}>
              <td colSpan={columns} className="no-match">
                {props.filtered ? "No line matches these filters." : "No lines yet."}{" "}
                {props.filtered && (
                  <button type="button" className="button button-small" onClick={props.onClearFilters}>
                    Clear filters
                  </button>
                )}
              </td>
            </tr>
          )}
        </tbody>
        <tfoot>
          <tr aria-rowindex={size + 2}>
            <th scope="row" colSpan={4}>
              Total (all {count(lineCount)} lines)
            </th>
            <td className="num total">{formatMoney(total)}</td>
            <td colSpan={editable ? 4 : 3} />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

function LineRow({
  item,
  rowIndex,
  editable,
  editDisabled,
  onEdit,
}: {
  item: LineItem;
  rowIndex: number;
  editable: boolean;
  editDisabled: boolean;
  onEdit: (item: LineItem) => void;
}) {
  return (
    <tr data-line="" aria-rowindex={rowIndex}>
      <td>{item.sub_job}</td>
      <td>{item.cost_code}</td>
      <td>{item.cost_type}</td>
      <td className="description" title={item.description}>
        {item.description}
      </td>
      <td className="num">{formatMoney(item.original_budget_amount)}</td>
      <td>{item.uom ?? ""}</td>
      <td className="num">{formatQuantity(item.quantity)}</td>
      <td className="num">{formatMoney(item.unit_cost)}</td>
      {editable && (
        <td>
          <button
            type="button"
            id={`edit-${item.line_item_id}`}
            className="button button-small"
            aria-label={`Edit ${lineLabel(item)}`}
            disabled={editDisabled}
            onClick={() => onEdit(item)}
          >
            Edit
          </button>
        </td>
      )}
    </tr>
  );
}

export function lineLabel(item: { sub_job: string; cost_code: string; cost_type: string }): string {
  return `${item.sub_job || "(no sub job)"} / ${item.cost_code} / ${item.cost_type}`;
}
