// Folds an isolate's ended requests into what the BudgetObject writes, as they end: one row
// per (hour, key, model), one release per hold. Pure. Summed at the edge, a batch crosses to
// the object as a few rows instead of an entry per request. A row priced once on the sum of
// its tokens is priced exactly as one priced request by request: the row's price is a
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

/** What a settle batch carries to the BudgetObject. */
export interface SettleSum {
  rows: RowSum[];
  /** Requests' own holds, released whole. */
  own: string[];
  /** [lease id, what to take off it]. */
  leases: Array<[string, number]>;
  /** Keys whose spend changed: their budgets' thresholds are checked. */
  keys: string[];
}

/** A batch being gathered: entries are added as their requests end. */
export class SettleSummer {
  count = 0;
  readonly #rows = new Map<string, RowSum>();
  readonly #own: string[] = [];
  readonly #leases = new Map<string, number>();
  readonly #keys = new Set<string>();

  add(e: SettleEntry): void {
    this.count++;
    if (e.hold.kind === "own") this.#own.push(e.hold.id);
    else this.#leases.set(e.hold.id, (this.#leases.get(e.hold.id) ?? 0) + e.hold.release);
    if (e.usage === null) return;
    this.#keys.add(e.keyId);
    const k = `${e.hour}\u0000${e.keyId}\u0000${e.model}`;
    const r = this.#rows.get(k);
    if (r === undefined) this.#rows.set(k, { hour: e.hour, keyId: e.keyId, model: e.model, usage: { prompt_tokens: e.usage.prompt_tokens, completion_tokens: e.usage.completion_tokens }, pricing: e.pricing });
    else {
      r.usage.prompt_tokens += e.usage.prompt_tokens;
      r.usage.completion_tokens += e.usage.completion_tokens;
      r.pricing = e.pricing;
    }
  }

  sum(): SettleSum {
    return { rows: [...this.#rows.values()], own: this.#own, leases: [...this.#leases], keys: [...this.#keys] };
  }
}

export function sumEntries(entries: readonly SettleEntry[]): SettleSum {
  const s = new SettleSummer();
  for (const e of entries) s.add(e);
  return s.sum();
}
