// People-facing names of the ERP systems the API identifies by a short id.

const NAMES: Record<string, string> = {
  acumatica: "Acumatica",
  sage_intacct: "Sage Intacct",
  cmic: "CMiC",
  viewpoint_vista: "Viewpoint Vista",
  vista: "Viewpoint Vista",
  quickbooks_online: "QuickBooks Online",
  xero: "Xero",
  netsuite: "NetSuite",
  workday: "Workday",
  yardi: "Yardi Voyager",
  mri: "MRI Platform X",
  spreadsheet: "Spreadsheet import",
};

/** A known id gets its product name; anything else is shown exactly as the API sent it. */
export function erpSystemName(id: string): string {
  return NAMES[id.toLowerCase()] ?? id;
}
