import { describe, expect, it } from "vitest";
import { grantWithLease } from "../../src/quota/lease.ts";
import { admit, freshState, settle, unpaidDebt, type Decision, type LimiterState, type Limits, type Units } from "../../src/quota/rate-limiter.ts";
import { MINUTE_MS } from "../../src/quota/token-bucket.ts";
import { prng } from "../../sim/prng.ts";

// 60 RPM: one request per second, burst 10.
const L: Limits = { rpm: 60, tpm: 6000 };
const one: Units = { requests: 1, tokens: 1 };

function spendBurst(s: LimiterState, now: number): LimiterState {
  for (let i = 0; i < 10; i++) s = admit(L, s, one, now).state;
  return s;
}

const startOf = (d: Decision): number | undefined => (d.kind === "granted" ? d.startAt : undefined);

describe("Prefer: wait in the pure limiter", () => {
  it("admits a request that fits within the wait, to start when capacity frees, in arrival order", () => {
    let s = spendBurst(freshState(L, 0), 0);
    const starts: Array<number | undefined> = [];
    for (const at of [100, 100, 200, 300]) {
      const r = admit(L, s, one, at, 10_000);
      s = r.state;
      starts.push(startOf(r.decision));
    }
    // One request per second frees: the first waiter starts at 1000, the next at 2000...
    expect(starts).toEqual([1000, 2000, 3000, 4000]);
  });

  it("refuses with the time the queue clears when the wait would be longer than allowed", () => {
    let s = spendBurst(freshState(L, 0), 0);
    s = admit(L, s, one, 0, 1500).state; // starts at 1000
    const r = admit(L, s, one, 0, 1500); // would start at 2000
    expect(r.decision.kind).toBe("limited");
    if (r.decision.kind === "limited") expect(r.decision.retryAfterMs).toBe(2000);
    // A refusal takes nothing: the same request fits a longer wait exactly where it would have.
    expect(startOf(admit(L, r.state, one, 0, 5000).decision)).toBe(2000);
  });

  it("lets no later request overtake a waiter, even when a refund frees capacity meanwhile", () => {
    let s = spendBurst(freshState(L, 0), 0);
    s = admit(L, s, one, 0, 10_000).state; // waits until 1000
    s = admit(L, s, one, 0, 10_000).state; // waits until 2000
    // Requests of the burst settle having used nothing: the buckets hold credit again.
    s = settle(L, s, { requests: 5, tokens: 5 }, { requests: 0, tokens: 0 }, 100);
    const noWait = admit(L, s, one, 200);
    expect(noWait.decision.kind).toBe("limited");
    if (noWait.decision.kind === "limited") {
      expect(noWait.decision.waiting).toBe(true);
      expect(noWait.decision.retryAfterMs).toBe(1800);
    }
    expect(startOf(admit(L, s, one, 200, 10_000).decision)).toBe(2000);
    // Once the last waiter started, the queue is gone and the refund is usable at once.
    const later = admit(L, s, one, 2000);
    expect(later.decision.kind).toBe("granted");
    expect(startOf(later.decision)).toBeUndefined();
  });

  it("grants no lease while anyone waits", () => {
    let s = spendBurst(freshState(L, 0), 0);
    s = settle(L, s, { requests: 10, tokens: 10 }, { requests: 0, tokens: 0 }, 0);
    s = admit(L, admit(L, spendBurst(s, 0), one, 0, 10_000).state, one, 0).state;
    const g = grantWithLease(L, s, one, { id: "l", want: { requests: 1, tokens: 1 } }, 0, 10_000);
    expect(startOf(g.decision)).toBeGreaterThan(0);
    expect(g.lease).toBeNull();
  });

  it("keeps every 60-second window of start times within limit + burst under random waiting load", () => {
    const rnd = prng(3);
    let s = freshState(L, 0);
    const starts: number[] = [];
    for (let t = 0; t < 10 * MINUTE_MS; t += Math.floor(rnd() * 400)) {
      const r = admit(L, s, one, t, rnd() < 0.5 ? 10_000 : 0);
      s = r.state;
      if (r.decision.kind === "granted") starts.push(r.decision.startAt ?? t);
    }
    const sorted = [...starts].sort((a, b) => a - b);
    // Starts are in arrival order already.
    expect(starts).toEqual(sorted);
    let worst = 0;
    for (let i = 0, j = 0; i < sorted.length; i++) {
      while (j < sorted.length && sorted[j]! < sorted[i]! + MINUTE_MS) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst).toBeLessThanOrEqual(60 + 10);
    // And the waiting load used the limit: within a few requests of burst + 10 minutes of it.
    expect(starts.length).toBeGreaterThanOrEqual(600);
  });
});

describe("Prefer: wait when refunds arrive while requests wait", () => {
  // 600 TPM: ten units a second, burst 100; requests plenty.
  const T: Limits = { rpm: 6000, tpm: 600 };
  const units = (tokens: number): Units => ({ requests: 1, tokens });

  it("keeps the window that opens at the waiters' start within limit + burst", () => {
    let s = freshState(T, 0);
    const starts: Array<{ at: number; tokens: number }> = [];
    const ask = (tokens: number, at: number, maxWaitMs = 0): void => {
      const r = admit(T, s, units(tokens), at, maxWaitMs);
      s = r.state;
      if (r.decision.kind === "granted") starts.push({ at: r.decision.startAt ?? at, tokens });
    };
    // A takes the whole burst and will use none of it (its origin fails at once).
    s = admit(T, s, units(100), 0).state;
    ask(100, 0, 10_000); // B waits for the refill: starts at 10 s
    // A's refund arrives while B waits; a waiter that comes after it is scheduled behind B.
    s = settle(T, s, units(100), units(0), 1_000);
    ask(10, 1_000, 10_000);
    // From B's start on, requests come faster than the refill and take what they can.
    for (let t = 10_000; t < 70_000; t += 100) ask(10, t);
    // Every grant used what it reserved (X_end = 0) and A settled before the window
    // (F_start = 0): the window [10 s, 70 s) may hold limit + burst and no more.
    const inWindow = starts.filter((x) => x.at >= 10_000 && x.at < 70_000).reduce((n, x) => n + x.tokens, 0);
    expect(inWindow).toBeLessThanOrEqual(600 + 100);
    // And it is not starved either: the refill of the window is used.
    expect(inWindow).toBeGreaterThanOrEqual(600);
  });

  it("pays a charge that arrives while requests wait only after them: the window holds it as D_end", () => {
    let s = freshState(T, 0);
    const starts: Array<{ at: number; tokens: number }> = [];
    const ask = (reserve: number, at: number, maxWaitMs = 0, used = reserve): void => {
      const r = admit(T, s, units(reserve), at, maxWaitMs);
      s = r.state;
      if (r.decision.kind === "granted") starts.push({ at: r.decision.startAt ?? at, tokens: used });
    };
    // A reserves 10 (a learned mean) and answers long: it uses 60.
    ask(10, 0, 0, 60);
    // Requests without waits take the burst and the refill until 50 s.
    for (let t = 0; t < 50_000; t += 100) ask(10, t);
    // Ten callers send Prefer: wait: scheduled one a second from 50 s (the credit left).
    for (let i = 0; i < 10; i++) ask(10, 50_000, 10_000);
    // A ends at 55 s and is charged its excess; the waiters keep their starts.
    s = settle(T, s, units(10), units(60), 55_000);
    const window = starts.filter((x) => x.at < 60_000).reduce((n, x) => n + x.tokens, 0);
    // A ended inside the window (X_end = 0) and nothing started before it (F_start = 0): the
    // excess shows as the charge the refill has not paid off by the window's end.
    const dEnd = unpaidDebt(T, s, 60_000);
    // The waiters start 50 s to 59 s; the refill of the last second pays 10 of the 50.
    expect(dEnd).toBe(40);
    expect(window).toBeGreaterThan(600 + 100);
    expect(window).toBeLessThanOrEqual(600 + 100 + dEnd);
    // Later requests pay it: a second window right after the waiters holds the limit less it.
    for (let t = 60_000; t < 120_000; t += 100) ask(10, t);
    const next = starts.filter((x) => x.at >= 60_000 && x.at < 120_000).reduce((n, x) => n + x.tokens, 0);
    expect(next).toBeLessThanOrEqual(600 - 50);
  });
});
