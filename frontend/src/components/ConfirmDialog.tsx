// A modal "Please Confirm" dialog: focus kept inside, Esc cancels, focus returned to its opener on close.

import { useEffect, useId, useRef, type ReactNode } from "react";
import { createPortal } from "react-dom";
import { JOB_STATUS_SELECTOR } from "./JobPanel";

interface Props {
  title?: string;
  children: ReactNode;
  onConfirm: () => void;
  onCancel: () => void;
  /** OK stays visible but cannot be pressed (e.g. until a preview is ready, or when it found bad lines). */
  confirmDisabled?: boolean;
  /** Extra buttons before OK, e.g. a choice the preview asks about. */
  extraActions?: ReactNode;
  /** The element to focus when the dialog closes (the row's button). */
  returnFocusTo?: HTMLElement | null;
  /**
   * Where the focus goes when the opener is gone (or disabled) once the dialog closes, e.g. the row's new
   * "Linked Project" link after OK linked it and took its Link button away. Without it, the job's status.
   */
  fallbackFocus?: () => HTMLElement | null | undefined;
}

/** Back to the opener; when OK started a job, the opener is disabled (or gone) while it runs, and the
 * browser would drop a keyboard user on the page's body: the caller's fallback, or else the job's
 * status, takes the focus instead (a page without a job panel names its own). */
function returnFocus(opener: HTMLElement, fallback?: () => HTMLElement | null | undefined) {
  if (opener.isConnected && !opener.matches(":disabled")) {
    opener.focus();
    return;
  }
  const instead = fallback?.();
  if (instead?.isConnected) instead.focus();
  else document.querySelector<HTMLElement>(JOB_STATUS_SELECTOR)?.focus();
}

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function ConfirmDialog({
  title = "Please Confirm",
  children,
  onConfirm,
  onCancel,
  confirmDisabled = false,
  extraActions,
  returnFocusTo,
  fallbackFocus,
}: Props) {
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();
  // The latest fallback, read on close: the effect below must not run again (and move the focus to
  // Cancel) each time the caller passes a new function.
  const fallbackRef = useRef(fallbackFocus);
  useEffect(() => {
    fallbackRef.current = fallbackFocus;
  }, [fallbackFocus]);

  useEffect(() => {
    // Everything outside the dialog becomes inert, so neither a mouse, Tab nor a screen reader can reach it.
    const root = document.getElementById("root");
    root?.setAttribute("inert", "");
    root?.setAttribute("aria-hidden", "true");
    // The least destructive choice gets focus first: OK overrides the project's amounts.
    cancelRef.current?.focus();
    return () => {
      root?.removeAttribute("inert");
      root?.removeAttribute("aria-hidden");
      const target = returnFocusTo;
      // Wait a frame so the opener is focusable again (the root is no longer inert).
      if (target) setTimeout(() => returnFocus(target, fallbackRef.current), 0);
    };
  }, [returnFocusTo]);

  // Keys are heard on the whole document, not on the dialog alone: a button that turns disabled
  // under the focus leaves the focus on the page's body, and Escape and Tab must still work from there.
  const onCancelRef = useRef(onCancel);
  useEffect(() => {
    onCancelRef.current = onCancel;
  }, [onCancel]);
  useEffect(() => {
    function onKeyDown(event: globalThis.KeyboardEvent) {
      const dialog = dialogRef.current;
      if (!dialog) return;
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        onCancelRef.current();
        return;
      }
      if (event.key !== "Tab") return;
      const items = Array.from(dialog.querySelectorAll<HTMLElement>(FOCUSABLE));
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      const active = document.activeElement;
      if (event.shiftKey && (active === first || !dialog.contains(active))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
        event.preventDefault();
        first.focus();
      }
    }
    document.addEventListener("keydown", onKeyDown, true);
    return () => document.removeEventListener("keydown", onKeyDown, true);
  }, []);

  return createPortal(
    <div className="backdrop">
      <div
        ref={dialogRef}
        className="dialog card"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
      >
        <h2 id={titleId}>{title}</h2>
        <div id={bodyId} className="dialog-body">
          {children}
        </div>
        <div className="dialog-actions">
          {extraActions}
          <button type="button" className="button button-primary" disabled={confirmDisabled} onClick={onConfirm}>
            OK
          </button>
          <button type="button" ref={cancelRef} className="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
