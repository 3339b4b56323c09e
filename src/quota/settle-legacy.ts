// The previous version's settle call, `settleMany` with one record per request, both ways
// round while a deploy rolls out: Workers still on it call objects already on batches, and
// an object keeps its old code for up to minutes after a deploy while new Workers call it.
// Remove once no Worker or object of the previous version can be running.

import type { Usage } from "../streaming/usage.ts";
import type { Limits, Units } from "./rate-limiter.ts";
import { SettleSum, type SettleBatch } from "./settle-sum.ts";

export interface LegacySettleInput {
  id: string;
  limits: Limits;
  used: Units;
  /** Sent by every Worker since edge leases; one older than that is taken to have reserved nothing. */
  granted?: Units;
  usage: Usage | null;
  keyId: string;
  hour: number;
}

const NONE: Units = { requests: 0, tokens: 0 };

/**
 * An old Worker's records as one batch. Its id is the first record's: a retry repeats the
 * same records in the same order, and old code marked that id settled too (migration 3
 * keeps the recent ones), so a batch the old object applied is known to the new one.
 */
export function batchOfLegacy(inputs: readonly LegacySettleInput[]): SettleBatch | null {
  const first = inputs[0];
  if (!first) return null;
  // Limits are per record in the old format; the newest ones size the buckets.
  const sum = new SettleSum(first.id, inputs[inputs.length - 1]!.limits);
  for (const i of inputs) sum.add({ limits: i.limits, granted: i.granted ?? NONE, used: i.used, usage: i.usage, keyId: i.keyId, hour: i.hour });
  return sum.batch();
}

/**
 * A batch as old records that book exactly the same: the net difference on the first,
 * which carries the batch's id (so whichever object sees a retry recognises it), and one
 * record per billed request, the row's tokens on the first of each row.
 */
export function legacyRecords(b: SettleBatch): LegacySettleInput[] {
  const pos = (n: number): number => Math.max(0, n);
  const out: LegacySettleInput[] = [
    {
      id: b.id,
      limits: b.limits,
      granted: { requests: pos(b.net.requests), tokens: pos(b.net.tokens) },
      used: { requests: pos(-b.net.requests), tokens: pos(-b.net.tokens) },
      usage: null,
      keyId: "",
      hour: 0,
    },
  ];
  for (const row of b.ledger) {
    for (let i = 0; i < row.requests; i++) {
      const usage = i === 0 ? { prompt_tokens: row.promptTokens, completion_tokens: row.completionTokens } : { prompt_tokens: 0, completion_tokens: 0 };
      out.push({ id: `${b.id}:${out.length}`, limits: b.limits, granted: NONE, used: NONE, usage, keyId: row.keyId, hour: row.hour });
    }
  }
  return out;
}

/** How workerd answers a call to a method the object's code does not have (yet). */
export const isMissingMethod = (err: unknown): boolean => err instanceof Error && err.message.includes("does not implement");
