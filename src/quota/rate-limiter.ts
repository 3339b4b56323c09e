// The admission decision for one project and model: a request bucket and a token bucket,
// both granted or neither, plus the snapshot the x-ratelimit-* headers are made of.

import { adjust, bucketOf, canTake, fitsEver, fullBucket, MINUTE_MS, refill, remaining, resetMs, take, waitMs, type Bucket, type BucketState } from "./token-bucket.ts";

// A type, not an interface: a record of them (a project's overrides) must fit the audit log's Json.
export type Limits = {
  rpm: number;
  tpm: number;
};

/** Capacity asked for or granted: requests and TPM units (prompt + 5 x completion). */
export interface Units {
  requests: number;
  tokens: number;
}

/**
 * Capacity leased to an isolate: taken from the buckets when granted, and until it comes
 * back or expires also held out of their refill. Otherwise a bucket full when the lease
 * was granted could refill before the lease is spent, and a 60-second window that opens
 * in between would see the lease's admissions on top of a full bucket's. A request admitted
 * to wait is held the same way until it starts (id `wait:...`, see `admit`).
 */
export interface HeldLease {
  id: string;
  units: Units;
  /** When the object stops holding it: the isolate's use window plus the round trip. */
  until: number;
}

export interface LimiterState {
  requests: BucketState;
  tokens: BucketState;
  /**
   * Capacity held out of the refill, soonest `until` first: leases out and not yet back,
   * and the units of requests admitted to wait, until they start (see `admit`). Kept in
   * memory: they live seconds.
   */
  held: readonly HeldLease[];
  /**
   * When the last request admitted to wait starts (ms; absent or past: nobody waits). Until
   * then every later request waits behind it or is refused, so none overtakes a waiter.
   */
  waitUntil?: number;
}

export interface Snapshot {
  limitRequests: number;
  limitTokens: number;
  remainingRequests: number;
  remainingTokens: number;
  resetRequestsMs: number;
  resetTokensMs: number;
}

export type Decision =
  /** `startAt`: admitted to wait, it may start then (its units are taken already). */
  | { kind: "granted"; granted: Units; snapshot: Snapshot; startAt?: number }
  /**
   * Over a limit now; `retryAfterMs` is when both buckets would grant it (and every
   * request waiting ahead of it has started). `waiting`: requests that chose to wait are
   * ahead of it, which is why it is refused even if the counters show room.
   */
  | { kind: "limited"; limit: "requests" | "tokens"; retryAfterMs: number; requested: Units; burst: Units; snapshot: Snapshot; waiting?: boolean }
  /** Larger than the per-minute limit: it would never be granted. */
  | { kind: "too_large"; limit: "requests" | "tokens"; requested: Units; snapshot: Snapshot };

const buckets = (l: Limits): { requests: Bucket; tokens: Bucket } => ({ requests: bucketOf(l.rpm), tokens: bucketOf(l.tpm) });

export const freshState = (l: Limits, now: number): LimiterState => {
  const b = buckets(l);
  return { requests: fullBucket(b.requests, now), tokens: fullBucket(b.tokens, now), held: [] };
};

/** Units held out of the refill by these leases. */
export function heldUnits(held: readonly HeldLease[]): Units {
  let requests = 0;
  let tokens = 0;
  for (const h of held) {
    requests += h.units.requests;
    tokens += h.units.tokens;
  }
  return { requests, tokens };
}

const WAITER = "wait:";

/** Whether a held entry is a waiter's units (not an isolate's lease). */
export const isWaiter = (h: HeldLease): boolean => h.id.startsWith(WAITER);

/** `h` added to `held` in order of `until`, as `refilled` reads them. */
export function withHeld(held: readonly HeldLease[], h: HeldLease): HeldLease[] {
  let i = held.length;
  while (i > 0 && held[i - 1]!.until > h.until) i--;
  return [...held.slice(0, i), h, ...held.slice(i)];
}

/**
 * The state at `now`: refilled piecewise, each stretch under the cap the leases and
 * waiters held then, so a lease that expired (or a waiter that started) a moment ago frees
 * room from that moment, not from the last time the buckets were touched.
 */
export function refilled(l: Limits, s: LimiterState, now: number): LimiterState {
  const b = buckets(l);
  let { requests, tokens, held } = s;
  while (held.length > 0 && held[0]!.until <= now) {
    const cap = heldUnits(held);
    const at = Math.max(held[0]!.until, requests.at);
    requests = refill(b.requests, requests, at, cap.requests);
    tokens = refill(b.tokens, tokens, at, cap.tokens);
    held = held.slice(1);
  }
  const cap = heldUnits(held);
  const waitUntil = s.waitUntil !== undefined && s.waitUntil > now ? { waitUntil: s.waitUntil } : {};
  return { requests: refill(b.requests, requests, now, cap.requests), tokens: refill(b.tokens, tokens, now, cap.tokens), held, ...waitUntil };
}

/**
 * D_end of the guarantee (docs/design/rate-limits.md) at `now`, in TPM units: the token
 * bucket's debt less the units of waiters that start later (taken at their grant, used from
 * their start), so what is left is charges for answers longer than their reservation that
 * the refill has not paid off yet. A charge is paid only after the waiters already
 * scheduled, whose starts do not move.
 */
export function unpaidDebt(l: Limits, state: LimiterState, now: number): number {
  const s = refilled(l, state, now);
  const waiting = s.held.filter((h) => isWaiter(h) && h.until > now).reduce((n, h) => n + h.units.tokens, 0);
  return Math.max(0, -Math.floor(s.tokens.credit / MINUTE_MS) - waiting);
}

function snapshotOf(l: Limits, s: LimiterState): Snapshot {
  const b = buckets(l);
  return {
    limitRequests: l.rpm,
    limitTokens: l.tpm,
    remainingRequests: remaining(s.requests),
    remainingTokens: remaining(s.tokens),
    resetRequestsMs: resetMs(b.requests, s.requests),
    resetTokensMs: resetMs(b.tokens, s.tokens),
  };
}

export function snapshot(l: Limits, s: LimiterState, now: number): Snapshot {
  return snapshotOf(l, refilled(l, s, now));
}

/**
 * Grants `want` from both buckets at `now`, or explains why not. With `maxWaitMs` > 0 a
 * request the buckets could grant within that wait (and after everyone waiting ahead) is
 * granted now to start at `startAt`: its units are taken at once, into debt, so every
 * later request sees them spent and waits behind it, in arrival order, with no queue to
 * keep and no timer in the object. A refusal changes nothing.
 */
export function admit(l: Limits, state: LimiterState, want: Units, now: number, maxWaitMs = 0): { state: LimiterState; decision: Decision } {
  const b = buckets(l);
  const s = refilled(l, state, now);
  if (!fitsEver(b.requests, want.requests)) {
    return { state: s, decision: { kind: "too_large", limit: "requests", requested: want, snapshot: snapshotOf(l, s) } };
  }
  if (!fitsEver(b.tokens, want.tokens)) {
    return { state: s, decision: { kind: "too_large", limit: "tokens", requested: want, snapshot: snapshotOf(l, s) } };
  }
  const okRequests = canTake(b.requests, s.requests, want.requests);
  const okTokens = canTake(b.tokens, s.tokens, want.tokens);
  const waiting = s.waitUntil !== undefined;
  if (!okRequests || !okTokens || waiting) {
    const ready = Math.max(waitMs(b.requests, s.requests, want.requests), waitMs(b.tokens, s.tokens, want.tokens), (s.waitUntil ?? now) - now);
    // A waiter's units are taken now but used from its start: until then they are also
    // held out of the refill (and out of refunds), as if still in the bucket. Otherwise a
    // refund or the refill while it waits would fill the bucket on top of what it was
    // promised, and the window that opens at its start would hold both (issue 15).
    const held = withHeld(s.held, { id: `${WAITER}${now}:${s.held.length}`, units: want, until: now + ready });
    const next = { requests: take(s.requests, want.requests), tokens: take(s.tokens, want.tokens), held, waitUntil: now + ready };
    if (ready > 0 && ready <= maxWaitMs) return { state: next, decision: { kind: "granted", granted: want, snapshot: snapshotOf(l, next), startAt: now + ready } };
    const decision: Decision = {
      kind: "limited",
      limit: okRequests ? "tokens" : "requests",
      retryAfterMs: Math.max(1, ready),
      requested: want,
      burst: { requests: b.requests.burst, tokens: b.tokens.burst },
      snapshot: snapshotOf(l, s),
      ...(waiting ? { waiting: true } : {}),
    };
    return { state: s, decision };
  }
  const next = { requests: take(s.requests, want.requests), tokens: take(s.tokens, want.tokens), held: s.held };
  return { state: next, decision: { kind: "granted", granted: want, snapshot: snapshotOf(l, next) } };
}

/** What settling a grant gives back (positive) or charges (negative): granted - used. */
export const difference = (granted: Units, used: Units): Units => ({ requests: granted.requests - used.requests, tokens: granted.tokens - used.tokens });

/** Sums the differences of many settled grants. */
export function netOf(settled: ReadonlyArray<{ granted: Units; used: Units }>): Units {
  let requests = 0;
  let tokens = 0;
  for (const s of settled) {
    requests += s.granted.requests - s.used.requests;
    tokens += s.granted.tokens - s.used.tokens;
  }
  return { requests, tokens };
}

/**
 * Settles a grant against what was really used: the difference between `granted` and
 * `used` goes back to the buckets (a refund) or is taken from them (debt, which delays
 * later grants until it is paid off by the refill).
 */
export function settle(l: Limits, state: LimiterState, granted: Units, used: Units, now: number): LimiterState {
  return settleNet(l, state, difference(granted, used), now);
}

/**
 * Settles many grants at once by the sum of their differences. The grants of a batch end
 * together and are settled at one instant, so any order of them is a valid history; the
 * sum is the order "all charges, then all refunds". Charges only lower the credit (the
 * clamp at capacity never bites), and once refunds follow, min(cap, min(cap, c) + r) =
 * min(cap, c + r), so that order ends at min(cap, credit + net): what this computes. It
 * is also the order that loses least to the clamp: no refund is cut off at capacity that
 * a charge in the same instant would have made room for.
 */
export function settleNet(l: Limits, state: LimiterState, net: Units, now: number): LimiterState {
  const b = buckets(l);
  const s = refilled(l, state, now);
  const cap = heldUnits(s.held);
  return {
    requests: adjust(b.requests, s.requests, net.requests, cap.requests),
    tokens: adjust(b.tokens, s.tokens, net.tokens, cap.tokens),
    held: s.held,
    ...(s.waitUntil !== undefined ? { waitUntil: s.waitUntil } : {}),
  };
}
