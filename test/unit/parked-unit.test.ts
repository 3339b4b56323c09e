import { afterEach, describe, expect, it, vi } from "vitest";
import { parkInKv, parseParked, sweepParked, SWEEP_MAX } from "../../src/quota/parked.ts";
import { PARKED_PREFIX, parkedKey } from "../../src/storage/kv-keys.ts";
import type { SettleTarget } from "../../src/quota/settle-batch.ts";
import type { SettleBatch } from "../../src/quota/settle-sum.ts";

/** Just the KV calls the parking code makes, over a Map, listing in key order as KV does. */
function memoryKv(): KVNamespace & { data: Map<string, string> } {
  const data = new Map<string, string>();
  const kv = {
    data,
    put: async (k: string, v: string) => void data.set(k, v),
    get: async (k: string) => data.get(k) ?? null,
    delete: async (k: string) => void data.delete(k),
    list: async ({ prefix, limit }: { prefix: string; limit: number }) => ({
      keys: [...data.keys()].filter((k) => k.startsWith(prefix)).sort().slice(0, limit).map((name) => ({ name })),
      list_complete: true,
    }),
  };
  return kv as unknown as KVNamespace & { data: Map<string, string> };
}

const batch = (id: string): SettleBatch => ({
  id,
  limits: { rpm: 60, tpm: 6000 },
  net: { requests: 0, tokens: 120 },
  ledger: [{ hour: 3_600_000, keyId: "key_a", requests: 2, promptTokens: 30, completionTokens: 7 }],
});

function objects(fail: ReadonlySet<string> = new Set()) {
  const got: Array<{ limiter: string; batch: SettleBatch }> = [];
  const target = (limiter: string): SettleTarget => ({
    settleBatch: async (b) => {
      if (fail.has(limiter)) throw new Error("still down");
      got.push({ limiter, batch: b });
      return { applied: true };
    },
  });
  return { got, target };
}

afterEach(() => vi.restoreAllMocks());

describe("parked settle batches", () => {
  it("are written under their batch id, so parking the same batch twice keeps one entry", async () => {
    const kv = memoryKv();
    const park = parkInKv(kv);
    await park("proj_a/model-x", batch("b1"));
    await park("proj_a/model-x", batch("b1"));
    expect([...kv.data.keys()]).toEqual([parkedKey("b1")]);
    const stored = parseParked(JSON.parse(kv.data.get(parkedKey("b1"))!));
    expect(stored).toMatchObject({ limiter: "proj_a/model-x", batch: batch("b1") });
  });

  it("are delivered to their own objects by the sweep and then deleted; an object still down keeps its batch", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const kv = memoryKv();
    const park = parkInKv(kv);
    await park("proj_a/model-x", batch("b1"));
    await park("proj_b/model-y", batch("b2"));
    await park("proj_c/model-z", batch("b3"));
    const { got, target } = objects(new Set(["proj_c/model-z"]));
    expect(await sweepParked(kv, target)).toEqual({ delivered: 2, failed: 1, corrupt: 0 });
    expect(got.map((g) => [g.limiter, g.batch.id]).sort()).toEqual([
      ["proj_a/model-x", "b1"],
      ["proj_b/model-y", "b2"],
    ]);
    expect(got[0]!.batch).toEqual(batch(got[0]!.batch.id));
    expect([...kv.data.keys()]).toEqual([parkedKey("b3")]);
    // The next minute the object is back: the batch is delivered, nothing is left.
    const later = objects();
    expect(await sweepParked(kv, later.target)).toEqual({ delivered: 1, failed: 0, corrupt: 0 });
    expect(later.got.map((g) => g.batch.id)).toEqual(["b3"]);
    expect(kv.data.size).toBe(0);
  });

  it("that are corrupt are logged with their value and removed, not retried forever", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const kv = memoryKv();
    await kv.put(`${PARKED_PREFIX}junk`, "{not json");
    await kv.put(`${PARKED_PREFIX}shape`, JSON.stringify({ limiter: "p/m", batch: { id: "x" }, parked_at: 1 }));
    const { got, target } = objects();
    expect(await sweepParked(kv, target)).toEqual({ delivered: 0, failed: 0, corrupt: 2 });
    expect(got).toEqual([]);
    expect(kv.data.size).toBe(0);
    const lines = log.mock.calls.map(([l]) => String(l)).filter((l) => l.includes('"event":"settle_parked_corrupt"'));
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.includes("{not json"))).toBe(true);
  });

  it("are swept at most SWEEP_MAX per run, the rest on the next", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const kv = memoryKv();
    const park = parkInKv(kv);
    for (let i = 0; i < SWEEP_MAX + 5; i++) await park("p/m", batch(`b${String(i).padStart(4, "0")}`));
    const { got, target } = objects();
    expect((await sweepParked(kv, target)).delivered).toBe(SWEEP_MAX);
    expect((await sweepParked(kv, target)).delivered).toBe(5);
    expect(new Set(got.map((g) => g.batch.id)).size).toBe(SWEEP_MAX + 5);
  });

  it("parse only what parkInKv writes", () => {
    const ok = { limiter: "p/m", batch: batch("b"), parked_at: 5 };
    expect(parseParked(ok)).toEqual(ok);
    for (const bad of [null, 3, "x", {}, { ...ok, limiter: 1 }, { ...ok, parked_at: "5" }, { ...ok, batch: { ...batch("b"), ledger: {} } }, { ...ok, batch: { ...batch("b"), net: { requests: 1 } } }, { ...ok, batch: { ...batch("b"), limits: { rpm: 1 } } }]) {
      expect(parseParked(bad)).toBeNull();
    }
  });
});
