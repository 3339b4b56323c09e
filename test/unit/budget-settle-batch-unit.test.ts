import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BATCH_WINDOW_MS, LEASE_BATCH_WINDOW_MS, settleBudgetBatched, type BatchTarget } from "../../src/budget/settle-batch.ts";
import type { SettleBatchInput, SettleEntry } from "../../src/budget/types.ts";

const PRICE = { input_per_million: 1, output_per_million: 2, currency: "EUR" };
const entry = (hold: SettleEntry["hold"], tokens = 10): SettleEntry => ({ keyId: "k", model: "m", hour: 0, usage: { prompt_tokens: tokens, completion_tokens: 1 }, pricing: PRICE, hold });

function target(): BatchTarget & { sent: SettleBatchInput[] } {
  const sent: SettleBatchInput[] = [];
  return { sent, settleBatch: (b) => (sent.push(b), Promise.resolve({ applied: true })) };
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe("budget settle batches", () => {
  it("sends requests with their own holds within BATCH_WINDOW_MS, lease-served ones within LEASE_BATCH_WINDOW_MS", async () => {
    const project = `p-${crypto.randomUUID()}`;
    const t = target();
    const none = () => [];
    const own = settleBudgetBatched(project, entry({ kind: "own", id: "h1" }), () => t, none);
    const leased = [1, 2, 3].map(() => settleBudgetBatched(project, entry({ kind: "lease", id: "L", release: 5 }), () => t, none));
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS);
    await own;
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]).toMatchObject({ own: ["h1"], leases: [], rows: [{ usage: { prompt_tokens: 10, completion_tokens: 1 } }] });
    await vi.advanceTimersByTimeAsync(LEASE_BATCH_WINDOW_MS - BATCH_WINDOW_MS - 1);
    expect(t.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(leased);
    // Three requests, one row and one lease release: summed before the call.
    expect(t.sent[1]).toMatchObject({ own: [], leases: [["L", 15]], keys: ["k"], rows: [{ usage: { prompt_tokens: 30, completion_tokens: 3 } }] });
  });
});
