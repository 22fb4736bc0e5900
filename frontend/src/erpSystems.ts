// People-facing names of the ERP systems the API identifies by a short id (the connection's erp_system).

import { erpSpec } from "./erpConnections";

// Ids the first version's data used, before the connection table named each ERP, and sources
// that have no connection row.
const LEGACY_NAMES: Record<string, string> = {
  sage_intacct: "Sage Intacct",
  viewpoint_vista: "Viewpoint Vista",
  vista: "Viewpoint Vista",
  quickbooks_online: "QuickBooks Online",
  spreadsheet: "Spreadsheet import",
};

/** A known id gets its product name; anything else is shown exactly as the API sent it. */
export function erpSystemName(id: string | null | undefined): string {
  if (!id) return "ERP";
  return erpSpec(id)?.name ?? LEGACY_NAMES[id.toLowerCase()] ?? id;
}
