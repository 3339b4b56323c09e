// Settle records summed into one batch for the limiter object: the net difference for the
// buckets and one ledger increment per (hour, key), so the object's work per batch grows
// with the ledger rows it touches, not with the requests in it.

import type { LedgerRow } from "../usage/ledger.ts";
import type { Usage } from "../streaming/usage.ts";
import { binOf, emptySketch } from "./completion-sketch.ts";
import type { Limits, Units } from "./rate-limiter.ts";

/** One finished request, as admission hands it over. */
export interface SettleRecord {
  limits: Limits;
  /** What admission took for it: its reservation, or nothing when the limiter could not be asked. */
  granted: Units;
  /** Capacity really used, in requests and TPM units. */
  used: Units;
  /** What goes on the bill; null: nothing (the request produced nothing). */
  usage: Usage | null;
  keyId: string;
  /** The hour (ms since epoch, floored) the request is billed in. */
  hour: number;
  /** Completion tokens per choice of a completed request without max_tokens: what the limiter learns from. */
  sample?: number;
}

/** What the object applies, in one call and exactly once. */
export interface SettleBatch {
  /** Unique per batch: a retry sends it again, and the object applies it once. */
  id: string;
  limits: Limits;
  /** Sum of granted - used over the records: given back when positive, charged when negative. */
  net: Units;
  /** What the records add to the ledger: one row per (hour, key) among those with usage. */
  ledger: LedgerRow[];
  /** Completion samples per bin of completion-sketch.ts, when the batch has any. */
  completions?: number[];
}

/** A batch being filled: records of one limiter object under the same limits. */
export class SettleSum {
  readonly id: string;
  readonly limits: Limits;
  records = 0;
  readonly #net: Units = { requests: 0, tokens: 0 };
  readonly #rows = new Map<string, LedgerRow>();
  #last: LedgerRow | undefined;
  #samples: number[] | null = null;

  constructor(id: string, limits: Limits) {
    this.id = id;
    this.limits = limits;
  }

  add(r: SettleRecord): void {
    this.records++;
    this.#net.requests += r.granted.requests - r.used.requests;
    this.#net.tokens += r.granted.tokens - r.used.tokens;
    if (r.sample !== undefined) (this.#samples ??= emptySketch())[binOf(r.sample)]!++;
    // A request that produced nothing is not billed, and not counted as a request either.
    if (r.usage === null) return;
    // Most batches hold one key in one hour: try the row touched last before building a key.
    const last = this.#last;
    const row = last !== undefined && last.hour === r.hour && last.keyId === r.keyId ? last : this.#rows.get(`${r.hour} ${r.keyId}`);
    if (row) {
      row.requests++;
      row.promptTokens += r.usage.prompt_tokens;
      row.completionTokens += r.usage.completion_tokens;
      this.#last = row;
    } else {
      this.#last = { hour: r.hour, keyId: r.keyId, requests: 1, promptTokens: r.usage.prompt_tokens, completionTokens: r.usage.completion_tokens };
      this.#rows.set(`${r.hour} ${r.keyId}`, this.#last);
    }
  }

  batch(): SettleBatch {
    const completions = this.#samples ? { completions: [...this.#samples] } : {};
    return { id: this.id, limits: this.limits, net: { ...this.#net }, ledger: [...this.#rows.values()].map((r) => ({ ...r })), ...completions };
  }
}
