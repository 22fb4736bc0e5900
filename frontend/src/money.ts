// Display of decimal strings (money, quantities) without ever passing through a float.

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

function group(integer: string): string {
  const digits = integer.replace(/^0+(?=\d)/, "") || "0";
  // Walk from the right so "1234567" becomes "1,234,567" whatever its length.
  let out = "";
  for (let i = digits.length; i > 0; i -= 3) {
    const chunk = digits.slice(Math.max(0, i - 3), i);
    out = out ? `${chunk},${out}` : chunk;
  }
  return out;
}

/**
 * "1234567.8" -> "1,234,567.80". At least `minDecimals` places; more are kept (trailing zeros
 * beyond the minimum dropped) because a display must never round away what the server stored.
 * Anything that is not a plain decimal is returned unchanged so nothing is silently hidden.
 */
export function formatDecimal(value: string | null | undefined, minDecimals = 2): string {
  if (value === null || value === undefined) return "";
  const text = String(value).trim();
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) return text;
  const [, sign, integer, fraction = ""] = match;
  let decimals = fraction.replace(/0+$/, "");
  if (decimals.length < minDecimals) decimals = decimals.padEnd(minDecimals, "0");
  const isZero = /^0*$/.test(integer) && /^0*$/.test(fraction);
  const prefix = sign === "-" && !isZero ? "-" : "";
  return `${prefix}${group(integer)}${decimals ? `.${decimals}` : ""}`;
}

export function formatMoney(value: string | null | undefined): string {
  return formatDecimal(value, 2);
}

/** Quantities have no fixed number of places: "12.500" -> "12.5", "1000" -> "1,000". */
export function formatQuantity(value: string | null | undefined): string {
  return formatDecimal(value, 0);
}

function scaled(value: string, places: number): bigint | null {
  const match = DECIMAL.exec(value.trim());
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) return null;
  const [, sign, integer, fraction = ""] = match;
  const digits = BigInt((integer || "0") + fraction.padEnd(places, "0"));
  return sign === "-" ? -digits : digits;
}

/**
 * `after - before` of two decimal strings, exactly (BigInt, never a float): "1500.00" - "1250.5"
 * -> "249.50"; a missing `before` counts as 0. Null when either is not a plain decimal.
 */
export function decimalDifference(after: string, before: string | null | undefined): string | null {
  const places = Math.max(2, ...[after, before ?? "0"].map((v) => (v.split(".")[1] ?? "").trim().length));
  const a = scaled(after, places);
  const b = scaled(before ?? "0", places);
  if (a === null || b === null) return null;
  const diff = a - b;
  const negative = diff < 0n;
  const digits = (negative ? -diff : diff).toString().padStart(places + 1, "0");
  const text = `${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
  return negative ? `-${text}` : text;
}

/** A signed amount for a Difference column: "+249.50", "-1,000.00", "0.00". */
export function formatDifference(value: string | null): string {
  if (value === null) return "";
  const text = formatMoney(value);
  return /^[1-9]|^0\.\d*[1-9]/.test(text) ? `+${text}` : text;
}
