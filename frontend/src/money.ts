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
