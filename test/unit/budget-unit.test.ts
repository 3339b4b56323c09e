import { describe, expect, it } from "vitest";
import { alertPayload, signBody } from "../../src/budget/alert.ts";
import { bookRow, decideReserve, FAR_FACTOR, headroom, LEASE_MS, leaseSizeFor, thresholdsReached, type ScopeView, type SpendRow } from "../../src/budget/book.ts";
import { amountText, insufficientQuota } from "../../src/budget/headers.ts";
import { BudgetLeaseHolder } from "../../src/budget/lease-holder.ts";
import { monthOf } from "../../src/budget/month.ts";
import { priceMicros, upperMicros, worstCaseTokens } from "../../src/budget/price.ts";
import { sumEntries } from "../../src/budget/settle-sum.ts";
import { parseBudgetPut, parseWebhookUrl } from "../../src/budget/validate.ts";
import { parseInferenceRequest, type Endpoint } from "../../src/openai/inference-request.ts";
import { estimatePromptTokens } from "../../src/quota/estimate.ts";
import type { Usage } from "../../src/streaming/usage.ts";
import { parseUsageQuery } from "../../src/usage/query.ts";
import { usagePage, type Pricing } from "../../src/usage/report.ts";
import { prng } from "../../sim/prng.ts";

const parse = (endpoint: Endpoint, body: Record<string, unknown>) => parseInferenceRequest(endpoint, body, 100_000);
const chat = (extra: Record<string, unknown> = {}) => parse("chat", { model: "m", messages: [{ role: "user", content: "hello there" }], ...extra });
const PRICE: Pricing = { input_per_million: 0.7, output_per_million: 2.3, currency: "EUR" };

describe("budget month", () => {
  it("is the UTC calendar month, and resets at the first millisecond of the next", () => {
    const last = Date.UTC(2026, 11, 31, 23, 59, 59, 999);
    expect(monthOf(last)).toEqual({ id: "2026-12", start: Date.UTC(2026, 11, 1), reset: Date.UTC(2027, 0, 1) });
    expect(monthOf(last + 1).id).toBe("2027-01");
    expect(monthOf(Date.UTC(2028, 1, 29, 12)).reset).toBe(Date.UTC(2028, 2, 1));
  });
});

describe("pricing", () => {
  it("books exactly the usage API's amount, row by row, however the tokens arrive", () => {
    const rand = prng(7);
    const hour = Date.UTC(2026, 11, 1, 10);
    let row: SpendRow | undefined;
    let spent = 0;
    let prompt = 0;
    let completion = 0;
    for (let i = 0; i < 500; i++) {
      const u = { prompt_tokens: Math.floor(rand() * 50), completion_tokens: Math.floor(rand() * 30) };
      const booked = bookRow(row, u, PRICE);
      expect(booked.delta).toBeLessThanOrEqual(upperMicros(u, PRICE));
      row = booked.row;
      spent += booked.delta;
      prompt += u.prompt_tokens;
      completion += u.completion_tokens;
    }
    const q = parseUsageQuery(new URL(`https://x/?start_time=${hour / 1000}&end_time=${hour / 1000 + 3600}`), hour / 1000 + 3600);
    const page = usagePage([{ hour, keyId: "k", requests: 500, promptTokens: prompt, completionTokens: completion, projectId: "p", model: "m" }], q, () => PRICE);
    expect(spent / 1e6).toBe(page.data[0]!.results[0]!.amount.value);
    expect(spent).toBe(priceMicros({ prompt_tokens: prompt, completion_tokens: completion }, PRICE));
  });

  it("books a batch as it books its requests one by one: rows summed, holds released once each", () => {
    const rand = prng(3);
    const entries = Array.from({ length: 60 }, (_, i) => ({
      keyId: `k${i % 3}`,
      model: i % 2 === 0 ? "a" : "b",
      hour: (i % 4) * 3_600_000,
      usage: i % 7 === 0 ? null : { prompt_tokens: Math.floor(rand() * 90), completion_tokens: Math.floor(rand() * 40) },
      pricing: PRICE,
      hold: i % 5 === 0 ? { kind: "lease" as const, id: "L", release: 3 } : { kind: "own" as const, id: `h${i}` },
    }));
    const one = new Map<string, SpendRow>();
    let oneByOne = 0;
    for (const e of entries) {
      if (e.usage === null) continue;
      const k = `${e.hour}/${e.keyId}/${e.model}`;
      const b = bookRow(one.get(k), e.usage, PRICE);
      one.set(k, b.row);
      oneByOne += b.delta;
    }
    const sum = sumEntries(entries);
    const batched = sum.rows.reduce((n, r) => n + bookRow(undefined, r.usage, r.pricing).delta, 0);
    expect(batched).toBe(oneByOne);
    expect(sum.leases).toEqual([["L", 12 * 3]]);
    expect(sum.own).toHaveLength(48);
    expect([...sum.keys].sort()).toEqual(["k0", "k1", "k2"]);
  });

  it("bounds a request by its context, max_tokens and choices, never below the router's own estimate", () => {
    const m = { context_length: 1000 };
    expect(worstCaseTokens(chat(), m, 5)).toEqual({ prompt_tokens: 1000, completion_tokens: 1000 });
    expect(worstCaseTokens(chat({ max_tokens: 10, n: 3 }), m, 5)).toEqual({ prompt_tokens: 1000, completion_tokens: 30 });
    const huge = chat({ messages: [{ role: "user", content: "x".repeat(10_000) }] });
    expect(worstCaseTokens(huge, m, estimatePromptTokens(huge)).prompt_tokens).toBe(estimatePromptTokens(huge));
    expect(worstCaseTokens(parse("embedding", { model: "m", input: ["a", "b", "c"] }), m, 3)).toEqual({ prompt_tokens: 3000, completion_tokens: 0 });
  });
});

/**
 * The BudgetObject's protocol in simulated time, step for step as durable-objects/budget.ts
 * runs it (holds, leases, releases), with isolates that serve from leases, and origins that
 * bill anything up to each request's worst case, settling in any order.
 */
class SimObject {
  spent = 0;
  rows = new Map<string, SpendRow>();
  holds = new Map<string, number>();
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  private view(): ScopeView {
    return { kind: "project", limit: this.limit, spent: this.spent, held: [...this.holds.values()].reduce((a, b) => a + b, 0) };
  }
  reserve(holdId: string, worst: number, lease: string | null, returned: Array<{ id: string; unused: number }>) {
    for (const r of returned) this.release(r.id, r.unused);
    const d = decideReserve([this.view()], worst, lease ? leaseSizeFor([this.view()]) : 0);
    if (d.kind === "refused") return d;
    this.holds.set(holdId, worst);
    if (lease && d.lease > 0) this.holds.set(lease, d.lease);
    return { ...d, remaining: headroom(this.view()) };
  }
  release(id: string, micros: number) {
    const h = (this.holds.get(id) ?? 0) - micros;
    if (h <= 0) this.holds.delete(id);
    else this.holds.set(id, h);
  }
  settle(hold: { own: string } | { lease: string; release: number }, usage: Usage, rowKey: string) {
    if ("own" in hold) this.holds.delete(hold.own);
    else this.release(hold.lease, hold.release);
    const b = bookRow(this.rows.get(rowKey), usage, PRICE);
    this.rows.set(rowKey, b.row);
    this.spent += b.delta;
  }
}

describe("reservation and settle", () => {
  it("refuses a request whose worst case does not fit, naming the narrower budget", () => {
    const project: ScopeView = { kind: "project", limit: 1000, spent: 900, held: 50 };
    expect(decideReserve([project], 50, 0)).toEqual({ kind: "granted", lease: 0 });
    expect(decideReserve([project], 51, 0)).toEqual({ kind: "refused", scope: project });
    const key: ScopeView = { kind: "key", limit: 100, spent: 60, held: 0 };
    expect(decideReserve([project, key], 41, 0)).toMatchObject({ kind: "refused", scope: { kind: "key" } });
  });

  it("leases only far from the end, where FAR_FACTOR leases still fit after the request", () => {
    const size = leaseSizeFor([{ kind: "project", limit: 50_000, spent: 0, held: 0 }]);
    expect(size).toBe(1000);
    expect(decideReserve([{ kind: "project", limit: 50_000, spent: 50_000 - FAR_FACTOR * size - 10, held: 0 }], 10, size)).toEqual({ kind: "granted", lease: size });
    expect(decideReserve([{ kind: "project", limit: 50_000, spent: 50_000 - FAR_FACTOR * size - 10, held: 1 }], 10, size)).toEqual({ kind: "granted", lease: 0 });
  });

  it("never books above the budget: concurrent isolates, leases, worst-case holds, any settle order (fake clock)", () => {
    const rand = prng(42);
    for (let round = 0; round < 40; round++) {
      const obj = new SimObject(20_000 + Math.floor(rand() * 60_000));
      const isolates = Array.from({ length: 4 }, (_, i) => ({ holder: new BudgetLeaseHolder(() => `lease_${round}_${i}_${rand()}`) }));
      const inflight: Array<() => void> = [];
      let now = 0;
      let refused = 0;
      for (let i = 0; i < 400; i++) {
        now += Math.floor(rand() * 30);
        const iso = isolates[Math.floor(rand() * isolates.length)]!;
        const req = chat({ max_tokens: 1 + Math.floor(rand() * 200) });
        const worst = upperMicros(worstCaseTokens(req, { context_length: 300 }, 4), PRICE);
        // The origin bills anything its contract allows, up to the worst case.
        const usage = { prompt_tokens: Math.floor(rand() * 300), completion_tokens: Math.floor(rand() * (req.maxTokens! + 1)) };
        const used = Math.min(worst, upperMicros(usage, PRICE));
        const row = `h${Math.floor(now / 1000)}`;
        const taken = iso.holder.take("p/k", worst, now);
        if (taken) {
          inflight.push(() => {
            const refunded = iso.holder.refund("p/k", taken.leaseId, worst - used, now);
            obj.settle({ lease: taken.leaseId, release: refunded ? used : worst }, usage, row);
          });
        } else {
          const ask = iso.holder.beforeReserve("p/k", "p/", now);
          const d = obj.reserve(`r${i}`, worst, ask.lease?.id ?? null, ask.returned);
          if (d.kind === "refused") (refused++, iso.holder.askFailed("p/k"));
          else {
            iso.holder.afterReserve("p/k", "p/", ask, d.lease, { scope: "project", limit: obj.limit, remaining: d.remaining, reset: 0 }, now);
            inflight.push(() => obj.settle({ own: `r${i}` }, usage, row));
          }
        }
        // Settle a random in-flight request now and then, in any order.
        while (inflight.length > 0 && rand() < 0.45) inflight.splice(Math.floor(rand() * inflight.length), 1)[0]!();
        expect(obj.spent).toBeLessThanOrEqual(obj.limit);
      }
      for (const s of inflight) s();
      expect(obj.spent).toBeLessThanOrEqual(obj.limit);
      expect(refused).toBeGreaterThan(0);
      // Every lease comes back: nothing stays held once all is settled and returned.
      now += LEASE_MS;
      for (const iso of isolates) for (const r of iso.holder.expired("p/", now)) obj.release(r.id, r.unused);
      expect([...obj.holds.values()].reduce((a, b) => a + b, 0)).toBe(0);
    }
  });

  it("serves a busy isolate from its lease without a call, and gives back what it did not use", () => {
    const h = new BudgetLeaseHolder(() => "L1");
    expect(h.beforeReserve("p/k", "p/", 0)).toEqual({ returned: [] });
    const ask = h.beforeReserve("p/k", "p/", 10);
    expect(ask.lease).toEqual({ id: "L1" });
    h.afterReserve("p/k", "p/", ask, 100, { scope: "project", limit: 1000, remaining: 500, reset: 0 }, 10);
    expect(h.take("p/k", 60, 20)).toEqual({ leaseId: "L1", snapshot: { scope: "project", limit: 1000, remaining: 600, reset: 0 } });
    expect(h.take("p/k", 60, 20)).toBeNull();
    expect(h.refund("p/k", "L1", 50, 30)).toBe(true);
    expect(h.take("p/k", 60, 30)).not.toBeNull();
    expect(h.expired("p/", 10 + LEASE_MS)).toEqual([{ id: "L1", unused: 30 }]);
    expect(h.refund("p/k", "L1", 10, 10 + LEASE_MS)).toBe(false);
  });

  it("asks for one lease at a time, and gives back a lease granted while another is live", () => {
    let n = 0;
    const h = new BudgetLeaseHolder(() => `L${++n}`);
    h.beforeReserve("p/k", "p/", 0);
    const first = h.beforeReserve("p/k", "p/", 1);
    const second = h.beforeReserve("p/k", "p/", 2);
    expect(first.lease).toEqual({ id: "L1" });
    expect(second.lease).toBeUndefined();
    const snap = { scope: "project" as const, limit: 1000, remaining: 500, reset: 0 };
    h.afterReserve("p/k", "p/", first, 100, snap, 3);
    const third = h.beforeReserve("q/k", "q/", 3);
    const again = h.beforeReserve("q/k", "q/", 4);
    h.afterReserve("q/k", "q/", again, 50, snap, 5);
    // Another ask for p/k while L1 is live: its grant must go back, not be forgotten.
    const late = { lease: { id: "late" }, returned: [] };
    h.afterReserve("p/k", "p/", late, 70, snap, 6);
    expect(h.expired("p/", 7)).toEqual([{ id: "late", unused: 70 }]);
    expect(h.take("p/k", 100, 7)).not.toBeNull();
    expect(third.lease).toBeUndefined();
  });
});

describe("alert thresholds", () => {
  it("fire once each per month, also when one settle jumps over several, and again next month", () => {
    const fired = new Map<string, Set<number>>();
    const events: string[] = [];
    const at = (month: string, spent: number) => {
      const f = fired.get(month) ?? new Set<number>();
      fired.set(month, f);
      for (const t of thresholdsReached(1000, spent, [50, 80, 100], f)) (f.add(t), events.push(`${month}:${t}`));
    };
    for (const s of [100, 499, 500, 501, 700, 950, 1000, 1200, 1300]) at(monthOf(Date.UTC(2026, 11, 15)).id, s);
    at(monthOf(Date.UTC(2027, 0, 1)).id, 10);
    at(monthOf(Date.UTC(2027, 0, 2)).id, 999);
    expect(events).toEqual(["2026-12:50", "2026-12:80", "2026-12:100", "2027-01:50", "2027-01:80"]);
  });

  it("signs the exact body with HMAC-SHA256, as node:crypto computes it", async () => {
    const { createHmac } = await import("node:crypto");
    const body = JSON.stringify(alertPayload({ projectId: "proj_a", keyId: null, threshold: 80, month: "2026-12", limitMicros: 10_000_000, spentMicros: 8_000_001, currency: "EUR", reset: Date.UTC(2027, 0, 1), now: Date.UTC(2026, 11, 20) }));
    expect(await signBody("whsec_x", body)).toBe(`sha256=${createHmac("sha256", "whsec_x").update(body).digest("hex")}`);
    expect(JSON.parse(body)).toMatchObject({ id: "balert_proj_a_project_2026-12_80", spent: { value: 8.000001, currency: "EUR" }, resets_at: Date.UTC(2027, 0, 1) / 1000 });
  });
});

describe("wire", () => {
  it("refuses with 429 insufficient_quota, not to be retried, naming the budget, the spend and the reset", () => {
    const err = insufficientQuota({ scope: "key", limit: 2_000_000, spent: 1_999_000, held: 500, worst: 24_577, reset: Date.UTC(2027, 0, 1), currency: "EUR" });
    expect(err.toBody()).toEqual({
      error: {
        type: "insufficient_quota",
        code: "insufficient_quota",
        param: null,
        message: "This request could cost up to 0.024577 EUR, more than is left of this API key's monthly budget: 1.999 EUR of 2 EUR spent in 2026-12 and 0.0005 EUR held by requests in flight. The budget resets at 2027-01-01T00:00:00Z. A lower max_tokens lowers what a request can cost.",
      },
    });
    expect(err.status).toBe(429);
    expect(err.headers).toMatchObject({ "x-should-retry": "false", "x-budget-limit": "2", "x-budget-remaining": "0.0005", "x-budget-reset": "2027-01-01T00:00:00Z", "x-budget-scope": "key" });
    expect(amountText(1)).toBe("0.000001");
  });

  it("writes amounts as toFixed(6) without trailing zeros would, for any micro-units", () => {
    const reference = (m: number) => {
      const s = (m / 1e6).toFixed(6);
      return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
    };
    const rand = prng(11);
    const samples = [0, 1, 9, 10, 100_000, 999_999, 1_000_000, 1_000_001, 12_345_600, -1, -1_500_000, 10 ** 13 + 7];
    for (let i = 0; i < 2_000; i++) samples.push(Math.floor(rand() * 10 ** Math.floor(rand() * 14)) * (rand() < 0.1 ? -1 : 1));
    for (const m of samples) expect(amountText(m), String(m)).toBe(reference(m));
  });

  it("takes amounts with at most six decimals and thresholds as whole percentages", () => {
    expect(parseBudgetPut({ amount: 12.5 })).toEqual({ limit: 12_500_000, thresholds: [50, 80, 100] });
    expect(parseBudgetPut({ amount: 1, thresholds: [90, 10, 90] })).toEqual({ limit: 1_000_000, thresholds: [10, 90] });
    for (const bad of [{ amount: 0 }, { amount: "5" }, { amount: 0.0000001 }, { amount: 1, thresholds: [0] }, { amount: 1, thresholds: [50.5] }, { amount: 1, extra: 1 }]) {
      expect(() => parseBudgetPut(bad)).toThrow();
    }
    expect(parseWebhookUrl({ url: "https://hooks.example.com/b" })).toBe("https://hooks.example.com/b");
    expect(parseWebhookUrl({ url: "http://127.0.0.1:9/x" })).toBe("http://127.0.0.1:9/x");
    for (const bad of ["http://hooks.example.com/", "ftp://x/", "https://u:p@x/", "nope"]) expect(() => parseWebhookUrl({ url: bad })).toThrow();
  });
});
