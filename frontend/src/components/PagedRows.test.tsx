// The pager under a paged table: a button that cannot page keeps the focus (a keyboard or screen
// reader user pressing Next page into the last page stays on it, not on the page's body).
import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Change } from "../types";
import { ChangesTable } from "./ChangesTable";

function changes(count: number, from = 1): Change[] {
  return Array.from({ length: count }, (_, i) => ({
    line_item_id: `li-${from + i}`,
    sub_job: "0001",
    cost_code: `01-${String(from + i).padStart(3, "0")}`,
    cost_type: "L",
    kind: "updated",
    old_amount: "1.00",
    new_amount: "2.00",
  }));
}

describe("the pager of a paged table", () => {
  it("keeps the focus on Next page when it leads to the last page, which then pages no further", () => {
    render(<ChangesTable label="Changed lines" changes={changes(12)} total={12} />);
    const next = screen.getByRole("button", { name: "Next page" }) as HTMLButtonElement;
    const previous = screen.getByRole("button", { name: "Previous page" }) as HTMLButtonElement;
    expect(previous.getAttribute("aria-disabled")).toBe("true");
    next.focus();

    fireEvent.click(next);

    expect(screen.getByText(/Lines 11–12 of 12/)).toBeTruthy();
    // Announced as unavailable, yet still focusable: a disabled button would drop the focus to <body>.
    expect(next.getAttribute("aria-disabled")).toBe("true");
    expect(next.disabled).toBe(false);
    expect(document.activeElement).toBe(next);
    fireEvent.click(next);
    expect(screen.getByText(/Lines 11–12 of 12/)).toBeTruthy();
    expect(previous.getAttribute("aria-disabled")).toBeNull();
    fireEvent.click(previous);
    expect(screen.getByText(/Lines 1–10 of 12/)).toBeTruthy();
    fireEvent.click(previous);
    expect(screen.getByText(/Lines 1–10 of 12/)).toBeTruthy();
  });

  it("keeps the focus on Next page while the next rows load, and a second press asks for nothing more", async () => {
    let answer = () => {};
    const loadMore = vi.fn(() => new Promise<void>((resolve) => (answer = resolve)));
    render(<ChangesTable label="Changed lines" changes={changes(10)} total={25} loadMore={loadMore} />);
    const next = screen.getByRole("button", { name: "Next page" }) as HTMLButtonElement;
    next.focus();

    fireEvent.click(next);

    expect(next.getAttribute("aria-disabled")).toBe("true");
    expect(next.disabled).toBe(false);
    expect(document.activeElement).toBe(next);
    fireEvent.click(next);
    expect(loadMore).toHaveBeenCalledTimes(1);
    await act(async () => answer());
    expect(next.getAttribute("aria-disabled")).toBeNull();
    expect(document.activeElement).toBe(next);
  });
});
