import { describe, expect, it, vi } from "vitest";
import { BATCH_FEW, BATCH_MAX, BATCH_WINDOW_MAX_MS, BATCH_WINDOW_MS, settleBatched, type SettleTarget } from "../../src/quota/settle-batch.ts";
import type { SettleBatch, SettleRecord } from "../../src/quota/settle-sum.ts";

const LIMITS = { rpm: 10, tpm: 100 };
const record = (keyId = "k", over: Partial<SettleRecord> = {}): SettleRecord => ({
  limits: LIMITS,
  granted: { requests: 1, tokens: 8 },
  used: { requests: 1, tokens: 5 },
  usage: { prompt_tokens: 1, completion_tokens: 1 },
  keyId,
  hour: 0,
  ...over,
});

/** A target that records the batches it is sent. */
function target(): SettleTarget & { batches: SettleBatch[] } {
  const batches: SettleBatch[] = [];
  return {
    batches,
    settleBatch: vi.fn(async (b: SettleBatch) => {
      batches.push(b);
      return { applied: true };
    }),
  };
}

describe("settleBatched", () => {
  it("sums the records that end together into one call, and resolves the opener after it", async () => {
    const t = target();
    const name = `t-${crypto.randomUUID()}`;
    await Promise.all([settleBatched(name, record("a"), () => t, 3), settleBatched(name, record("b"), () => t, 3), settleBatched(name, record("a"), () => t, 3)]);
    expect(t.batches).toHaveLength(1);
    expect(t.batches[0]).toMatchObject({
      limits: LIMITS,
      net: { requests: 0, tokens: 9 },
      ledger: [
        { hour: 0, keyId: "a", requests: 2, promptTokens: 2, completionTokens: 2 },
        { hour: 0, keyId: "b", requests: 1, promptTokens: 1, completionTokens: 1 },
      ],
    });
    await settleBatched(name, record("c"), () => t, 3);
    expect(t.batches).toHaveLength(2);
    expect(t.batches[1]!.id).not.toBe(t.batches[0]!.id);
  });

  it("keeps waiting only the requests whose context sends the batch: its opener, and the one that fills it", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const sent: SettleBatch[] = [];
    const slow: SettleTarget = {
      settleBatch: async (b) => {
        sent.push(b);
        await held;
        return { applied: true };
      },
    };
    const name = `w-${crypto.randomUUID()}`;
    const settled: string[] = [];
    const track = (who: string, p: Promise<void> | undefined): Promise<void> => Promise.resolve(p).then(() => void settled.push(who));
    const opened = settleBatched(name, record(), () => slow, 3);
    const joined = Array.from({ length: BATCH_MAX - 2 }, () => settleBatched(name, record(), () => slow, 3));
    const filled = settleBatched(name, record(), () => slow, 3);
    // A joiner's context sends nothing, so it is given nothing to keep alive.
    expect([opened, filled].map((p) => p instanceof Promise)).toEqual([true, true]);
    expect(joined.every((p) => p === undefined)).toBe(true);
    const opener = track("opener", opened);
    const joiners = joined.map((p, i) => track(`joiner ${i}`, p));
    const filler = track("filler", filled);
    await new Promise((r) => setTimeout(r, 10));
    // The batch is on its way (it filled up), its call not answered: only the two that send it still wait.
    expect(sent).toHaveLength(1);
    expect(settled).toHaveLength(BATCH_MAX - 2);
    release();
    await Promise.all([opener, filler, ...joiners]);
    expect(settled.slice(-2).sort()).toEqual(["filler", "opener"]);
  });

  it("keeps separate limiters apart, and records under other limits in a batch of their own", async () => {
    const t = target();
    const name = `x-${crypto.randomUUID()}`;
    await Promise.all([
      settleBatched(name, record(), () => t, 3),
      settleBatched(`y-${crypto.randomUUID()}`, record(), () => t, 3),
      settleBatched(name, record("k", { limits: { rpm: 20, tpm: 100 } }), () => t, 3),
    ]);
    expect(t.batches).toHaveLength(3);
    expect(t.batches.map((b) => b.limits.rpm).sort()).toEqual([10, 10, 20]);
  });

  it("sends a full batch at once without waiting for the window", async () => {
    const t = target();
    const name = `full-${crypto.randomUUID()}`;
    const waits = Array.from({ length: BATCH_MAX + 1 }, () => settleBatched(name, record(), () => t, 3));
    expect(t.batches).toHaveLength(1);
    expect(t.batches[0]!.ledger[0]!.requests).toBe(BATCH_MAX);
    await Promise.all(waits);
    expect(t.batches).toHaveLength(2);
  });

  it("retries a failed call with the same batch and id, and logs when it gives up", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    let calls = 0;
    const sent: SettleBatch[] = [];
    const flaky: SettleTarget = {
      settleBatch: async (b) => {
        sent.push(b);
        if (++calls < 3) throw new Error("down");
        return { applied: true };
      },
    };
    await settleBatched(`r-${crypto.randomUUID()}`, record("a"), () => flaky, 3);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((b) => b.id)).size).toBe(1);
    expect(sent[2]).toEqual(sent[0]);
    const dead = vi.fn(async () => Promise.reject(new Error("down")));
    await settleBatched(`d-${crypto.randomUUID()}`, record("b"), () => ({ settleBatch: dead }), 2);
    expect(dead).toHaveBeenCalledTimes(2);
    expect(log.mock.calls.some(([l]) => String(l).includes('"event":"settle_failed"'))).toBe(true);
    log.mockRestore();
  });

  it("parks a batch every attempt failed for, and logs its counts only when parking fails too", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const dead = vi.fn(async (_b: SettleBatch): Promise<{ applied: boolean }> => Promise.reject(new Error("down")));
    const down = (): SettleTarget => ({ settleBatch: dead });
    const parked: Array<{ limiter: string; batch: SettleBatch }> = [];
    const name = `p-${crypto.randomUUID()}`;
    await Promise.all([
      settleBatched(name, record("a"), down, 2, async (limiter, batch) => void parked.push({ limiter, batch })),
      settleBatched(name, record("b"), down, 2),
    ]);
    expect(dead).toHaveBeenCalledTimes(2);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.limiter).toBe(name);
    // The batch as it was sent: its id, so that the object applies a resend once.
    expect(parked[0]!.batch).toEqual(dead.mock.calls[0]![0]);
    expect(parked[0]!.batch.ledger.map((r) => r.keyId).sort()).toEqual(["a", "b"]);
    const lines = log.mock.calls.map(([l]) => String(l));
    expect(lines.some((l) => l.includes('"event":"settle_parked"'))).toBe(true);
    expect(lines.some((l) => l.includes('"event":"settle_failed"'))).toBe(false);

    log.mockClear();
    await settleBatched(`q-${crypto.randomUUID()}`, record("c"), down, 1, async () => Promise.reject(new Error("kv down")));
    const failed = log.mock.calls.map(([l]) => String(l)).find((l) => l.includes('"event":"settle_failed"'));
    expect(failed).toBeDefined();
    const line = JSON.parse(failed!) as { ledger: Array<{ keyId: string; requests: number }>; error: string };
    expect(line.ledger).toEqual([{ hour: 0, keyId: "c", requests: 1, promptTokens: 1, completionTokens: 1 }]);
    expect(line.error).toContain("kv down");
    log.mockRestore();
  });

  it("gathers for longer while batches carry few records, up to BATCH_WINDOW_MAX_MS, and for BATCH_WINDOW_MS again once one fills", async () => {
    vi.useFakeTimers();
    try {
      const t = target();
      const name = `t-${crypto.randomUUID()}`;
      /** Sends one record and says after how many ms of the fake clock its batch went out. */
      const windowOfOne = async (): Promise<number> => {
        const sent = t.batches.length;
        void settleBatched(name, record(), () => t, 3);
        let ms = 0;
        while (t.batches.length === sent) {
          await vi.advanceTimersByTimeAsync(10);
          ms += 10;
        }
        return ms;
      };
      const windows = [await windowOfOne(), await windowOfOne(), await windowOfOne(), await windowOfOne()];
      expect(windows).toEqual([BATCH_WINDOW_MS, 2 * BATCH_WINDOW_MS, BATCH_WINDOW_MAX_MS, BATCH_WINDOW_MAX_MS]);
      // A busy stretch: a batch fills to BATCH_MAX, and the next batch is sent after the short window again.
      const full = Array.from({ length: BATCH_MAX }, () => settleBatched(name, record(), () => t, 3));
      await Promise.all(full);
      expect(await windowOfOne()).toBe(BATCH_WINDOW_MS);
      // A batch of BATCH_FEW records or more does not lengthen the window.
      for (let i = 0; i < BATCH_FEW; i++) void settleBatched(name, record(), () => t, 3);
      await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS);
      expect(await windowOfOne()).toBe(BATCH_WINDOW_MS);
    } finally {
      vi.useRealTimers();
    }
  });
});
