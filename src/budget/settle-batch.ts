// Batches an isolate's ended requests per project: the requests that end together cost the
// BudgetObject one call and one transaction, summed per row as they end (settle-sum.ts). Every request's waitUntil awaits the flush
// that carries its entry, so eviction cannot drop one; a retried batch is applied once.

import type { Returned } from "./lease-holder.ts";
import { SettleSummer } from "./settle-sum.ts";
import type { SettleBatchInput, SettleEntry } from "./types.ts";

export interface BatchTarget {
  settleBatch(batch: SettleBatchInput): Promise<{ applied: boolean }>;
}

/** Long enough to gather the streams that end together, short against a request's life. */
export const BATCH_WINDOW_MS = 50;
/** Entries per batch: bounds what one failed batch can leave unbooked. */
export const BATCH_MAX = 100;
const ATTEMPTS = 3;

interface Open {
  summer: SettleSummer;
  timer: ReturnType<typeof setTimeout>;
  done: Promise<void>;
  resolve: () => void;
}
const open = new Map<string, Open>();

async function flush(projectId: string, batch: Open, target: () => BatchTarget, returned: (projectId: string) => Returned[]): Promise<void> {
  clearTimeout(batch.timer);
  if (open.get(projectId) === batch) open.delete(projectId);
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

/**
 * Adds one ended request to its project's open batch. `target` is called when the batch
 * is sent, in the context of the request that opened it (which awaits it too);
 * `returned` then gives the leases to hand back with it.
 */
export function settleBudgetBatched(projectId: string, entry: SettleEntry, target: () => BatchTarget, returned: (projectId: string) => Returned[]): Promise<void> {
  let batch = open.get(projectId);
  if (!batch) {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const created: Open = { summer: new SettleSummer(), done, resolve, timer: setTimeout(() => void flush(projectId, created, target, returned), BATCH_WINDOW_MS) };
    batch = created;
    open.set(projectId, batch);
  }
  batch.summer.add(entry);
  if (batch.summer.count >= BATCH_MAX) void flush(projectId, batch, target, returned);
  return batch.done;
}
