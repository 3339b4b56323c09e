// The six x-ratelimit-* headers in OpenAI's formats, and Retry-After for refusals.

import { goDuration } from "./go-duration.ts";
import type { Limits, Snapshot } from "./rate-limiter.ts";
import { bucketOf } from "./token-bucket.ts";

export function rateLimitHeaders(s: Snapshot): Record<string, string> {
  return {
    "x-ratelimit-limit-requests": String(s.limitRequests),
    "x-ratelimit-limit-tokens": String(s.limitTokens),
    "x-ratelimit-remaining-requests": String(s.remainingRequests),
    "x-ratelimit-remaining-tokens": String(s.remainingTokens),
    "x-ratelimit-reset-requests": goDuration(s.resetRequestsMs),
    "x-ratelimit-reset-tokens": goDuration(s.resetTokensMs),
  };
}

/** Retry-After in whole seconds (rounded up, at least 1) and retry-after-ms, which the openai client prefers. */
export const retryAfterHeaders = (ms: number): Record<string, string> => ({
  "retry-after": String(Math.max(1, Math.ceil(ms / 1000))),
  "retry-after-ms": String(Math.max(1, Math.ceil(ms))),
});

/**
 * Headers when the limiter could not be asked: the limits, and a full burst as remaining.
 * Remaining is never more than the burst: it says what could be spent at once, and a
 * remaining equal to the limit would promise a minute's worth in one go.
 */
export function unknownLimitHeaders(l: Limits): Record<string, string> {
  const remainingRequests = bucketOf(l.rpm).burst;
  const remainingTokens = bucketOf(l.tpm).burst;
  return rateLimitHeaders({ limitRequests: l.rpm, limitTokens: l.tpm, remainingRequests, remainingTokens, resetRequestsMs: 0, resetTokensMs: 0 });
}
