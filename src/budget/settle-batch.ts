// Batches an isolate's ended requests per project: the requests that end together cost the
// BudgetObject one call and one transaction, summed per row as they end (settle-sum.ts).
// Every request's waitUntil awaits the flush that carries its entry, so eviction cannot drop
// one; a retried batch is applied once.

import type { Returned } from "./lease-holder.ts";
import { SettleSummer } from "./settle-sum.ts";
import type { SettleBatchInput, SettleEntry } from "./types.ts";

export interface BatchTarget {
  settleBatch(batch: SettleBatchInput): Promise<{ applied: boolean }>;
}

/**
 * Requests that held their own worst case at the object (near the end of a budget): their
 * holds keep others out until booked, so they go soon, gathering what ends together.
 */
export const BATCH_WINDOW_MS = 50;
/**
 * Requests served from a lease: the object holds the whole lease meanwhile, so waiting
 * changes no decision (only when the spend shows and alerts fire), and a busy isolate pays
 * one call and one transaction per second instead of twenty.
 */
export const LEASE_BATCH_WINDOW_MS = 1_000;
/** Entries per batch: bounds what one failed batch can leave unbooked (it is logged, summed). */
export const BATCH_MAX = 500;
const ATTEMPTS = 3;

interface Open {
  summer: SettleSummer;
  timer: ReturnType<typeof setTimeout>;
  done: Promise<void>;
  resolve: () => void;
}
/** `project` (own holds) or `project NUL lease` -> its open batch. */
const open = new Map<string, Open>();

async function flush(slot: string, projectId: string, batch: Open, target: () => BatchTarget, returned: (projectId: string) => Returned[]): Promise<void> {
  clearTimeout(batch.timer);
  if (open.get(slot) === batch) open.delete(slot);
  const sent: SettleBatchInput = { id: crypto.randomUUID(), projectId, ...batch.summer.sum(), returned: returned(projectId) };
  for (let attempt = 1; ; attempt++) {
    try {
      await target().settleBatch(sent);
      break;
    } catch (err) {
      if (attempt >= ATTEMPTS) {
        // The holds expire at the object (HOLD_MS); this line is what is missing from the month's spend.
        const usage = sent.rows.map((r) => ({ key_id: r.keyId, model: r.model, hour: r.hour, usage: r.usage }));
        console.log(JSON.stringify({ level: "error", event: "budget_settle_failed", project_id: projectId, batch: sent.id, usage, error: String(err) }));
        break;
      }
    }
  }
  batch.resolve();
}

/** What a request whose context sends no batch waits for: nothing. */
const JOINED: Promise<void> = Promise.resolve();

/**
 * Adds one ended request to its project's open batch (one for own holds, one for leases),
 * and returns what its `waitUntil` must wait for. A batch is sent from the context of the
 * request that opened it (its timer's), or of the one whose entry fills it; `target` and
 * `returned` (the leases to hand back with it) are that request's. Only those two wait for
 * the call, as for the limiter's batches (src/quota/settle-batch.ts): a lease batch carries
 * up to a second of requests, whose contexts would otherwise all end at once when it is sent.
 */
export function settleBudgetBatched(projectId: string, entry: SettleEntry, target: () => BatchTarget, returned: (projectId: string) => Returned[]): Promise<void> {
  const leased = entry.hold.kind === "lease";
  const slot = leased ? `${projectId}\u0000lease` : projectId;
  let batch = open.get(slot);
  let sends = false;
  if (!batch) {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const created: Open = { summer: new SettleSummer(), done, resolve, timer: setTimeout(() => void flush(slot, projectId, created, target, returned), leased ? LEASE_BATCH_WINDOW_MS : BATCH_WINDOW_MS) };
    batch = created;
    open.set(slot, batch);
    sends = true;
  }
  batch.summer.add(entry);
  if (batch.summer.count >= BATCH_MAX) {
    void flush(slot, projectId, batch, target, returned);
    sends = true;
  }
  return sends ? batch.done : JOINED;
}
