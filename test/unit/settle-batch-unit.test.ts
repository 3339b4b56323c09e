import { describe, expect, it, vi } from "vitest";
import type { SettleInput } from "../../durable-objects/limiter.ts";
import { BATCH_MAX, settleBatched } from "../../src/quota/settle-batch.ts";

const input = (id: string): SettleInput => ({ id, limits: { rpm: 10, tpm: 100 }, used: { requests: 1, tokens: 5 }, usage: { prompt_tokens: 1, completion_tokens: 1 }, keyId: "k", hour: 0 });

describe("settleBatched", () => {
  it("sends records that end together in one call, and resolves each caller after it", async () => {
    const settleMany = vi.fn(async (items: SettleInput[]) => ({ applied: items.length }));
    const name = `t-${crypto.randomUUID()}`;
    await Promise.all([settleBatched(name, input("a"), () => ({ settleMany }), 3), settleBatched(name, input("b"), () => ({ settleMany }), 3)]);
    expect(settleMany).toHaveBeenCalledTimes(1);
    expect(settleMany.mock.calls[0]![0].map((i) => i.id)).toEqual(["a", "b"]);
    await settleBatched(name, input("c"), () => ({ settleMany }), 3);
    expect(settleMany).toHaveBeenCalledTimes(2);
  });

  it("keeps separate limiters apart", async () => {
    const settleMany = vi.fn(async (items: SettleInput[]) => ({ applied: items.length }));
    await Promise.all([settleBatched(`x-${crypto.randomUUID()}`, input("a"), () => ({ settleMany }), 3), settleBatched(`y-${crypto.randomUUID()}`, input("b"), () => ({ settleMany }), 3)]);
    expect(settleMany).toHaveBeenCalledTimes(2);
  });

  it("sends a full batch at once without waiting for the window", async () => {
    const settleMany = vi.fn(async (items: SettleInput[]) => ({ applied: items.length }));
    const name = `full-${crypto.randomUUID()}`;
    const waits = Array.from({ length: BATCH_MAX + 1 }, (_, i) => settleBatched(name, input(String(i)), () => ({ settleMany }), 3));
    expect(settleMany).toHaveBeenCalledTimes(1);
    expect(settleMany.mock.calls[0]![0]).toHaveLength(BATCH_MAX);
    await Promise.all(waits);
    expect(settleMany).toHaveBeenCalledTimes(2);
  });

  it("retries a failed call with the same records, and logs when it gives up", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    let calls = 0;
    const flaky = vi.fn(async (items: SettleInput[]) => {
      if (++calls < 3) throw new Error("down");
      return { applied: items.length };
    });
    await settleBatched(`r-${crypto.randomUUID()}`, input("a"), () => ({ settleMany: flaky }), 3);
    expect(flaky).toHaveBeenCalledTimes(3);
    expect(flaky.mock.calls.every(([items]) => items[0]!.id === "a")).toBe(true);
    const dead = vi.fn(async () => Promise.reject(new Error("down")));
    await settleBatched(`d-${crypto.randomUUID()}`, input("b"), () => ({ settleMany: dead }), 2);
    expect(dead).toHaveBeenCalledTimes(2);
    expect(log.mock.calls.some(([l]) => String(l).includes('"event":"settle_failed"'))).toBe(true);
    log.mockRestore();
  });
});
