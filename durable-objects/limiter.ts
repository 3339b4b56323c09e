// One object per project and model: the single authority for its request and token
// buckets and the ledger of what that pair used, hour by hour and key by key. Thin over
// src/quota/rate-limiter.ts; its clock is the object's own.

import { DurableObject } from "cloudflare:workers";
import { grantWithLease } from "../src/quota/lease.ts";
import { freshState, settle, snapshot, type Decision, type LimiterState, type Limits, type Snapshot, type Units } from "../src/quota/rate-limiter.ts";
import type { LedgerRow } from "../src/usage/ledger.ts";

export const LIMITER_SCHEMA_VERSION = 2;

/** Settled grants are remembered this long so a retried settle is recognised. */
const SETTLED_KEEP_MS = 24 * 3_600_000;
/** A grant never settled (its Worker died) stays charged and is forgotten after this. */
const OPEN_KEEP_MS = 3_600_000;
const PRUNE_EVERY_MS = 600_000;

import type { Returned } from "../src/quota/lease-holder.ts";

export interface AcquireInput {
  /** Unique per request, made by the Worker: the settle call names it again. */
  id: string;
  limits: Limits;
  /** Also grant up to this much more, as the isolate's lease under `lease.id`, if there is room. */
  lease?: { id: string; want: Units };
  /** Leases the isolate gives back (expired or superseded), settled before granting. */
  returned?: Returned[];
  want: Units;
  keyId: string;
  /** The hour (ms since epoch, floored) the request is billed in. */
  hour: number;
}

export interface SettleInput {
  id: string;
  limits: Limits;
  /** Capacity really used, in requests and TPM units. */
  used: Units;
  /**
   * What admission granted this request: its reservation, or nothing when the limiter
   * could not be asked. Absent: looked up from the grant recorded at acquire.
   */
  granted?: Units;
  /** What goes on the bill; null: nothing (the request produced nothing). */
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  keyId: string;
  hour: number;
}

const MIGRATIONS: Record<number, string[]> = {
  2: [
    "CREATE TABLE buckets (name TEXT PRIMARY KEY, credit INTEGER NOT NULL, at INTEGER NOT NULL)",
    `CREATE TABLE grants (id TEXT PRIMARY KEY, requests INTEGER NOT NULL, tokens INTEGER NOT NULL,
       settled INTEGER NOT NULL, at INTEGER NOT NULL)`,
    `CREATE TABLE usage (hour INTEGER NOT NULL, key_id TEXT NOT NULL, requests INTEGER NOT NULL,
       prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, PRIMARY KEY (hour, key_id))`,
  ],
};

export class LimiterObject extends DurableObject<Env> {
  private state: LimiterState | null = null;
  private lastPrune = 0;

  constructor(state: DurableObjectState, env: Env) {
    super(state, env);
    state.blockConcurrencyWhile(async () => {
      const sql = state.storage.sql;
      sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1')");
      let version = this.schemaVersion();
      while (version < LIMITER_SCHEMA_VERSION) {
        version++;
        for (const stmt of MIGRATIONS[version] ?? []) sql.exec(stmt);
        sql.exec("UPDATE meta SET value = ? WHERE key = 'schema_version'", String(version));
      }
      const rows = sql.exec<{ name: string; credit: number; at: number }>("SELECT name, credit, at FROM buckets").toArray();
      const r = rows.find((x) => x.name === "requests");
      const t = rows.find((x) => x.name === "tokens");
      if (r && t) this.state = { requests: { credit: r.credit, at: r.at }, tokens: { credit: t.credit, at: t.at } };
    });
  }

  schemaVersion(): number {
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").one();
    return Number(row.value);
  }

  /**
   * Grants capacity (units of requests and tokens) or refuses it, and with it an edge
   * lease when asked and there is room; leases given back are settled first.
   */
  acquire(input: AcquireInput): Decision & { lease?: Units } {
    const now = Date.now();
    for (const r of input.returned ?? []) {
      this.settle({ id: r.id, limits: input.limits, granted: r.granted, used: r.used, usage: null, keyId: "", hour: 0 });
    }
    const { state, decision, lease } = grantWithLease(input.limits, this.current(input.limits, now), input.want, input.lease?.want, now);
    if (lease && input.lease) this.recordGrant(input.lease.id, lease, now);
    this.save(state);
    if (decision.kind === "granted") this.recordGrant(input.id, input.want, now);
    this.prune(now);
    return lease ? { ...decision, lease } : decision;
  }

  private recordGrant(id: string, units: Units, now: number): void {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO grants (id, requests, tokens, settled, at) VALUES (?, ?, ?, 0, ?)", id, units.requests, units.tokens, now);
  }

  /** The counters as they stand, spending nothing: for a request refused before admission. */
  peek(limits: Limits): Snapshot {
    const now = Date.now();
    return snapshot(limits, this.current(limits, now), now);
  }

  /** Settles a batch of requests that ended together: one round trip for all of them. */
  settleMany(inputs: SettleInput[]): { applied: number } {
    let applied = 0;
    for (const input of inputs) if (this.settle(input).applied) applied++;
    return { applied };
  }

  /**
   * Settles a grant against real use and books it, exactly once per id. A settle
   * without a grant (the limiter was unreachable at admission) charges all it used.
   */
  settle(input: SettleInput): { applied: boolean } {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    const grant = sql.exec<{ requests: number; tokens: number; settled: number }>("SELECT requests, tokens, settled FROM grants WHERE id = ?", input.id).toArray()[0];
    if (grant?.settled === 1) return { applied: false };
    const granted: Units = input.granted ?? (grant ? { requests: grant.requests, tokens: grant.tokens } : { requests: 0, tokens: 0 });
    this.save(settle(input.limits, this.current(input.limits, now), granted, input.used, now));
    sql.exec("INSERT OR REPLACE INTO grants (id, requests, tokens, settled, at) VALUES (?, ?, ?, 1, ?)", input.id, granted.requests, granted.tokens, now);
    if (input.usage !== null) {
      sql.exec(
        `INSERT INTO usage (hour, key_id, requests, prompt_tokens, completion_tokens) VALUES (?, ?, 1, ?, ?)
         ON CONFLICT (hour, key_id) DO UPDATE SET requests = requests + 1,
           prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens`,
        input.hour,
        input.keyId,
        input.usage.prompt_tokens,
        input.usage.completion_tokens,
      );
    }
    return { applied: true };
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

  private current(limits: Limits, now: number): LimiterState {
    this.state ??= freshState(limits, now);
    return this.state;
  }

  private save(s: LimiterState): void {
    this.state = s;
    const sql = this.ctx.storage.sql;
    sql.exec("INSERT OR REPLACE INTO buckets (name, credit, at) VALUES ('requests', ?, ?)", s.requests.credit, s.requests.at);
    sql.exec("INSERT OR REPLACE INTO buckets (name, credit, at) VALUES ('tokens', ?, ?)", s.tokens.credit, s.tokens.at);
  }

  private prune(now: number): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.ctx.storage.sql.exec(
      "DELETE FROM grants WHERE (settled = 1 AND at < ?) OR (settled = 0 AND at < ?)",
      now - SETTLED_KEEP_MS,
      now - OPEN_KEEP_MS,
    );
  }
}
