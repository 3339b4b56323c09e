import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIMITER_SCHEMA_VERSION, LimiterObject } from "../../durable-objects/limiter.ts";
import type { Limits } from "../../src/quota/rate-limiter.ts";
import { SettleSum, type SettleBatch, type SettleRecord } from "../../src/quota/settle-sum.ts";
import { MINUTE_MS } from "../../src/quota/token-bucket.ts";
import { ledger, limiter } from "./limits-fixtures.ts";

const H = 3_600_000;
const uniq = (p: string): string => `${p}_${crypto.randomUUID().slice(0, 8)}`;

function batchOf(id: string, limits: Limits, rs: SettleRecord[]): SettleBatch {
  const s = new SettleSum(id, limits);
  for (const r of rs) s.add(r);
  return s.batch();
}

/** The object's stored credit of both buckets, projected to `t` at the refill rate (no clamp: for buckets in debt). */
async function creditAt(stub: ReturnType<typeof limiter>, limits: Limits, t: number): Promise<{ requests: number; tokens: number }> {
  const rows = await runInDurableObject(stub, async (_i, state) => state.storage.sql.exec<{ name: string; credit: number; at: number }>("SELECT name, credit, at FROM buckets").toArray());
  const at = (name: string, limit: number): number => {
    const r = rows.find((x) => x.name === name)!;
    return r.credit + (t - r.at) * limit;
  };
  return { requests: at("requests", limits.rpm), tokens: at("tokens", limits.tpm) };
}

describe("the limiter object's storage", () => {
  it("runs on its newest SQLite schema version", async () => {
    const stub = limiter(uniq("proj_schema"), "test-chat");
    expect(await stub.schemaVersion()).toBe(LIMITER_SCHEMA_VERSION);
    // A new object holds the newest version's tables, and its stored stamp says so.
    const stored = await runInDurableObject(stub, async (_i, state) => ({
      tables: state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").toArray().map((r) => r.name),
      version: state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").one().value,
    }));
    expect(stored.tables).toEqual(expect.arrayContaining(["buckets", "completions", "meta", "settled", "usage"]));
    expect(stored).toMatchObject({ version: String(LIMITER_SCHEMA_VERSION) });
    expect(stored.tables).not.toContain("grants");
  });
});

describe("settling a batch", () => {
  const limits = { rpm: 60, tpm: 600 };

  it("is applied once per batch id, however often it is retried", async () => {
    const stub = limiter(uniq("proj_once"), "test-chat");
    expect((await stub.acquire({ limits, want: { requests: 1, tokens: 90 } })).kind).toBe("granted");
    const batch: SettleBatch = { id: "b1", limits, net: { requests: 0, tokens: 30 }, ledger: [{ hour: 0, keyId: "k", requests: 1, promptTokens: 5, completionTokens: 3 }] };
    expect(await stub.settleBatch(batch)).toMatchObject({ applied: true });
    expect(await stub.settleBatch(batch)).toMatchObject({ applied: false });
    expect(await stub.usage({ fromHour: 0, toHour: 1 })).toEqual([{ hour: 0, keyId: "k", requests: 1, promptTokens: 5, completionTokens: 3 }]);
    // 100 - 90 + 30 = 40 tokens, plus 10 a second of refill: twice applied would be 70.
    const left = (await stub.peek(limits)).remainingTokens;
    expect(left).toBeGreaterThanOrEqual(40);
    expect(left).toBeLessThan(60);
  });

  it("books mixed keys and hours, skips requests that produced nothing, and adds up like the requests one by one", async () => {
    const big = { rpm: 6000, tpm: 600_000 };
    const hourA = 500_000 * H;
    const rec = (keyId: string, hour: number, used: number, usage: SettleRecord["usage"]): SettleRecord => ({
      limits: big,
      granted: { requests: 1, tokens: 400 },
      used: usage === null ? { requests: 0, tokens: 0 } : { requests: 1, tokens: used },
      usage,
      keyId,
      hour,
    });
    const rs = [
      rec("key_a", hourA, 100, { prompt_tokens: 50, completion_tokens: 10 }),
      rec("key_b", hourA, 900, { prompt_tokens: 400, completion_tokens: 100 }),
      rec("key_a", hourA + H, 30, { prompt_tokens: 30, completion_tokens: 0 }),
      rec("key_a", hourA, 0, null),
      rec("key_a", hourA, 70, { prompt_tokens: 20, completion_tokens: 10 }),
      rec("key_c", hourA, 0, null),
    ];
    const summed = limiter(uniq("proj_sum"), "test-chat");
    const single = limiter(uniq("proj_single"), "test-chat");
    // Both deep in debt first, so no refund reaches the burst and what the records change is exact.
    const debt: SettleBatch = { id: "debt", limits: big, net: { requests: -3000, tokens: -300_000 }, ledger: [] };
    await summed.settleBatch(debt);
    await single.settleBatch(debt);
    const t = Date.now() + 60_000;
    const before = { summed: await creditAt(summed, big, t), single: await creditAt(single, big, t) };
    const batch = batchOf("all", big, rs);
    expect(batch.ledger).toHaveLength(3);
    expect(await summed.settleBatch(batch)).toMatchObject({ applied: true });
    for (const [i, r] of rs.entries()) await single.settleBatch(batchOf(`one-${i}`, big, [r]));
    const expected = [
      { hour: hourA, keyId: "key_a", requests: 2, promptTokens: 70, completionTokens: 20 },
      { hour: hourA, keyId: "key_b", requests: 1, promptTokens: 400, completionTokens: 100 },
      { hour: hourA + H, keyId: "key_a", requests: 1, promptTokens: 30, completionTokens: 0 },
    ];
    const all = { fromHour: 0, toHour: Number.MAX_SAFE_INTEGER };
    expect(await summed.usage(all)).toEqual(expected);
    expect(await single.usage(all)).toEqual(expected);
    // 6 x 400 reserved and 1100 used; 6 requests reserved and 4 used: the same change either way.
    const change = async (stub: typeof summed, was: { requests: number; tokens: number }) => {
      const now = await creditAt(stub, big, t);
      return { requests: (now.requests - was.requests) / MINUTE_MS, tokens: (now.tokens - was.tokens) / MINUTE_MS };
    };
    expect(await change(summed, before.summed)).toEqual({ requests: 2, tokens: 1300 });
    expect(await change(single, before.single)).toEqual({ requests: 2, tokens: 1300 });
  });

  it("gives back what a request that produced nothing reserved, booking nothing", async () => {
    const stub = limiter(uniq("proj_nothing"), "test-chat");
    expect((await stub.acquire({ limits, want: { requests: 5, tokens: 90 } })).kind).toBe("granted");
    await stub.settleBatch(batchOf("n1", limits, [{ limits, granted: { requests: 5, tokens: 90 }, used: { requests: 0, tokens: 0 }, usage: null, keyId: "k", hour: 0 }]));
    expect(await stub.usage({ fromHour: 0, toHour: Number.MAX_SAFE_INTEGER })).toEqual([]);
    expect(await stub.peek(limits)).toMatchObject({ remainingRequests: 10, remainingTokens: 100 });
  });
});
