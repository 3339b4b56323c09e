// Edge leases: a busy isolate holds a small slice of its project's capacity, taken from
// the limiter's buckets up front, and admits from it without a round trip. Leased
// capacity is already spent at the object, so leases can never over-admit; what an
// isolate does not use goes back with its next call to the object.

import { bucketOf } from "./token-bucket.ts";
import { admit, type Decision, type LimiterState, type Limits, type Snapshot, type Units } from "./rate-limiter.ts";

/** How long a lease may be used: short, so capacity idle in one isolate is soon returned. */
export const LEASE_MS = 1_000;
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
 * The object's side: grants `want`, and then as much of `leaseWant` as the buckets hold
 * right now (never into debt), as one more grant. Refusals change nothing.
 */
export function grantWithLease(
  l: Limits,
  state: LimiterState,
  want: Units,
  leaseWant: Units | undefined,
  now: number,
): { state: LimiterState; decision: Decision; lease: Units | null } {
  const first = admit(l, state, want, now);
  if (first.decision.kind !== "granted" || !leaseWant) return { ...first, lease: null };
  const room = first.decision.snapshot;
  const extra = { requests: Math.min(leaseWant.requests, room.remainingRequests), tokens: Math.min(leaseWant.tokens, room.remainingTokens) };
  if (extra.requests <= 0 || extra.tokens <= 0) return { ...first, lease: null };
  const second = admit(l, first.state, extra, now);
  if (second.decision.kind !== "granted") return { ...first, lease: null };
  return { state: second.state, decision: { ...first.decision, snapshot: second.decision.snapshot }, lease: extra };
}
