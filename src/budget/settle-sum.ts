// Folds a batch of ended requests into what the BudgetObject writes: one row update per
// (hour, key, model), one release per hold. Pure. A row priced once on the sum of its
// tokens is priced exactly as one priced request by request: the row's price is a
// function of its token totals.

import type { Usage } from "../streaming/usage.ts";
import type { Pricing } from "../usage/report.ts";
import type { SettleEntry } from "./types.ts";

export interface RowSum {
  hour: number;
  keyId: string;
  model: string;
  usage: Usage;
  pricing: Pricing;
}

export interface SettleSum {
  rows: RowSum[];
  /** Requests' own holds, released whole. */
  own: string[];
  /** Lease id -> what to take off it. */
  leases: Map<string, number>;
  /** Keys whose spend changed: their budgets' thresholds are checked. */
  keys: Set<string>;
}

export function sumEntries(entries: readonly SettleEntry[]): SettleSum {
  const rows = new Map<string, RowSum>();
  const own: string[] = [];
  const leases = new Map<string, number>();
  const keys = new Set<string>();
  for (const e of entries) {
    if (e.hold.kind === "own") own.push(e.hold.id);
    else leases.set(e.hold.id, (leases.get(e.hold.id) ?? 0) + e.hold.release);
    if (e.usage === null) continue;
    keys.add(e.keyId);
    const k = `${e.hour}\u0000${e.keyId}\u0000${e.model}`;
    const r = rows.get(k);
    if (r === undefined) rows.set(k, { hour: e.hour, keyId: e.keyId, model: e.model, usage: { ...e.usage }, pricing: e.pricing });
    else {
      r.usage.prompt_tokens += e.usage.prompt_tokens;
      r.usage.completion_tokens += e.usage.completion_tokens;
      r.pricing = e.pricing;
    }
  }
  return { rows: [...rows.values()], own, leases, keys };
}
