// Batches an isolate's settle records per limiter object and sums them as they come: the
// requests that end together cost the object one call with one bucket update and one
// ledger row per (hour, key). The request whose context sends a batch waits for its call
// in waitUntil, and that wait keeps the isolate, and every record in the batch, alive.

import { rememberLearned } from "./learned-cache.ts";
import type { Limits } from "./rate-limiter.ts";
import { SettleSum, type SettleBatch, type SettleRecord } from "./settle-sum.ts";

export interface SettleTarget {
  /** `learned`: the object's learned reservation after the batch (completion-sketch.ts). */
  settleBatch(batch: SettleBatch): Promise<{ applied: boolean; learned?: number }>;
}

/** Long enough to gather the streams that end together, short against a request's life. */
export const BATCH_WINDOW_MS = 50;
/**
 * The longest window: one settle call costs a fixed share of CPU however few records it
 * carries (0.3-0.4 ms for the call alone, one after another; ~1.3 ms per call under load,
 * docs/benchmarks.md), so where a limiter's batches carry few, each waits longer to carry more.
 * Refunds then reach the buckets up to this much later (under-admission, never over).
 */
export const BATCH_WINDOW_MAX_MS = 200;
/** A batch sent by its timer with fewer records than this doubles the limiter's next window. */
export const BATCH_FEW = 32;
/** Records per batch: bounds what one failed batch can leave unbooked. */
export const BATCH_MAX = 100;

/** Each limiter's current window; a batch that fills to BATCH_MAX sets it back to BATCH_WINDOW_MS. */
const windows = new Map<string, number>();

function nextWindow(name: string, records: number): void {
  const now = windows.get(name) ?? BATCH_WINDOW_MS;
  const next = records >= BATCH_MAX ? BATCH_WINDOW_MS : records < BATCH_FEW ? Math.min(2 * now, BATCH_WINDOW_MAX_MS) : now;
  if (next === BATCH_WINDOW_MS) windows.delete(name);
  else windows.set(name, next);
  if (windows.size > 10_000) windows.clear();
}

interface Open {
  sum: SettleSum;
  timer: ReturnType<typeof setTimeout>;
  done: Promise<void>;
  resolve: () => void;
}
const open = new Map<string, Open>();

const sameLimits = (a: Limits, b: Limits): boolean => a.rpm === b.rpm && a.tpm === b.tpm;

/** Sends one batch; the object applies a batch id once, so a retry is harmless. */
export async function sendBatch(target: SettleTarget, batch: SettleBatch, name?: string): Promise<void> {
  const answer = await target.settleBatch(batch);
  // Lease-served requests reserve what the object learned: keep the isolate's copy fresh.
  if (name !== undefined) rememberLearned(name, answer.learned);
}

/**
 * Where a batch goes when every attempt failed: somewhere durable that a later sweep
 * sends it from (the object applies a batch id once, so a late resend is harmless).
 */
export type ParkBatch = (limiter: string, batch: SettleBatch) => Promise<void>;

async function flush(name: string, batch: Open, target: () => SettleTarget, attempts: number, park: ParkBatch | undefined): Promise<void> {
  clearTimeout(batch.timer);
  if (open.get(name) === batch) open.delete(name);
  nextWindow(name, batch.sum.records);
  const sent = batch.sum.batch();
  for (let attempt = 1; ; attempt++) {
    try {
      // The batch's id makes a retry harmless: the object applies it once.
      await sendBatch(target(), sent, name);
      break;
    } catch (err) {
      if (attempt >= attempts) {
        await parkOrLog(name, sent, batch.sum.records, err, park);
        break;
      }
    }
  }
  batch.resolve();
}

async function parkOrLog(name: string, sent: SettleBatch, records: number, err: unknown, park: ParkBatch | undefined): Promise<void> {
  if (park !== undefined) {
    try {
      await park(name, sent);
      console.log(JSON.stringify({ level: "warn", event: "settle_parked", limiter: name, batch: sent.id, records, error: String(err) }));
      return;
    } catch (parkErr) {
      err = `${String(err)}; parking failed: ${String(parkErr)}`;
    }
  }
  // The last resort: the line carries the batch's counts (no content), to be booked by hand.
  console.log(JSON.stringify({ level: "error", event: "settle_failed", limiter: name, batch: sent.id, records, ledger: sent.ledger, error: String(err) }));
}

/**
 * Adds one request's settle record to the open batch of the named limiter, and returns
 * what the request's `waitUntil` must wait for: the calls its own context makes, or
 * undefined when it makes none. A batch
 * is sent from the context of the request that opened it (its timer's), or of the one
 * whose record fills it or comes under other limits (an override just changed: the open
 * batch goes at once and the next starts); `target` and `park` are that request's. Those
 * requests wait for their call; the others end with their response. The opener's wait
 * keeps the isolate, and with it the batch, alive until the call. Were every request to
 * wait, the call's end would end each request context it carried at once, on the thread
 * the next requests need (the one-connection p99: docs/benchmarks.md).
 */
export function settleBatched(name: string, record: SettleRecord, target: () => SettleTarget, attempts: number, park?: ParkBatch): Promise<void> | undefined {
  // The batch under other limits that this record sends on its way, if any.
  let sent: Promise<void> | undefined;
  let batch = open.get(name);
  if (batch && !sameLimits(batch.sum.limits, record.limits)) {
    void flush(name, batch, target, attempts, park);
    sent = batch.done;
    batch = undefined;
  }
  const opens = batch === undefined;
  if (!batch) {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const created: Open = { sum: new SettleSum(crypto.randomUUID(), record.limits), done, resolve, timer: setTimeout(() => void flush(name, created, target, attempts, park), windows.get(name) ?? BATCH_WINDOW_MS) };
    batch = created;
    open.set(name, batch);
  }
  batch.sum.add(record);
  const fills = batch.sum.records >= BATCH_MAX;
  if (fills) void flush(name, batch, target, attempts, park);
  // A record that sent the old batch on its way opened the next: it waits for both.
  if (sent !== undefined) return Promise.all([sent, batch.done]).then(() => undefined);
  return opens || fills ? batch.done : undefined;
}
