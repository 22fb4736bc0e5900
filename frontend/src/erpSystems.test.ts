import { describe, expect, it } from "vitest";
import { erpSystemName } from "./erpSystems";

describe("ERP system names", () => {
  it("names every supported system as its vendor does", () => {
    expect(
      ["acumatica", "myob", "intacct", "cmic", "qbo", "xero", "netsuite", "workday", "yardi", "mri", "spreadsheet"].map(
        erpSystemName,
      ),
    ).toEqual([
      "Acumatica",
      "MYOB Advanced Construction",
      "Sage Intacct",
      "CMiC",
      "QuickBooks Online",
      "Xero",
      "Oracle NetSuite",
      "Workday",
      "Yardi Voyager",
      "MRI Platform X",
      "Spreadsheet import",
    ]);
  });

  it("ignores case and leaves unknown systems as sent", () => {
    expect(erpSystemName("Acumatica")).toBe("Acumatica");
    expect(erpSystemName("sage_intacct")).toBe("Sage Intacct");
    expect(erpSystemName("Foundation")).toBe("Foundation");
    expect(erpSystemName(null)).toBe("ERP");
  });
});
