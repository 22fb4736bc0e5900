// People-facing names of the ERP systems the API identifies by a short id (the connection's erp_system).

const NAMES: Record<string, string> = {
  acumatica: "Acumatica",
  myob: "MYOB Advanced",
  intacct: "Sage Intacct",
  cmic: "CMiC",
  qbo: "QuickBooks Online",
  xero: "Xero",
  netsuite: "NetSuite",
  workday: "Workday",
  yardi: "Yardi Voyager",
  mri: "MRI",
  spreadsheet: "Spreadsheet",
  // Longer spellings some answers and older data use.
  sage_intacct: "Sage Intacct",
  quickbooks_online: "QuickBooks Online",
  viewpoint_vista: "Viewpoint Vista",
  vista: "Viewpoint Vista",
};

/** A known id gets its product name; anything else is shown exactly as the API sent it. */
export function erpSystemName(id: string | null | undefined): string {
  if (!id) return "ERP";
  return NAMES[id.toLowerCase()] ?? id;
}
