// Edge leases: a busy isolate holds a small slice of its project's capacity, taken from
// the limiter's buckets up front, and admits from it without a round trip. Leased
// capacity is already spent at the object, and held out of the buckets' refill until it
// comes back, so leases can never over-admit, not even in a window that opens between
// the grant and the use; what an isolate does not use goes back with its next call.

import { bucketOf } from "./token-bucket.ts";
import { admit, netOf, refilled, settleNet, withHeld, type Decision, type LimiterState, type Limits, type Snapshot, type Units } from "./rate-limiter.ts";

/** How long a lease may be used: short, so capacity idle in one isolate is soon returned. */
export const LEASE_MS = 1_000;
/**
 * How long the object holds a lease's capacity out of the refill unless it comes back:
 * the isolate's use window, from when the answer reaches it, plus the longest round trip
 * the isolate waits for (LIMITER_TIMEOUT_MS).
 */
export const LEASE_HOLD_MS = LEASE_MS + 2_000;
/** A lease is a tenth of the burst: small against the limit, big enough to save calls. */
export const LEASE_SHARE = 10;

export interface Lease {
  /** The grants it is made of: concurrent requests can each bring one, and they merge. */
  parts: Array<{ id: string; granted: Units }>;
  limits: Limits;
  left: Units;
  /** The object's counters right after it granted the newest part (leases already taken out). */
  snapshot: Snapshot;
  expiresAt: number;
}

/** What one lease asks for; zero where the limit is too small to share. */
export function leaseSize(l: Limits): Units {
  return {
    requests: Math.floor(bucketOf(l.rpm).burst / LEASE_SHARE),
    tokens: Math.floor(bucketOf(l.tpm).burst / LEASE_SHARE),
  };
}

export const worthLeasing = (u: Units): boolean => u.requests > 0 && u.tokens > 0;

const sameLimits = (a: Limits, b: Limits): boolean => a.rpm === b.rpm && a.tpm === b.tpm;

/** Takes `want` from the lease if it is live, for the same limits, and has room. */
export function takeFromLease(lease: Lease | undefined, limits: Limits, want: Units, now: number): boolean {
  if (!lease || lease.expiresAt <= now || !sameLimits(lease.limits, limits)) return false;
  if (lease.left.requests < want.requests || lease.left.tokens < want.tokens) return false;
  lease.left = { requests: lease.left.requests - want.requests, tokens: lease.left.tokens - want.tokens };
  return true;
}

/** Counters for the headers of a request served from the lease: what is left here counts as remaining. */
export function leaseSnapshot(lease: Lease): Snapshot {
  return {
    ...lease.snapshot,
    remainingRequests: lease.snapshot.remainingRequests + lease.left.requests,
    remainingTokens: lease.snapshot.remainingTokens + lease.left.tokens,
  };
}

/** Adds a newer grant to a lease still held: its capacity stays usable, not stuck until returned. */
export function mergeLease(held: Lease | undefined, fresh: Lease): Lease {
  if (!held || !sameLimits(held.limits, fresh.limits)) return fresh;
  return {
    ...fresh,
    parts: [...held.parts, ...fresh.parts],
    left: { requests: held.left.requests + fresh.left.requests, tokens: held.left.tokens + fresh.left.tokens },
  };
}

/**
 * What goes back to the object: each part as a grant settled at what was used of it. The
 * unused rest is spread over the parts in order; only the total matters to the buckets.
 */
export function leaseReturn(lease: Lease): Array<{ id: string; granted: Units; used: Units }> {
  let restR = lease.left.requests;
  let restT = lease.left.tokens;
  return lease.parts.map(({ id, granted }) => {
    const r = Math.min(restR, granted.requests);
    const t = Math.min(restT, granted.tokens);
    restR -= r;
    restT -= t;
    return { id, granted, used: { requests: granted.requests - r, tokens: granted.tokens - t } };
  });
}

/**
 * The object's side: grants `want`, and then as much of the lease asked for as the
 * buckets hold right now (never into debt), as one more grant, held out of the refill
 * under the lease's id until it comes back (returnLease) or LEASE_HOLD_MS pass.
 * Refusals change nothing. A request that may wait (`maxWaitMs`) gets no lease: while
 * anyone waits, capacity goes to the waiters in order, none to an isolate's lease.
 */
export function grantWithLease(
  l: Limits,
  state: LimiterState,
  want: Units,
  lease: { id: string; want: Units } | undefined,
  now: number,
  maxWaitMs = 0,
): { state: LimiterState; decision: Decision; lease: Units | null } {
  const first = admit(l, state, want, now, maxWaitMs);
  // A caller that may wait gets no lease either: waits matter at saturation, where leased
  // capacity would sit in one isolate while the waiters queue at the object.
  if (first.decision.kind !== "granted" || maxWaitMs > 0 || !lease) return { ...first, lease: null };
  const room = first.decision.snapshot;
  const extra = { requests: Math.min(lease.want.requests, room.remainingRequests), tokens: Math.min(lease.want.tokens, room.remainingTokens) };
  if (extra.requests <= 0 || extra.tokens <= 0) return { ...first, lease: null };
  const second = admit(l, first.state, extra, now);
  if (second.decision.kind !== "granted") return { ...first, lease: null };
  const state2 = { ...second.state, held: withHeld(second.state.held, { id: lease.id, units: extra, until: now + LEASE_HOLD_MS }) };
  return { state: state2, decision: { ...first.decision, snapshot: second.decision.snapshot }, lease: extra };
}

/**
 * A lease given back: it stops holding capacity out of the refill, and what it did not
 * use is refunded. The refill up to `now` is reckoned while it still held.
 */
export function returnLease(l: Limits, state: LimiterState, returned: ReadonlyArray<{ id: string; granted: Units; used: Units }>, now: number): LimiterState {
  const ids = new Set(returned.map((r) => r.id));
  const s = refilled(l, state, now);
  return settleNet(l, { ...s, held: s.held.filter((h) => !ids.has(h.id)) }, netOf(returned), now);
}
