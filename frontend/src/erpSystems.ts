// People-facing names of the ERP systems the API identifies by a short id.

import { erpSpec } from "./erpConnections";

// Ids the first version's data used, before the connection table named each ERP.
const LEGACY_NAMES: Record<string, string> = {
  sage_intacct: "Sage Intacct",
  viewpoint_vista: "Viewpoint Vista",
  vista: "Viewpoint Vista",
  quickbooks_online: "QuickBooks Online",
};

/** A known id gets its product name; anything else is shown exactly as the API sent it. */
export function erpSystemName(id: string): string {
  return erpSpec(id)?.name ?? LEGACY_NAMES[id.toLowerCase()] ?? id;
}
