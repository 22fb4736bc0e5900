// Keeping a keyboard or screen reader user's focus through an action (frontend/README.md, "Keyboard
// and screen readers"): a button that cannot act just now, and a control that the action removes.
//
// Chromium drops the focus of a button that turns `disabled`, and of an element that leaves the page,
// to the page's body: the person is thrown back to the top of the page and hears nothing of what
// happened. PagedRows and Pager keep their buttons with aria-disabled for the same reason.

import { useCallback, useEffect, useRef, type ButtonHTMLAttributes, type Ref } from "react";

type Props = Omit<ButtonHTMLAttributes<HTMLButtonElement>, "disabled" | "aria-disabled"> & {
  /** The button cannot act now (its request runs, the row does not allow it): announced, not pressed. */
  unavailable?: boolean;
  ref?: Ref<HTMLButtonElement>;
};

/**
 * A button that is aria-disabled, not disabled, while it cannot act: it keeps the focus, says it is
 * unavailable, and ignores a press. A submit button's press is cancelled too (its form is not sent,
 * neither by a click nor by Enter in one of its fields, which presses the form's submit button).
 */
export function ActionButton({ unavailable = false, type = "button", onClick, ...rest }: Props) {
  return (
    <button
      {...rest}
      type={type}
      aria-disabled={unavailable ? true : undefined}
      onClick={(event) => {
        if (unavailable) event.preventDefault();
        else onClick?.(event);
      }}
    />
  );
}

/** The focus has fallen to the page's body (or nowhere), as it does when its element leaves. */
export function focusLost(): boolean {
  const active = document.activeElement;
  return active === null || active === document.body;
}

type Fallback = () => HTMLElement | null | undefined;

/**
 * For an action that removes the control it was started from (a row's Remove, a Link that leaves once
 * the row is linked): `watch(control, fallback)` when the action starts; once a render of this
 * component has taken `control` off the page, and the focus fell with it, `fallback()` takes the focus
 * (the list the person was working in, the row's new link). Watching another control forgets the first.
 */
export function useFocusFallback(): (control: HTMLElement | null, fallback: Fallback) => void {
  const watched = useRef<{ control: HTMLElement; fallback: Fallback } | null>(null);
  // After every render: the control may leave in any of them (the answer, a reload, another page).
  useEffect(() => {
    const current = watched.current;
    if (!current || current.control.isConnected) return;
    watched.current = null;
    if (focusLost()) current.fallback()?.focus();
  });
  return useCallback((control, fallback) => {
    watched.current = control ? { control, fallback } : null;
  }, []);
}
