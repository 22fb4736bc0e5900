// Editing the cost catalog in the page before it is sent whole (the API replaces the catalog).

import type { CatalogEntry, CostCatalog } from "./types";

export type CatalogKind = "cost_codes" | "cost_types";

export const KIND_NAMES: Record<CatalogKind, { one: string; many: string }> = {
  cost_codes: { one: "Cost Code", many: "Cost codes" },
  cost_types: { one: "Cost Type", many: "Cost types" },
};

/** The catalog with one more entry, or the sentence that says why not. */
export function withEntry(catalog: CostCatalog, kind: CatalogKind, entry: CatalogEntry): CostCatalog | string {
  const code = entry.code.trim();
  const name = KIND_NAMES[kind].one.toLowerCase();
  if (!code) return `Enter the ${name} to add.`;
  if (catalog[kind].some((e) => e.code === code)) return `The catalog already has the ${name} ${code}.`;
  return { ...catalog, [kind]: [...catalog[kind], { code, description: entry.description.trim() }] };
}

export function withoutEntry(catalog: CostCatalog, kind: CatalogKind, code: string): CostCatalog {
  return { ...catalog, [kind]: catalog[kind].filter((e) => e.code !== code) };
}

/** The budget lines an `in_use` refusal names, as "sub job / cost code / cost type". */
export function inUseKeys(details: Record<string, unknown>): string[] {
  const keys = details.keys;
  if (!Array.isArray(keys)) return [];
  return keys.map((key) => {
    if (Array.isArray(key)) return key.map(String).join(" / ");
    if (key && typeof key === "object") {
      const k = key as Record<string, unknown>;
      return [k.sub_job, k.cost_code, k.cost_type].map((part) => String(part ?? "")).join(" / ");
    }
    return String(key);
  });
}
