// The client-facing refusals of the limiter: 429 when over a limit for now, 400 when a
// request could never fit, 503 when the limiter is unreachable and the mode is "closed".

import { codedError, type ApiError } from "../openai/errors.ts";
import { goDuration } from "./go-duration.ts";
import { rateLimitHeaders, retryAfterHeaders } from "./headers.ts";
import type { Decision } from "./rate-limiter.ts";

const NAMES = { requests: "requests per min (RPM)", tokens: "tokens per min (TPM)" } as const;

export function rateLimited(d: Extract<Decision, { kind: "limited" }>, where: { project: string; model: string }, extra: Record<string, string> = {}): ApiError {
  const s = d.snapshot;
  const limit = d.limit === "requests" ? s.limitRequests : s.limitTokens;
  const available = d.limit === "requests" ? s.remainingRequests : s.remainingTokens;
  const burst = d.burst[d.limit];
  const requested = d.requested[d.limit];
  return codedError(
    "rate_limit_exceeded",
    `Rate limit reached for model '${where.model}' in project '${where.project}' on ${NAMES[d.limit]}: ` +
      `Limit ${limit} per minute, of which at most ${burst} at once (the burst: ten seconds' worth, refilled continuously). ` +
      `In use: ${burst - available} of the burst (reserved by requests still running or spent in the last seconds), Requested ${requested}. ` +
      (d.waiting ? "Requests that chose to wait (Prefer: wait) are ahead of this one. " : "") +
      `Please try again in ${goDuration(d.retryAfterMs)}, or send 'Prefer: wait=<seconds>' to be held until then.`,
    { headers: { ...rateLimitHeaders(s), ...retryAfterHeaders(d.retryAfterMs), ...extra } },
  );
}

export function tooLargeForLimit(d: Extract<Decision, { kind: "too_large" }>, where: { model: string; param: string }): ApiError {
  const limit = d.limit === "requests" ? d.snapshot.limitRequests : d.snapshot.limitTokens;
  return codedError(
    "request_exceeds_limit",
    `Request too large for model '${where.model}' on ${NAMES[d.limit]}: Limit ${limit}, Requested ${d.requested[d.limit]} ` +
      `(prompt tokens + 5 x reserved completion tokens). It can never be admitted; reduce the input or max_tokens.`,
    { param: where.param, headers: rateLimitHeaders(d.snapshot) },
  );
}

export const limiterUnavailable = (): ApiError =>
  codedError("rate_limiter_unavailable", "The rate limiter is not reachable right now; try again shortly.", { headers: retryAfterHeaders(1000) });
