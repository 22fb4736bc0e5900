import { describe, expect, it } from "vitest";
import { erpSystemName } from "./erpSystems";

describe("ERP system names", () => {
  it("names known systems as their vendors do and leaves others as sent", () => {
    expect(erpSystemName("acumatica")).toBe("Acumatica");
    expect(erpSystemName("sage_intacct")).toBe("Sage Intacct");
    expect(erpSystemName("Foundation")).toBe("Foundation");
  });
});
