import { describe, expect, it } from "vitest";
import { admit, freshState, netOf, settle, settleNet, snapshot, type Decision, type LimiterState, type Limits, type Units } from "../../src/quota/rate-limiter.ts";
import { bucketOf } from "../../src/quota/token-bucket.ts";
import { prng } from "../../sim/prng.ts";

// 60 RPM: one request per second, burst 10. 600 TPM: 10 units per second, burst 100.
const L: Limits = { rpm: 60, tpm: 600 };
const one = (tokens = 1): Units => ({ requests: 1, tokens });

/** Runs a sequence of attempts at given times on one state; returns the decisions. */
function drive(limits: Limits, attempts: Array<{ at: number; want: Units }>, start = freshState(limits, 0)): { decisions: Decision[]; state: LimiterState } {
  let state = start;
  const decisions: Decision[] = [];
  for (const a of attempts) {
    const r = admit(limits, state, a.want, a.at);
    state = r.state;
    decisions.push(r.decision);
  }
  return { decisions, state };
}

const kinds = (ds: Decision[]): string => ds.map((d) => (d.kind === "granted" ? "+" : d.kind === "limited" ? "-" : "x")).join("");

describe("bucket sizes", () => {
  it("allows a burst of ten seconds' worth, at least one", () => {
    expect(bucketOf(60).burst).toBe(10);
    expect(bucketOf(600).burst).toBe(100);
    expect(bucketOf(1000).burst).toBe(167);
    expect(bucketOf(1).burst).toBe(1);
    expect(bucketOf(5).burst).toBe(1);
    expect(bucketOf(7).burst).toBe(2);
  });
});

describe("admission at the edges of the burst", () => {
  it("grants exactly the burst at once, then refuses", () => {
    const { decisions } = drive(L, Array.from({ length: 12 }, () => ({ at: 0, want: one() })));
    expect(kinds(decisions)).toBe("++++++++++--");
  });

  it("grants one more request per second after the burst is spent, never earlier", () => {
    const attempts = [
      ...Array.from({ length: 10 }, () => ({ at: 0, want: one() })),
      { at: 999, want: one() },
      { at: 1000, want: one() },
      { at: 1000, want: one() },
      { at: 1999, want: one() },
      { at: 2000, want: one() },
    ];
    expect(kinds(drive(L, attempts).decisions)).toBe("++++++++++" + "-+-" + "-+");
  });

  it("says when to retry: the time until both buckets would grant it", () => {
    const { decisions } = drive(L, [...Array.from({ length: 10 }, () => ({ at: 0, want: one() })), { at: 250, want: one() }]);
    const last = decisions.at(-1)!;
    expect(last.kind).toBe("limited");
    if (last.kind !== "limited") return;
    expect(last.limit).toBe("requests");
    expect(last.retryAfterMs).toBe(750);
    expect(last.burst).toEqual({ requests: 10, tokens: 100 });
  });

  it("refuses on tokens when the token bucket is the short one, and names it", () => {
    const { decisions } = drive(L, [
      { at: 0, want: one(80) },
      { at: 0, want: one(30) },
    ]);
    expect(kinds(decisions)).toBe("+-");
    const d = decisions[1]!;
    if (d.kind !== "limited") throw new Error("expected limited");
    expect(d.limit).toBe("tokens");
    // 20 units left, 30 wanted: 10 more units at 10 per second.
    expect(d.retryAfterMs).toBe(1000);
    expect(d.snapshot.remainingTokens).toBe(20);
    expect(d.snapshot.remainingRequests).toBe(9);
  });

  it("takes both buckets or neither: a refusal on tokens keeps the request unit", () => {
    const { state } = drive(L, [
      { at: 0, want: one(100) },
      { at: 0, want: one(5) },
      { at: 0, want: one(5) },
    ]);
    expect(snapshot(L, state, 0).remainingRequests).toBe(9);
    expect(snapshot(L, state, 0).remainingTokens).toBe(0);
  });

  it("gives the longer of the two waits when both are short", () => {
    const s = drive(L, Array.from({ length: 10 }, () => ({ at: 0, want: one(10) }))).state;
    const d = admit(L, s, one(50), 0).decision;
    if (d.kind !== "limited") throw new Error("expected limited");
    expect(d.limit).toBe("requests");
    expect(d.retryAfterMs).toBe(5000);
  });

  it("never grants more than the per-minute limit in one go, and says it never will", () => {
    const d = admit(L, freshState(L, 0), one(601), 0).decision;
    expect(d.kind).toBe("too_large");
    if (d.kind === "too_large") expect(d.limit).toBe("tokens");
    expect(admit(L, freshState(L, 0), { requests: 61, tokens: 1 }, 0).decision.kind).toBe("too_large");
  });

  it("grants a request above the burst but within the limit from a full bucket only, as debt", () => {
    const { decisions, state } = drive(L, [
      { at: 0, want: one(1) },
      { at: 0, want: one(600) },
      { at: 100, want: one(600) },
    ]);
    // Not full after the first request (99 of 100), full again 100 ms later.
    expect(kinds(decisions)).toBe("+-+");
    // 600 taken from 100: 500 in debt, paid back at 10 per second.
    const s = snapshot(L, state, 100);
    expect(s.remainingTokens).toBe(0);
    expect(s.resetTokensMs).toBe(60_000);
    const next = admit(L, state, one(1), 100 + 50_000).decision;
    expect(next.kind).toBe("limited");
    expect(admit(L, state, one(1), 100 + 50_100).decision.kind).toBe("granted");
  });
});

describe("reset times", () => {
  it("is the time until the bucket is full again", () => {
    const { state } = drive(L, [
      { at: 0, want: one(25) },
      { at: 0, want: one(25) },
      { at: 0, want: one(25) },
    ]);
    const s = snapshot(L, state, 0);
    expect(s).toEqual({ limitRequests: 60, limitTokens: 600, remainingRequests: 7, remainingTokens: 25, resetRequestsMs: 3000, resetTokensMs: 7500 });
    expect(snapshot(L, state, 2000)).toMatchObject({ remainingRequests: 9, remainingTokens: 45, resetRequestsMs: 1000, resetTokensMs: 5500 });
    expect(snapshot(L, state, 60_000)).toMatchObject({ remainingRequests: 10, remainingTokens: 100, resetRequestsMs: 0, resetTokensMs: 0 });
  });

  it("rounds partial units down for remaining and partial milliseconds up for reset", () => {
    const limits = { rpm: 7, tpm: 70_000 };
    const { state } = drive(limits, [{ at: 0, want: one(1) }]);
    // 7 per minute: a unit every 8571.43 ms.
    expect(snapshot(limits, state, 0)).toMatchObject({ remainingRequests: 1, resetRequestsMs: 8572 });
    expect(snapshot(limits, state, 8571)).toMatchObject({ remainingRequests: 1, resetRequestsMs: 1 });
    expect(snapshot(limits, state, 8572)).toMatchObject({ remainingRequests: 2, resetRequestsMs: 0 });
  });
});

describe("settling", () => {
  it("refunds what a request reserved but did not use", () => {
    let { state } = drive(L, [{ at: 0, want: one(100) }]);
    state = settle(L, state, one(100), one(40), 0);
    expect(snapshot(L, state, 0).remainingTokens).toBe(60);
    expect(admit(L, state, one(60), 0).decision.kind).toBe("granted");
  });

  it("charges an underestimate as debt that delays later grants", () => {
    let { state } = drive(L, [{ at: 0, want: one(50) }]);
    state = settle(L, state, one(50), one(150), 0);
    expect(snapshot(L, state, 0).remainingTokens).toBe(0);
    const d = admit(L, state, one(10), 0).decision;
    if (d.kind !== "limited") throw new Error("expected limited");
    // 50 units of debt plus the 10 wanted, at 10 units per second.
    expect(d.retryAfterMs).toBe(6000);
    expect(admit(L, state, one(10), 5999).decision.kind).toBe("limited");
    expect(admit(L, state, one(10), 6000).decision.kind).toBe("granted");
  });

  it("gives back the whole grant when nothing was used, never above the burst", () => {
    let { state } = drive(L, [{ at: 0, want: one(30) }]);
    state = settle(L, state, one(30), { requests: 0, tokens: 0 }, 5000);
    expect(snapshot(L, state, 5000)).toMatchObject({ remainingRequests: 10, remainingTokens: 100 });
  });

  it("charges everything used when there was no grant (admitted while the limiter was away)", () => {
    const state = settle(L, freshState(L, 0), { requests: 0, tokens: 0 }, one(70), 0);
    expect(snapshot(L, state, 0)).toMatchObject({ remainingRequests: 9, remainingTokens: 30 });
  });

  it("makes minute totals exact: reserve, settle, and the refill add up", () => {
    // Reserve 50 each, use 20 each: after settling, 30 x n comes back.
    let state = freshState(L, 0);
    for (let i = 0; i < 2; i++) {
      const r = admit(L, state, one(50), 0);
      expect(r.decision.kind).toBe("granted");
      state = settle(L, r.state, one(50), one(20), 0);
    }
    expect(snapshot(L, state, 0).remainingTokens).toBe(60);
  });
});

describe("limit changes", () => {
  it("clamps a bucket to a smaller burst when the limit is lowered", () => {
    const state = freshState(L, 0);
    const lower = { rpm: 6, tpm: 60 };
    expect(snapshot(lower, state, 0)).toMatchObject({ limitRequests: 6, remainingRequests: 1, remainingTokens: 10 });
  });
});


describe("the envelope under random load", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`never grants more than burst + rate x t in any window, and keeps up at saturation (seed ${seed})`, () => {
      const rnd = prng(seed);
      const limits = { rpm: 120, tpm: 12_000 };
      const b = { requests: bucketOf(120), tokens: bucketOf(12_000) };
      let state = freshState(limits, 0);
      const grants: Array<{ at: number; tokens: number }> = [];
      let now = 0;
      // About 4x the request limit, for five minutes.
      while (now < 300_000) {
        now += Math.floor(rnd() * 250);
        const tokens = 1 + Math.floor(rnd() * 150);
        const r = admit(limits, state, one(tokens), now);
        state = r.state;
        if (r.decision.kind === "granted") grants.push({ at: now, tokens });
      }
      const violations: string[] = [];
      for (let i = 0; i < grants.length; i++) {
        let reqs = 0;
        let toks = 0;
        for (let j = i; j < grants.length; j++) {
          reqs++;
          toks += grants[j]!.tokens;
          const span = grants[j]!.at - grants[i]!.at;
          if (reqs > b.requests.burst + (limits.rpm * span) / 60_000) violations.push(`requests ${i}..${j}`);
          if (toks > b.tokens.burst + (limits.tpm * span) / 60_000) violations.push(`tokens ${i}..${j}`);
        }
      }
      expect(violations).toEqual([]);
      // Saturated on requests (4x), the grants follow the refill to within one burst.
      expect(grants.length).toBeGreaterThanOrEqual((limits.rpm * now) / 60_000 - b.requests.burst);
    });
  }
});

describe("settling many grants at one instant by their sum", () => {
  it("is the order charges first: a refund is not cut off at the burst that a charge beside it makes room for", () => {
    // A full bucket (100 tokens); one request refunds 30, another is charged 30 more than it reserved.
    const full = freshState(L, 0);
    const refund = { granted: one(50), used: one(20) };
    const charge = { granted: one(50), used: one(80) };
    const refundFirst = settle(L, settle(L, full, refund.granted, refund.used, 0), charge.granted, charge.used, 0);
    const chargeFirst = settle(L, settle(L, full, charge.granted, charge.used, 0), refund.granted, refund.used, 0);
    expect(snapshot(L, refundFirst, 0).remainingTokens).toBe(70);
    expect(snapshot(L, chargeFirst, 0).remainingTokens).toBe(100);
    expect(settleNet(L, full, netOf([refund, charge]), 0)).toEqual(chargeFirst);
  });

  for (const seed of [11, 12, 13, 14, 15, 16]) {
    it(`equals settling one by one, charges first, from any state (seed ${seed})`, () => {
      const rnd = prng(seed);
      const int = (n: number): number => Math.floor(rnd() * n);
      for (let round = 0; round < 200; round++) {
        // A state anywhere from deep debt to full, refilled a little by `now`.
        let start = freshState(L, 0);
        start = admit(L, start, { requests: int(10), tokens: int(100) }, 0).state;
        start = settle(L, start, { requests: 0, tokens: 0 }, { requests: int(5), tokens: int(200) }, 0);
        const now = int(3000);
        const grants = Array.from({ length: 1 + int(12) }, () => {
          const granted = { requests: int(2), tokens: int(120) };
          return { granted, used: { requests: int(2), tokens: int(160) } };
        });
        // Charges first, for each bucket by its own differences.
        const chargesFirst = (pick: (u: Units) => number) => [...grants].sort((a, b) => pick(a.granted) - pick(a.used) - (pick(b.granted) - pick(b.used)));
        const summed = settleNet(L, start, netOf(grants), now);
        const oneByOne = (order: typeof grants): LimiterState => order.reduce((s, g) => settle(L, s, g.granted, g.used, now), start);
        expect(summed.requests).toEqual(oneByOne(chargesFirst((u) => u.requests)).requests);
        expect(summed.tokens).toEqual(oneByOne(chargesFirst((u) => u.tokens)).tokens);
        // Any other order ends with no more credit: the sum only ever keeps refunds the clamp would drop.
        const asGiven = oneByOne(grants);
        expect(summed.requests.credit).toBeGreaterThanOrEqual(asGiven.requests.credit);
        expect(summed.tokens.credit).toBeGreaterThanOrEqual(asGiven.tokens.credit);
      }
    });
  }

  it("gives the same state as one by one whenever no refund reaches the burst", () => {
    let state = admit(L, freshState(L, 0), { requests: 5, tokens: 90 }, 0).state;
    const grants = [
      { granted: one(30), used: one(10) },
      { granted: one(30), used: one(45) },
      { granted: one(30), used: { requests: 0, tokens: 0 } },
    ];
    const summed = settleNet(L, state, netOf(grants), 0);
    for (const g of grants) state = settle(L, state, g.granted, g.used, 0);
    expect(summed).toEqual(state);
    expect(snapshot(L, summed, 0)).toMatchObject({ remainingRequests: 6, remainingTokens: 45 });
  });
});
