// The one place that names the budget store a company's re-imports write to (the "target").

export const DEFAULT_TARGET_NAME = "Budget Bridge";

const NAMES: Record<string, string> = {
  budget_bridge: DEFAULT_TARGET_NAME,
  procore: "Procore",
};

const SUCCESS = /^Successfully (?:Re-imported|Imported) to (.+?)\.?$/;

/**
 * The target's display name: from a `target` id the API sent, else from a finished job's success
 * message ("Successfully Re-imported to <target>"), else the default store.
 */
export function targetName(source?: { target?: string | null; message?: string | null } | null): string {
  const id = source?.target;
  if (id) return NAMES[id.toLowerCase()] ?? id;
  const match = source?.message ? SUCCESS.exec(source.message.trim()) : null;
  return match ? match[1] : DEFAULT_TARGET_NAME;
}

/** "Current Budget Bridge Total": the Budgets list column and the preview's current total. */
export function currentTotalLabel(target: string): string {
  return `Current ${target} Total`;
}

/** "New Budget Bridge Total On Re-Import" (or "On Import"). */
export function newTotalLabel(target: string, kind: "import" | "reimport"): string {
  return `New ${target} Total On ${kind === "import" ? "Import" : "Re-Import"}`;
}
