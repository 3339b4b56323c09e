import { describe, expect, it } from "vitest";
import { grantWithLease, LEASE_HOLD_MS, LEASE_MS, leaseReturn, returnLease, leaseSize, leaseSnapshot, mergeLease, takeFromLease, worthLeasing, type Lease } from "../../src/quota/lease.ts";
import { LeaseHolder } from "../../src/quota/lease-holder.ts";
import { freshState, snapshot } from "../../src/quota/rate-limiter.ts";

const limits = { rpm: 600, tpm: 60_000 };
const snap = { limitRequests: 600, limitTokens: 60_000, remainingRequests: 50, remainingTokens: 5_000, resetRequestsMs: 100, resetTokensMs: 100 };
const lease = (over: Partial<Lease> = {}): Lease => ({
  parts: [{ id: "l1", granted: { requests: 10, tokens: 1000 } }],
  limits,
  left: { requests: 10, tokens: 1000 },
  snapshot: snap,
  expiresAt: 1_000 + LEASE_MS,
  ...over,
});

describe("lease size", () => {
  it("is a tenth of the burst (ten seconds' worth), and nothing for limits too small to share", () => {
    expect(leaseSize(limits)).toEqual({ requests: 10, tokens: 1000 });
    expect(worthLeasing(leaseSize(limits))).toBe(true);
    expect(leaseSize({ rpm: 6, tpm: 1_000_000 }).requests).toBe(0);
    expect(worthLeasing(leaseSize({ rpm: 6, tpm: 1_000_000 }))).toBe(false);
  });
});

describe("takeFromLease", () => {
  it("takes from a live lease with room, and says no otherwise without changing it", () => {
    const l = lease();
    expect(takeFromLease(l, limits, { requests: 1, tokens: 300 }, 1_000)).toBe(true);
    expect(l.left).toEqual({ requests: 9, tokens: 700 });
    expect(takeFromLease(l, limits, { requests: 1, tokens: 701 }, 1_000)).toBe(false);
    expect(l.left).toEqual({ requests: 9, tokens: 700 });
    expect(takeFromLease(l, limits, { requests: 1, tokens: 1 }, 1_000 + LEASE_MS)).toBe(false);
    expect(takeFromLease(l, { rpm: 601, tpm: 60_000 }, { requests: 1, tokens: 1 }, 1_000)).toBe(false);
    expect(takeFromLease(undefined, limits, { requests: 1, tokens: 1 }, 1_000)).toBe(false);
  });

  it("counts what is left in the lease as remaining in the headers", () => {
    const l = lease({ left: { requests: 4, tokens: 400 } });
    expect(leaseSnapshot(l)).toMatchObject({ remainingRequests: 54, remainingTokens: 5_400 });
  });
});

describe("merging and returning", () => {
  it("merges a newer grant into a held lease, and returns the unused rest across the parts", () => {
    const held = lease({ left: { requests: 3, tokens: 100 } });
    const fresh = lease({ parts: [{ id: "l2", granted: { requests: 10, tokens: 1000 } }], expiresAt: 5_000 });
    const merged = mergeLease(held, fresh);
    expect(merged.left).toEqual({ requests: 13, tokens: 1100 });
    expect(merged.expiresAt).toBe(5_000);
    merged.left = { requests: 12, tokens: 1050 };
    const back = leaseReturn(merged);
    expect(back).toEqual([
      { id: "l1", granted: { requests: 10, tokens: 1000 }, used: { requests: 0, tokens: 0 } },
      { id: "l2", granted: { requests: 10, tokens: 1000 }, used: { requests: 8, tokens: 950 } },
    ]);
    // Exactly what was taken from the lease is charged in total.
    const used = back.reduce((s, r) => ({ requests: s.requests + r.used.requests, tokens: s.tokens + r.used.tokens }), { requests: 0, tokens: 0 });
    expect(used).toEqual({ requests: 20 - 12, tokens: 2000 - 1050 });
  });

  it("does not merge leases of different limits", () => {
    const fresh = lease({ limits: { rpm: 1200, tpm: 60_000 } });
    expect(mergeLease(lease(), fresh)).toBe(fresh);
  });
});

describe("grantWithLease (the object's side)", () => {
  const l = { rpm: 600, tpm: 60_000 };
  it("grants the request and a lease from what the buckets hold, never into debt", () => {
    const r = grantWithLease(l, freshState(l, 0), { requests: 1, tokens: 100 }, { id: "l1", want: { requests: 10, tokens: 1000 } }, 0);
    expect(r.decision.kind).toBe("granted");
    expect(r.lease).toEqual({ requests: 10, tokens: 1000 });
    expect(r.decision.snapshot.remainingRequests).toBe(100 - 11);
    // Nearly empty: the lease shrinks to what is there.
    let s = r.state;
    for (let i = 0; i < 85; i++) s = grantWithLease(l, s, { requests: 1, tokens: 1 }, undefined, 0).state;
    const small = grantWithLease(l, s, { requests: 1, tokens: 1 }, { id: "l2", want: { requests: 10, tokens: 1000 } }, 0);
    expect(small.lease).toEqual({ requests: 3, tokens: 1000 });
    expect(small.decision.snapshot.remainingRequests).toBe(0);
  });

  // A bucket full when a lease is granted refills in the second the lease may be used; a
  // window opening in that second must not see the lease's admissions on top of it.
  it("keeps every 60-second window within burst + limit when a lease is spent at the end of its life", () => {
    const lim = { rpm: 600, tpm: 600_000 }; // burst 100 requests, lease 10
    const one = { requests: 1, tokens: 1 };
    const burst = 100;
    const admitted: number[] = [];
    const g = grantWithLease(lim, freshState(lim, 0), one, { id: "edge", want: leaseSize(lim) }, 0);
    expect(g.lease?.requests).toBe(10);
    admitted.push(0);
    let s = g.state;
    const windowStart = 990;
    // Everyone else takes every grant the object gives from the window's start on.
    const drain = (t: number): void => {
      for (;;) {
        const r = grantWithLease(lim, s, one, undefined, t);
        if (r.decision.kind !== "granted") return;
        s = r.state;
        admitted.push(t);
      }
    };
    for (let t = windowStart; t < 1_500; t += 5) {
      // 995 ms: the isolate spends its whole lease, without a call.
      if (t === 995) for (let i = 0; i < g.lease!.requests; i++) admitted.push(t);
      drain(t);
    }
    // 1.5 s: its next call gives the lease back, all used.
    s = returnLease(lim, s, [{ id: "edge", granted: g.lease!, used: g.lease! }], 1_500);
    for (let t = 1_500; t < windowStart + 60_000; t += 5) drain(t);
    const inWindow = admitted.filter((t) => t >= windowStart && t < windowStart + 60_000).length;
    expect(inWindow).toBeLessThanOrEqual(burst + lim.rpm);
    // And the capacity is not lost: the window is full, not short of the lease.
    expect(inWindow).toBeGreaterThanOrEqual(burst + lim.rpm - g.lease!.requests);
  });

  it("stops holding a lease that never comes back once LEASE_HOLD_MS have passed, charged in full", () => {
    const lim = { rpm: 600, tpm: 600_000 };
    const g = grantWithLease(lim, freshState(lim, 0), { requests: 1, tokens: 1 }, { id: "lost", want: leaseSize(lim) }, 0);
    expect(g.state.held.map((h) => h.id)).toEqual(["lost"]);
    // Held: the bucket refills only to the burst less the lease.
    expect(snapshot(lim, g.state, LEASE_HOLD_MS - 1).remainingRequests).toBe(90);
    const later = snapshot(lim, g.state, LEASE_HOLD_MS + 1_000);
    // Released at LEASE_HOLD_MS, it refills from there: one second later 10 more, the burst.
    expect(later.remainingRequests).toBe(100);
    expect(snapshot(lim, g.state, LEASE_HOLD_MS + 500).remainingRequests).toBe(95);
  });

  it("grants no lease with a refusal, and a refusal changes nothing", () => {
    const tiny = { rpm: 6, tpm: 1000 };
    const s = grantWithLease(tiny, freshState(tiny, 0), { requests: 1, tokens: 1 }, undefined, 0).state;
    const r = grantWithLease(tiny, s, { requests: 1, tokens: 1 }, { id: "l3", want: { requests: 1, tokens: 1 } }, 0);
    expect(r.decision.kind).toBe("limited");
    expect(r.lease).toBeNull();
    expect(r.state).toEqual(s);
  });
});

describe("LeaseHolder (the isolate's side)", () => {
  const l = { rpm: 600, tpm: 60_000 };
  const want = { requests: 1, tokens: 100 };
  let n = 0;
  const holder = () => new LeaseHolder(() => `lease-${++n}`);
  const granted = (lease?: { requests: number; tokens: number }) => ({ kind: "granted" as const, granted: want, snapshot: snap, ...(lease ? { lease } : {}) });

  it("asks for a lease only once busy, then serves from it without a call, and gives back the rest", () => {
    const h = holder();
    const first = h.beforeAcquire("p/m", l, 0);
    expect(first.lease).toBeUndefined();
    h.afterAcquire("p/m", l, first, want, granted(), 0);
    const second = h.beforeAcquire("p/m", l, 100);
    expect(second.lease?.want).toEqual({ requests: 10, tokens: 1000 });
    h.afterAcquire("p/m", l, second, want, granted({ requests: 10, tokens: 1000 }), 100);
    expect(h.take("p/m", l, want, 200)).toMatchObject({ remainingRequests: 50 + 9 });
    expect(h.take("p/m", l, want, 200 + LEASE_MS)).toBeNull();
    const third = h.beforeAcquire("p/m", l, 200 + LEASE_MS);
    expect(third.returned).toEqual([{ id: second.lease!.id, granted: { requests: 10, tokens: 1000 }, used: { requests: 1, tokens: 100 } }]);
  });

  it("serves a refused request from a lease another request brought meanwhile", () => {
    const h = holder();
    h.afterAcquire("p/m", l, h.beforeAcquire("p/m", l, 0), want, granted(), 0);
    const a = h.beforeAcquire("p/m", l, 10);
    const b = h.beforeAcquire("p/m", l, 10);
    h.afterAcquire("p/m", l, a, want, granted({ requests: 10, tokens: 1000 }), 20);
    const limited = { kind: "limited" as const, limit: "requests" as const, retryAfterMs: 100, requested: want, burst: want, snapshot: snap };
    expect(h.afterAcquire("p/m", l, b, want, limited, 20).kind).toBe("granted");
  });
});

describe("LeaseHolder under concurrent requests", () => {
  const l = { rpm: 600, tpm: 60_000 };
  const want = { requests: 1, tokens: 100 };
  let n = 0;

  it("has one lease ask on its way per limiter, so concurrent requests do not take the burst into one isolate", () => {
    const h = new LeaseHolder(() => `c-lease-${++n}`);
    let state = freshState(l, 0);
    const asks = [h.beforeAcquire("p/m", l, 0)];
    state = grantWithLease(l, state, want, asks[0]!.lease, 0).state;
    h.afterAcquire("p/m", l, asks[0]!, want, { kind: "granted", granted: want, snapshot: snapshot(l, state, 0) }, 0);
    // Ten requests of a busy isolate reach the object together, before any answer is back.
    const concurrent = Array.from({ length: 10 }, () => h.beforeAcquire("p/m", l, 100));
    expect(concurrent.filter((a) => a.lease !== undefined)).toHaveLength(1);
    // At the object, what they lease is one lease, a tenth of the burst, not the whole of it.
    let leased = 0;
    for (const a of concurrent) {
      const g = grantWithLease(l, state, want, a.lease, 100);
      state = g.state;
      leased += g.lease?.requests ?? 0;
    }
    expect(leased).toBe(10);
    // Once that answer is back, the next busy request may ask again.
    const answer = { kind: "granted" as const, granted: want, snapshot: snapshot(l, state, 100), lease: { requests: 10, tokens: 1000 } };
    h.afterAcquire("p/m", l, concurrent.find((a) => a.lease)!, want, answer, 150);
    for (let i = 0; i < 10; i++) h.take("p/m", l, want, 160);
    expect(h.beforeAcquire("p/m", l, 170).lease).toBeDefined();
  });

  it("asks again when an answer that carried the ask never came back", () => {
    const h = new LeaseHolder(() => `c-lease-${++n}`);
    h.beforeAcquire("p/m", l, 0);
    expect(h.beforeAcquire("p/m", l, 100).lease).toBeDefined();
    // The call timed out: afterAcquire never ran for it.
    expect(h.beforeAcquire("p/m", l, 200).lease).toBeUndefined();
    expect(h.beforeAcquire("p/m", l, 1_500).lease).toBeUndefined();
    // The longest the isolate waits for an answer (LIMITER_TIMEOUT_MS) is over: it is not coming.
    expect(h.beforeAcquire("p/m", l, 2_100).lease).toBeDefined();
  });
});
