// Batches an isolate's settle calls per limiter object: requests that end together share
// one round trip, so under load the object does about half the calls. Every request's
// waitUntil awaits the flush that carries its record, so eviction cannot drop one.

import type { SettleInput } from "../../durable-objects/limiter.ts";

export interface SettleTarget {
  settleMany(inputs: SettleInput[]): Promise<{ applied: number }>;
}

/** Long enough to gather the streams that end together, short against a request's life. */
export const BATCH_WINDOW_MS = 5;
export const BATCH_MAX = 100;

interface Batch {
  items: SettleInput[];
  timer: ReturnType<typeof setTimeout>;
  done: Promise<void>;
  resolve: () => void;
}
const open = new Map<string, Batch>();

async function flush(name: string, batch: Batch, target: () => SettleTarget, attempts: number): Promise<void> {
  clearTimeout(batch.timer);
  if (open.get(name) === batch) open.delete(name);
  for (let attempt = 1; ; attempt++) {
    try {
      // Ids make a retried batch harmless: the object applies each record once.
      await target().settleMany(batch.items);
      break;
    } catch (err) {
      if (attempt >= attempts) {
        console.log(JSON.stringify({ level: "error", event: "settle_failed", limiter: name, records: batch.items.length, error: String(err) }));
        break;
      }
    }
  }
  batch.resolve();
}

/**
 * Queues one settle record for the named limiter. `target` is called when the batch is
 * sent, in the context of the request that opened the batch (which awaits it too).
 */
export function settleBatched(name: string, input: SettleInput, target: () => SettleTarget, attempts: number): Promise<void> {
  let batch = open.get(name);
  if (!batch) {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const created: Batch = { items: [], done, resolve, timer: setTimeout(() => void flush(name, created, target, attempts), BATCH_WINDOW_MS) };
    batch = created;
    open.set(name, batch);
  }
  batch.items.push(input);
  if (batch.items.length >= BATCH_MAX) void flush(name, batch, target, attempts);
  return batch.done;
}
