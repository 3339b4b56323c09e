import { describe, expect, it } from "vitest";
import { LEASE_MS, leaseReturn, leaseSize, leaseSnapshot, mergeLease, takeFromLease, worthLeasing, type Lease } from "../../src/quota/lease.ts";

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
