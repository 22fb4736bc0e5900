import { describe, expect, it } from "vitest";
import { decimalDifference, formatDifference, formatMoney, formatQuantity } from "./money";

describe("formatMoney", () => {
  it("groups thousands and pads to two decimals", () => {
    expect(formatMoney("1234567.8")).toBe("1,234,567.80");
    expect(formatMoney("1250.00")).toBe("1,250.00");
    expect(formatMoney("12")).toBe("12.00");
    expect(formatMoney("999.5")).toBe("999.50");
  });

  it("keeps the sign of negative amounts", () => {
    expect(formatMoney("-1234.5")).toBe("-1,234.50");
    expect(formatMoney("-0.01")).toBe("-0.01");
  });

  it("shows zero without a sign", () => {
    expect(formatMoney("0")).toBe("0.00");
    expect(formatMoney("-0.00")).toBe("0.00");
    expect(formatMoney(".5")).toBe("0.50");
  });

  it("keeps every digit of amounts a float would round", () => {
    expect(formatMoney("999999999999.99")).toBe("999,999,999,999.99");
    expect(formatMoney("-999999999999.99")).toBe("-999,999,999,999.99");
    expect(formatMoney("12345678901234567890.12")).toBe("12,345,678,901,234,567,890.12");
    expect(formatMoney("0.10")).toBe("0.10");
  });

  it("never rounds away decimals the server sent", () => {
    expect(formatMoney("1.005")).toBe("1.005");
    expect(formatMoney("2.1000")).toBe("2.10");
  });

  it("drops leading zeros of the integer part", () => {
    expect(formatMoney("0001234.5")).toBe("1,234.50");
  });

  it("shows nothing for a missing amount and text it cannot read as it came", () => {
    expect(formatMoney(null)).toBe("");
    expect(formatMoney(undefined)).toBe("");
    expect(formatMoney("NaN")).toBe("NaN");
    expect(formatMoney("1e5")).toBe("1e5");
  });
});

describe("formatQuantity", () => {
  it("groups thousands without forcing decimals", () => {
    expect(formatQuantity("1000")).toBe("1,000");
    expect(formatQuantity("12.500")).toBe("12.5");
    expect(formatQuantity("-2500.25")).toBe("-2,500.25");
  });
});

describe("differences", () => {
  it("subtracts exactly, with no float rounding", () => {
    expect(decimalDifference("1500.00", "1250.5")).toBe("249.50");
    expect(decimalDifference("0.10", "0.20")).toBe("-0.10");
    expect(decimalDifference("999999999999.99", "-999999999999.99")).toBe("1999999999999.98");
    expect(decimalDifference("12.345", "0")).toBe("12.345");
  });

  it("counts a line that was not there as 0", () => {
    expect(decimalDifference("4321.09", null)).toBe("4321.09");
  });

  it("shows the sign a person expects", () => {
    expect(formatDifference("249.50")).toBe("+249.50");
    expect(formatDifference("-1000")).toBe("-1,000.00");
    expect(formatDifference("0.00")).toBe("0.00");
    expect(formatDifference("0.05")).toBe("+0.05");
    expect(formatDifference(null)).toBe("");
  });

  it("answers null for what is not a decimal", () => {
    expect(decimalDifference("abc", "1")).toBeNull();
  });
});
