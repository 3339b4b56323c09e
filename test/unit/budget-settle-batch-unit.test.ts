import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BATCH_MAX, BATCH_WINDOW_MS, LEASE_BATCH_WINDOW_MS, settleBudgetBatched, type BatchTarget } from "../../src/budget/settle-batch.ts";
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

  it("keeps waiting only the requests whose context sends the batch: its opener, and the one that fills it", async () => {
    const project = `w-${crypto.randomUUID()}`;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow: BatchTarget = { settleBatch: async () => held.then(() => ({ applied: true })) };
    const settled: string[] = [];
    const track = (who: string, p: Promise<void>): Promise<void> => p.then(() => void settled.push(who));
    const lease = (): SettleEntry => entry({ kind: "lease", id: "L", release: 5 });
    const opener = track("opener", settleBudgetBatched(project, lease(), () => slow, () => []));
    const joiners = Array.from({ length: BATCH_MAX - 2 }, (_, i) => track(`joiner ${i}`, settleBudgetBatched(project, lease(), () => slow, () => [])));
    const filler = track("filler", settleBudgetBatched(project, lease(), () => slow, () => []));
    await vi.advanceTimersByTimeAsync(0);
    // The full batch is on its way, its call not answered: only the two that send it still wait.
    expect(settled).toHaveLength(BATCH_MAX - 2);
    release();
    await Promise.all([opener, filler, ...joiners]);
    expect(settled.slice(-2).sort()).toEqual(["filler", "opener"]);
  });
});
