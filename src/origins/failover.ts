// Forwards a request to the best usable origin and, while nothing has reached the client,
// moves on to the next one when an attempt fails, within a bounded number of attempts
// and a total time budget. Every outcome feeds the origin's breaker.

import type { ModelEntry, OriginSpec } from "../catalog/types.ts";
import type { ApiError } from "../openai/errors.ts";
import { clientClosed, modelOverloaded, noHealthyOrigin, originError, originTimeout, originUnreachable } from "../openai/upstream-errors.ts";
import type { OriginBody } from "../streaming/origin-body.ts";
import type { RelayEnd } from "../streaming/relay.ts";
import type { BreakerConfig } from "./breaker.ts";
import { attemptOrigin, DEFAULT_FIRST_BYTE_MS, type AttemptResult, type OriginPath } from "./forward.ts";
import {
  breakerAllows,
  breakerConfig,
  claimEarlyProbe,
  claimOrigin,
  earlyProbeOrigin,
  probedDown,
  refreshHealthDoc,
  reportAbandon,
  reportFailure,
  reportFirstByte,
  reportSuccess,
  retryAfterSeconds,
} from "./health-state.ts";
import type { CallerLocation } from "./location.ts";
import { rankOrigins } from "./select.ts";

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_BUDGET_MS = 60_000;

export interface ForwardRequest {
  model: ModelEntry;
  path: OriginPath;
  /** The body for one origin (each may call the model by its own name); replayable. */
  bodyFor: (origin: OriginSpec) => string;
  requestId: string;
  location: CallerLocation;
  /** Aborts when the client goes away. */
  signal: AbortSignal | undefined;
  /** The client's copy of an event stream will be piped natively (forward.ts). */
  teeEventStream: boolean;
}

export interface Forwarded {
  /** The origin's response, for its status and headers; its body is `body`. */
  res: Response;
  body: OriginBody;
  origin: OriginSpec;
  attempts: number;
  /** Tell the breaker how the body ended: too late to fail over, not too late to learn. */
  reportBodyEnd: (end: RelayEnd) => void;
}

type Failure = Extract<AttemptResult, { kind: "failed" }>;


/** What the client sees when the last attempt failed. */
function finalError(last: Failure, retryAfter: number): ApiError {
  switch (last.reason) {
    case "timeout":
      return originTimeout();
    case "overloaded":
      return modelOverloaded(last.retryAfter ?? 1);
    case "unreachable":
      return originUnreachable(retryAfter);
    case "cut_body":
      return originError("The model origin broke off its answer.");
    case "bad_status":
    case "empty_body":
      return originError(`The model origin failed${last.status === null ? "" : ` (status ${last.status})`}.`);
  }
}

function logFailure(req: ForwardRequest, origin: OriginSpec, f: Failure, attempt: number): void {
  // Origin id and region only: the URL is configuration, not log material.
  console.log(
    JSON.stringify({ level: "warn", event: "origin_attempt_failed", request_id: req.requestId, model: req.model.id, origin_id: origin.id, region: origin.region, attempt, reason: f.reason, status: f.status }),
  );
}

function reportBodyEnd(id: string, end: RelayEnd, cfg: BreakerConfig): void {
  switch (end) {
    case "complete":
      return reportSuccess(id);
    case "origin_error":
    case "origin_stalled":
      return reportFailure(id, Date.now(), cfg);
    case "client_closed":
      // Says nothing about the origin.
      return;
  }
}

/**
 * Open breakers are always skipped. Origins whose health probe failed are skipped too,
 * unless that would leave none: then a broken health endpoint (or check) is likelier
 * than every GPU being down, and real traffic, guarded by the breakers, decides.
 */
function rankUsable(req: ForwardRequest, now: number, cfg: BreakerConfig): OriginSpec[] {
  const { origins } = req.model;
  const healthy = rankOrigins(origins, req.location, (o) => breakerAllows(o.id, now, cfg) && !probedDown(o.id, now), Math.random);
  if (healthy.length > 0) return healthy;
  return rankOrigins(origins, req.location, (o) => breakerAllows(o.id, now, cfg), Math.random);
}

export async function forwardWithFailover(env: Env, ctx: ExecutionContext, req: ForwardRequest): Promise<Forwarded> {
  const started = Date.now();
  const cfg = breakerConfig(env);
  refreshHealthDoc(env, ctx, started);
  const ranked = rankUsable(req, started, cfg);
  // Every breaker open: probe the soonest to recover rather than refuse (select.ts, rule 5).
  const early = ranked.length === 0 ? earlyProbeOrigin(req.model.origins, started, cfg) : null;
  if (early !== null) ranked.push(early);
  const maxAttempts = req.model.failover?.max_attempts ?? DEFAULT_MAX_ATTEMPTS;
  const deadline = started + (req.model.failover?.budget_ms ?? DEFAULT_BUDGET_MS);
  const firstByteMs = req.model.timeouts?.first_byte_ms ?? DEFAULT_FIRST_BYTE_MS;

  let attempts = 0;
  let last: Failure | null = null;
  for (const origin of ranked) {
    if (attempts >= maxAttempts) break;
    if (req.signal?.aborted) throw clientClosed();
    const now = Date.now();
    const remaining = deadline - now;
    if (remaining <= 0) break;
    const body = req.bodyFor(origin);
    // Another request may have taken a half-open breaker's single probe meanwhile.
    if (!(origin === early ? claimEarlyProbe(origin.id, now, cfg) : claimOrigin(origin.id, now, cfg))) continue;
    attempts++;
    const result = await attemptOrigin(env, {
      origin,
      path: req.path,
      body,
      requestId: req.requestId,
      timeoutMs: Math.min(firstByteMs, remaining),
      signal: req.signal,
      teeEventStream: req.teeEventStream,
    });
    switch (result.kind) {
      case "ok":
        reportFirstByte(origin.id);
        return { res: result.res, body: result.body, origin, attempts, reportBodyEnd: (end) => reportBodyEnd(origin.id, end, cfg) };
      case "rejected":
        reportSuccess(origin.id);
        throw result.error;
      case "client_closed":
        reportAbandon(origin.id, Date.now());
        throw clientClosed();
      case "failed":
        reportFailure(origin.id, Date.now(), cfg);
        logFailure(req, origin, result, attempts);
        last = result;
    }
  }
  const retryAfter = retryAfterSeconds(req.model.origins.map((o) => o.id), Date.now(), cfg);
  if (last === null) throw noHealthyOrigin(retryAfter);
  throw finalError(last, retryAfter);
}
