// One object per project and model: the single authority for its request and token
// buckets and the ledger of what that pair used, hour by hour and key by key. Thin over
// src/quota/rate-limiter.ts; its clock is the object's own.

import { DurableObject } from "cloudflare:workers";
import { addCounts, emptySketch, hasLearned, quantilePerChoice, reservedPerChoice, type Sketch } from "../src/quota/completion-sketch.ts";
import { COMPLETION_WEIGHT } from "../src/quota/estimate.ts";
import { grantWithLease, returnLease } from "../src/quota/lease.ts";
import type { Returned } from "../src/quota/lease-holder.ts";
import { freshState, settleNet, snapshot, type Decision, type LimiterState, type Limits, type Snapshot, type Units } from "../src/quota/rate-limiter.ts";
import type { SettleBatch } from "../src/quota/settle-sum.ts";
import { latestVersion, migrate, storedVersion, type Migration } from "../src/storage/migrate.ts";
import type { LedgerRow } from "../src/usage/ledger.ts";

/**
 * Applied batch ids are remembered this long so a retry is recognised. A retry comes from
 * the waitUntil that sent the batch, which the runtime ends within seconds of the response.
 */
const SETTLED_KEEP_MS = 3_600_000;
const PRUNE_EVERY_MS = 600_000;

export interface AcquireInput {
  limits: Limits;
  /** Also grant up to this much more, as the isolate's lease under `lease.id`, if there is room. */
  lease?: { id: string; want: Units };
  /** Leases the isolate gives back (expired or superseded), settled before granting. */
  returned?: Returned[];
  want: Units;
  /**
   * A request whose completion the caller did not bound: `want` was made with the isolate's
   * last copy of the learned reservation, and the object remakes it with its own.
   */
  unbounded?: { prompt: number; choices: number };
  /** The caller may wait this long to be admitted (Prefer: wait, capped by the operator). */
  maxWaitMs?: number;
  /** The model's expected_completion_tokens from the catalog: reserved per choice until enough is learned. */
  prior?: number;
}

/** The answer: the decision, the lease if one was granted, and the reservation per choice (learned, else the prior). */
export type AcquireAnswer = Decision & { lease?: Units; learned: number; startInMs?: number };

/**
 * Tables (all counts are integers):
 * - buckets: the request and token buckets, `credit` in thousandths of a unit so the
 *   refill (limit per minute) stays exact, `at` the unix ms it was last computed at.
 * - usage: the ledger, one row per (hour, key): hour start in unix ms, requests, prompt
 *   and completion tokens. The usage API reads it; nothing deletes it.
 * - settled: ids of applied settle batches and when (unix ms), kept an hour so a retry is
 *   recognised. WITHOUT ROWID: one b-tree to write per batch, not a table and an index.
 * - completions: the learned reservation's histogram of completion tokens per choice of
 *   requests without max_tokens (src/quota/completion-sketch.ts): bin, decayed weight.
 */
export const LIMITER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      "CREATE TABLE buckets (name TEXT PRIMARY KEY, credit INTEGER NOT NULL, at INTEGER NOT NULL)",
      "CREATE TABLE usage (hour INTEGER NOT NULL, key_id TEXT NOT NULL, requests INTEGER NOT NULL," +
         " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, PRIMARY KEY (hour, key_id))",
      "CREATE TABLE settled (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID",
    ],
  },
  // What requests without max_tokens really generated: the learned reservation's histogram.
  { version: 2, statements: ["CREATE TABLE completions (bin INTEGER PRIMARY KEY, weight REAL NOT NULL) WITHOUT ROWID"] },
];

export const LIMITER_SCHEMA_VERSION = latestVersion(LIMITER_MIGRATIONS);

export class LimiterObject extends DurableObject<Env> {
  #state: LimiterState | null = null;
  #lastPrune = 0;
  #sketch: Sketch = emptySketch();

  constructor(state: DurableObjectState, env: Env) {
    super(state, env);
    state.blockConcurrencyWhile(async () => {
      migrate(state.storage, LIMITER_MIGRATIONS);
      const rows = state.storage.sql.exec<{ name: string; credit: number; at: number }>("SELECT name, credit, at FROM buckets").toArray();
      const r = rows.find((x) => x.name === "requests");
      const t = rows.find((x) => x.name === "tokens");
      // Held leases are not stored: they live seconds, and an object restarts far less often.
      if (r && t) this.#state = { requests: { credit: r.credit, at: r.at }, tokens: { credit: t.credit, at: t.at }, held: [] };
      for (const row of state.storage.sql.exec<{ bin: number; weight: number }>("SELECT bin, weight FROM completions")) {
        if (row.bin < this.#sketch.length) this.#sketch[row.bin] = row.weight;
      }
    });
  }

  schemaVersion(): number {
    return storedVersion(this.ctx.storage.sql);
  }

  /**
   * Grants capacity (units of requests and tokens) or refuses it, and with it an edge
   * lease when asked and there is room; leases given back are settled first.
   */
  acquire(input: AcquireInput): AcquireAnswer {
    const now = Date.now();
    let state = this.#current(input.limits, now);
    // A lease's parts always come back together, so the first part's id names the return.
    const returned = input.returned ?? [];
    if (returned.length > 0 && this.#firstTime(returned[0]!.id, now)) state = returnLease(input.limits, state, returned, now);
    const learned = reservedPerChoice(this.#sketch, input.prior);
    const u = input.unbounded;
    const want = u ? { requests: input.want.requests, tokens: u.prompt + COMPLETION_WEIGHT * learned * u.choices } : input.want;
    const { state: next, decision, lease } = grantWithLease(input.limits, state, want, input.lease, now, input.maxWaitMs ?? 0);
    this.#save(next);
    this.#prune(now);
    const wait = decision.kind === "granted" && decision.startAt !== undefined ? { startInMs: decision.startAt - now } : {};
    return { ...decision, ...(lease ? { lease } : {}), learned, ...wait };
  }

  /** The counters as they stand, spending nothing: for a request refused before admission. */
  peek(limits: Limits): Snapshot {
    const now = Date.now();
    return snapshot(limits, this.#current(limits, now), now);
  }

  /**
   * Settles a batch of requests that ended together and books them, exactly once per
   * batch id: one statement to recognise it, one for the buckets, one per ledger row.
   */
  settleBatch(batch: SettleBatch): { applied: boolean; learned?: number } {
    const now = Date.now();
    if (!this.#firstTime(batch.id, now)) return { applied: false, ...this.#learnedSoFar() };
    this.#save(settleNet(batch.limits, this.#current(batch.limits, now), batch.net, now));
    for (const row of batch.ledger) this.#book(row);
    if (batch.completions) this.#learn(batch.completions);
    this.#prune(now);
    return { applied: true, ...this.#learnedSoFar() };
  }

  /** The learned reservation once there is one; before, the isolate keeps the catalog's prior (a batch does not carry it). */
  #learnedSoFar(): { learned?: number } {
    return hasLearned(this.#sketch) ? { learned: reservedPerChoice(this.#sketch) } : {};
  }

  /** Ledger rows with start hour in [fromHour, toHour). */
  usage(range: { fromHour: number; toHour: number }): LedgerRow[] {
    return this.ctx.storage.sql
      .exec<{ hour: number; key_id: string; requests: number; prompt_tokens: number; completion_tokens: number }>(
        "SELECT hour, key_id, requests, prompt_tokens, completion_tokens FROM usage WHERE hour >= ? AND hour < ? ORDER BY hour, key_id",
        range.fromHour,
        range.toHour,
      )
      .toArray()
      .map((r) => ({ hour: r.hour, keyId: r.key_id, requests: r.requests, promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens }));
  }

  /** The reservation as it stands (with this prior), the p99 the docs' bound speaks of, and the histogram: for tests and operators. */
  learnedReservation(prior?: number): { perChoice: number; p99: number; sketch: Sketch } {
    return { perChoice: reservedPerChoice(this.#sketch, prior), p99: quantilePerChoice(this.#sketch), sketch: [...this.#sketch] };
  }

  /**
   * Adds a batch's completion samples to the histogram and writes the bins that changed:
   * those the batch has samples in (a statement or two), every bin only when it halved.
   */
  #learn(counts: readonly number[]): void {
    const before = this.#sketch;
    this.#sketch = addCounts(before, counts);
    this.#sketch.forEach((w, bin) => {
      if (w !== before[bin]) this.ctx.storage.sql.exec("INSERT OR REPLACE INTO completions (bin, weight) VALUES (?, ?)", bin, w);
    });
  }

  /** Records `id` as applied; false if it already was. */
  #firstTime(id: string, now: number): boolean {
    return this.ctx.storage.sql.exec("INSERT OR IGNORE INTO settled (id, at) VALUES (?, ?)", id, now).rowsWritten > 0;
  }

  #book(row: LedgerRow): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO usage (hour, key_id, requests, prompt_tokens, completion_tokens) VALUES (?, ?, ?, ?, ?)" +
       " ON CONFLICT (hour, key_id) DO UPDATE SET requests = requests + excluded.requests," +
       " prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens",
      row.hour,
      row.keyId,
      row.requests,
      row.promptTokens,
      row.completionTokens,
    );
  }

  #current(limits: Limits, now: number): LimiterState {
    this.#state ??= freshState(limits, now);
    return this.#state;
  }

  #save(s: LimiterState): void {
    this.#state = s;
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO buckets (name, credit, at) VALUES ('requests', ?, ?), ('tokens', ?, ?)",
      s.requests.credit,
      s.requests.at,
      s.tokens.credit,
      s.tokens.at,
    );
  }

  #prune(now: number): void {
    if (now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    this.ctx.storage.sql.exec("DELETE FROM settled WHERE at < ?", now - SETTLED_KEEP_MS);
  }
}
