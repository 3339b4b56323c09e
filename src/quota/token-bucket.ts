// A token bucket in exact integer arithmetic: refills `limit` units per minute up to a
// small burst, and lets one oversized request through from a full bucket as debt.

export const MINUTE_MS = 60_000;
/** The burst: ten seconds' worth of the per-minute limit (at least one unit). */
export const BURST_MS = 10_000;

/**
 * Credit is kept in unit-milliseconds-per-minute (units x 60000), so a refill of
 * `limit` credit per millisecond is an integer and no rounding ever drifts.
 */
export interface BucketState {
  credit: number;
  /** When `credit` was last brought up to date, in ms. */
  at: number;
}

export interface Bucket {
  /** Units per minute. */
  limit: number;
  /** Units that may be spent at once from a full bucket. */
  burst: number;
}

export const bucketOf = (limit: number): Bucket => ({ limit, burst: Math.max(1, Math.ceil((limit * BURST_MS) / MINUTE_MS)) });

const capacity = (b: Bucket): number => b.burst * MINUTE_MS;

export const fullBucket = (b: Bucket, now: number): BucketState => ({ credit: capacity(b), at: now });

/**
 * The bucket at `now`: refilled for the time since it was last touched, never above
 * capacity less the `held` units (leased out and not yet back: see rate-limiter.ts).
 */
export function refill(b: Bucket, s: BucketState, now: number, held = 0): BucketState {
  const dt = Math.max(0, now - s.at);
  return { credit: Math.min(capacity(b) - held * MINUTE_MS, s.credit + dt * b.limit), at: Math.max(now, s.at) };
}

/**
 * Credit the bucket must hold before `units` are granted. A request larger than the
 * burst (but within the minute's limit) needs a full bucket and leaves it in debt.
 */
const needed = (b: Bucket, units: number): number => Math.min(units, b.burst) * MINUTE_MS;

/** A cost above the per-minute limit can never be granted, however long one waits. */
export const fitsEver = (b: Bucket, units: number): boolean => units <= b.limit;

export const canTake = (b: Bucket, s: BucketState, units: number): boolean => s.credit >= needed(b, units);

export const take = (s: BucketState, units: number): BucketState => ({ credit: s.credit - units * MINUTE_MS, at: s.at });

/**
 * Gives back (positive) or charges (negative) units after the fact; debt may go below
 * zero, credit never above capacity less the `held` units. Several adjustments at one
 * instant may be summed first: see settleNet in rate-limiter.ts for why that is a valid
 * order of them.
 */
export const adjust = (b: Bucket, s: BucketState, units: number, held = 0): BucketState => ({
  credit: Math.min(capacity(b) - held * MINUTE_MS, s.credit + units * MINUTE_MS),
  at: s.at,
});

/** Milliseconds until `units` could be granted (0 if now). */
export function waitMs(b: Bucket, s: BucketState, units: number): number {
  const missing = needed(b, units) - s.credit;
  return missing <= 0 ? 0 : Math.ceil(missing / b.limit);
}

/** Whole units that could be spent right now. */
export const remaining = (s: BucketState): number => Math.max(0, Math.floor(s.credit / MINUTE_MS));

/** Milliseconds until the bucket is full again: OpenAI's "reset". */
export const resetMs = (b: Bucket, s: BucketState): number => Math.max(0, Math.ceil((capacity(b) - s.credit) / b.limit));
