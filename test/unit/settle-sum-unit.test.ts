import { describe, expect, it } from "vitest";
import { freshState, settle, settleNet, type LimiterState, type Limits, type Units } from "../../src/quota/rate-limiter.ts";
import { SettleSum, type SettleRecord } from "../../src/quota/settle-sum.ts";
import type { LedgerRow } from "../../src/usage/ledger.ts";
import { prng } from "../../sim/prng.ts";

const L: Limits = { rpm: 600, tpm: 60_000 };
const H = 3_600_000;


/** Requests of three keys over two hours; a quarter produced nothing, some used more than reserved. */
function records(seed: number, n: number): SettleRecord[] {
  const rnd = prng(seed);
  const int = (k: number): number => Math.floor(rnd() * k);
  return Array.from({ length: n }, () => {
    const granted: Units = rnd() < 0.1 ? { requests: 0, tokens: 0 } : { requests: 1, tokens: 50 + int(500) };
    const billed = rnd() >= 0.25;
    const usage = billed ? { prompt_tokens: int(300), completion_tokens: int(200) } : null;
    const used: Units = usage ? { requests: 1, tokens: usage.prompt_tokens + 5 * usage.completion_tokens } : { requests: 0, tokens: 0 };
    return { limits: L, granted, used, usage, keyId: `key_${int(3)}`, hour: H * (400_000 + int(2)) };
  });
}

/** What the object did before batches, record by record: the reference a batch must match. */
function oneByOne(start: LimiterState, rs: ReadonlyArray<Omit<SettleRecord, "limits">>, now: number): { state: LimiterState; ledger: LedgerRow[] } {
  let state = start;
  const rows = new Map<string, LedgerRow>();
  for (const r of rs) {
    state = settle(L, state, r.granted, r.used, now);
    if (r.usage === null) continue;
    const k = `${r.hour}/${r.keyId}`;
    const row = rows.get(k) ?? { hour: r.hour, keyId: r.keyId, requests: 0, promptTokens: 0, completionTokens: 0 };
    row.requests += 1;
    row.promptTokens += r.usage.prompt_tokens;
    row.completionTokens += r.usage.completion_tokens;
    rows.set(k, row);
  }
  return { state, ledger: sorted([...rows.values()]) };
}

const sorted = (rows: LedgerRow[]): LedgerRow[] => [...rows].sort((a, b) => a.hour - b.hour || a.keyId.localeCompare(b.keyId));

function sum(rs: SettleRecord[], id = "batch-1") {
  const s = new SettleSum(id, L);
  for (const r of rs) s.add(r);
  return s.batch();
}

describe("a settle batch", () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`books the same ledger as settling its requests one by one, across keys and hours (seed ${seed})`, () => {
      const rs = records(seed, 80);
      const batch = sum(rs);
      expect(sorted(batch.ledger)).toEqual(oneByOne(freshState(L, 0), rs, 0).ledger);
      // One row per (hour, key) that has a billed request, and no more.
      const billed = new Set(rs.filter((r) => r.usage !== null).map((r) => `${r.hour}/${r.keyId}`));
      expect(batch.ledger).toHaveLength(billed.size);
      expect(batch.ledger.reduce((n, r) => n + r.requests, 0)).toBe(rs.filter((r) => r.usage !== null).length);
    });
  }

  it("adjusts the buckets for a request that produced nothing, but books no row and counts no request", () => {
    const batch = sum([{ limits: L, granted: { requests: 1, tokens: 300 }, used: { requests: 0, tokens: 0 }, usage: null, keyId: "key_a", hour: 0 }]);
    expect(batch.net).toEqual({ requests: 1, tokens: 300 });
    expect(batch.ledger).toEqual([]);
  });

  it("counts a billed request with zero tokens as a request", () => {
    const batch = sum([{ limits: L, granted: { requests: 1, tokens: 10 }, used: { requests: 1, tokens: 0 }, usage: { prompt_tokens: 0, completion_tokens: 0 }, keyId: "key_a", hour: 0 }]);
    expect(batch.ledger).toEqual([{ hour: 0, keyId: "key_a", requests: 1, promptTokens: 0, completionTokens: 0 }]);
  });

  it("nets refunds and charges, and leaves the buckets where settling them one by one does when nothing is clamped", () => {
    const rs = records(7, 40);
    const batch = sum(rs);
    expect(batch.net.tokens).toBe(rs.reduce((n, r) => n + r.granted.tokens - r.used.tokens, 0));
    expect(batch.net.requests).toBe(rs.reduce((n, r) => n + r.granted.requests - r.used.requests, 0));
    // Deep in debt, no refund reaches the burst, so every order agrees.
    const low: LimiterState = { requests: { credit: -100 * 60_000, at: 0 }, tokens: { credit: -100_000 * 60_000, at: 0 }, held: [] };
    expect(settleNet(L, low, batch.net, 0)).toEqual(oneByOne(low, rs, 0).state);
  });

  it("is a snapshot: records added after it was taken do not change what was sent", () => {
    const s = new SettleSum("b", L);
    const [a, b] = records(9, 2).map((r) => ({ ...r, usage: { prompt_tokens: 1, completion_tokens: 1 }, keyId: "k", hour: 0 }));
    s.add(a!);
    const sent = s.batch();
    s.add(b!);
    expect(sent.ledger[0]!.requests).toBe(1);
    expect(s.batch().ledger[0]!.requests).toBe(2);
  });
});
