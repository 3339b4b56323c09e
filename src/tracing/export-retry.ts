// When a failed export is tried again: 429, 5xx, a timeout or an unreachable server are
// retried a bounded number of times with growing waits (a Retry-After is honoured up to the
// cap); anything else (400, 401, 413, 422, ...) will not get better and is dropped at once.

export const MAX_ATTEMPTS = 3;
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 2_000;

/** status null: no answer (timeout, refused connection, DNS). */
export type ExportDecision = { kind: "delivered" } | { kind: "retry"; delayMs: number } | { kind: "drop"; reason: string };

function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const s = Number(header);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : null;
}

/** `attempt` counts from 1: the attempt that just ended. */
export function afterAttempt(status: number | null, attempt: number, retryAfter: string | null = null): ExportDecision {
  if (status !== null && status >= 200 && status < 300) return { kind: "delivered" };
  const retryable = status === null || status === 429 || status >= 500;
  const reason = status === null ? "unreachable" : `http_${status}`;
  if (!retryable || attempt >= MAX_ATTEMPTS) return { kind: "drop", reason };
  const backoff = BASE_DELAY_MS * 4 ** (attempt - 1);
  return { kind: "retry", delayMs: Math.min(MAX_DELAY_MS, Math.max(backoff, retryAfterMs(retryAfter) ?? 0)) };
}
