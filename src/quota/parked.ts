// Settle batches the limiter object could not take after every retry, kept in KV until
// the cron's sweep delivers them: a usage record is revenue, and a log line is not a
// ledger. A batch holds counts per key and hour, never content. The object applies a
// batch id once (it remembers applied ids for an hour), so a resend is harmless and
// the sweep, which runs every minute, may retry until the object answers.

import { PARKED_PREFIX, parkedKey } from "../storage/kv-keys.ts";
import { sendBatch, type ParkBatch, type SettleTarget } from "./settle-batch.ts";
import type { SettleBatch } from "./settle-sum.ts";

/** Batches delivered per sweep: bounds one cron run; the rest wait for the next minute. */
export const SWEEP_MAX = 100;

export interface ParkedBatch {
  limiter: string;
  batch: SettleBatch;
  parked_at: number;
}


/** Writes a batch to KV under its own id (a retried park overwrites itself, never duplicates). */
export function parkInKv(kv: KVNamespace): ParkBatch {
  return (limiter, batch) => kv.put(parkedKey(batch.id), JSON.stringify({ limiter, batch, parked_at: Date.now() } satisfies ParkedBatch));
}

const isUnits = (v: unknown): boolean =>
  typeof v === "object" && v !== null && typeof (v as { requests?: unknown }).requests === "number" && typeof (v as { tokens?: unknown }).tokens === "number";

/** A parked entry as written by parkInKv, or null for anything else. */
export function parseParked(value: unknown): ParkedBatch | null {
  if (typeof value !== "object" || value === null) return null;
  const p = value as Partial<ParkedBatch>;
  const b = p.batch as Partial<SettleBatch> | undefined;
  if (typeof p.limiter !== "string" || typeof p.parked_at !== "number" || typeof b !== "object" || b === null) return null;
  const limits = b.limits as { rpm?: unknown; tpm?: unknown } | undefined;
  if (typeof b.id !== "string" || !isUnits(b.net) || !Array.isArray(b.ledger) || typeof limits?.rpm !== "number" || typeof limits.tpm !== "number") return null;
  return p as ParkedBatch;
}

export interface SweepResult {
  delivered: number;
  failed: number;
  corrupt: number;
}

/** Delivers parked batches to their objects, deleting each once its object took it. */
export async function sweepParked(kv: KVNamespace, target: (limiter: string) => SettleTarget): Promise<SweepResult> {
  const result: SweepResult = { delivered: 0, failed: 0, corrupt: 0 };
  const { keys } = await kv.list({ prefix: PARKED_PREFIX, limit: SWEEP_MAX });
  for (const { name } of keys) {
    const raw = await kv.get(name, "text");
    if (raw === null) continue; // delivered by another sweep meanwhile
    let parked: ParkedBatch | null = null;
    try {
      parked = parseParked(JSON.parse(raw));
    } catch {
      // Not JSON: counted as corrupt below.
    }
    if (parked === null) {
      // Nothing can deliver it: the line keeps its counts for booking by hand.
      console.log(JSON.stringify({ level: "error", event: "settle_parked_corrupt", key: name, value: raw.slice(0, 4096) }));
      await kv.delete(name);
      result.corrupt++;
      continue;
    }
    try {
      await sendBatch(target(parked.limiter), parked.batch);
      await kv.delete(name);
      result.delivered++;
    } catch (err) {
      result.failed++;
      console.log(JSON.stringify({ level: "warn", event: "settle_parked_retry_failed", limiter: parked.limiter, batch: parked.batch.id, parked_at: parked.parked_at, error: String(err) }));
    }
  }
  if (keys.length > 0) console.log(JSON.stringify({ level: result.failed + result.corrupt > 0 ? "warn" : "info", event: "settle_parked_sweep", ...result }));
  return result;
}
