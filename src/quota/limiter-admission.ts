// Admission of one inference request against its project's limits for the served model,
// and the settle call that books what it really used. The Worker side of LimiterObject.

import type { ModelEntry } from "../catalog/types.ts";
import type { InferenceRequest } from "../openai/inference-request.ts";
import { hourOf } from "../usage/ledger.ts";
import { limiterUnavailable, rateLimited, tooLargeForLimit } from "./errors.ts";
import { estimatePromptTokens, reservationFor } from "./estimate.ts";
import { rateLimitHeaders } from "./headers.ts";
import { effectiveLimits } from "./overrides.ts";
import type { Decision, Limits, Units } from "./rate-limiter.ts";
import { LeaseHolder } from "./lease-holder.ts";
import { parkInKv, sweepParked, type SweepResult } from "./parked.ts";
import { settleBatched, type ParkBatch } from "./settle-batch.ts";
import { settlementFromError, type Settlement } from "./settlement.ts";

export type FailureMode = "open" | "closed";

/** How long the hot path waits for the limiter before treating it as unreachable. */
export const LIMITER_TIMEOUT_MS = 2_000;
const SETTLE_ATTEMPTS = 3;

export interface Admission {
  /** x-ratelimit-* for the response. */
  headers: Record<string, string>;
  promptEstimate: number;
  /** Books the request's real use; only the first call counts, so a record joins one batch only. */
  settle(s: Settlement): Promise<void>;
  /**
   * Until the response is handed over, a client that goes away ends the invocation
   * before any catch runs: book the prompt the origin read, in waitUntil. After the
   * hand-over the relay reports the disconnect with what it delivered.
   */
  settleIfClientLeaves(signal: AbortSignal | undefined, ctx: ExecutionContext): { handOver(): void };
}

export interface AdmitInput {
  projectId: string;
  keyId: string;
  model: ModelEntry;
  req: InferenceRequest;
  /** The request's arrival: it decides the billing hour. */
  startedAt: number;
  /** The project's override for this model, if an operator granted one. */
  override?: Partial<Limits>;
}

export const failureMode = (env: Env): FailureMode => ((env as { LIMITER_FAILURE_MODE?: string }).LIMITER_FAILURE_MODE === "closed" ? "closed" : "open");

/**
 * Object ids by name, per isolate: deriving one costs a hash each time, and an id (unlike
 * a stub, which belongs to one request) may be reused by every request.
 */
const limiterIds = new Map<string, DurableObjectId>();
const LIMITER_IDS_MAX = 10_000;

export function limiterStub(env: Env, projectId: string, modelId: string) {
  return limiterStubByName(env, `${projectId}/${modelId}`);
}

/** The object for a limiter name (`<project>/<model>`), as settle batches name it. */
export function limiterStubByName(env: Env, name: string) {
  let id = limiterIds.get(name);
  if (id === undefined) {
    if (limiterIds.size >= LIMITER_IDS_MAX) limiterIds.clear();
    id = env.LIMITERS.idFromName(name);
    limiterIds.set(name, id);
  }
  return env.LIMITERS.get(id);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("limiter timeout")), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const paramFor = (req: InferenceRequest): string =>
  req.maxTokens !== null ? (req.body.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens") : req.endpoint === "chat" ? "messages" : req.endpoint === "completion" ? "prompt" : "input";

/** Headers when the limiter could not be asked: the limits, and a full burst as remaining. */
function unknownHeaders(l: Limits): Record<string, string> {
  return rateLimitHeaders({ limitRequests: l.rpm, limitTokens: l.tpm, remainingRequests: l.rpm, remainingTokens: l.tpm, resetRequestsMs: 0, resetTokensMs: 0 });
}

/**
 * The limit headers for a request refused before admission (say, a max_tokens over the
 * context length): it names a model, so it gets them too, and spends nothing.
 */
export async function peekHeaders(env: Env, projectId: string, model: ModelEntry, override: Partial<Limits> | undefined): Promise<Record<string, string>> {
  const limits = effectiveLimits(override, model);
  try {
    return rateLimitHeaders(await withTimeout(limiterStub(env, projectId, model.id).peek(limits), LIMITER_TIMEOUT_MS));
  } catch {
    return unknownHeaders(limits);
  }
}

/** One parking function per environment, not a closure per request. */
const parkers = new WeakMap<Env, ParkBatch>();
function parkFor(env: Env): ParkBatch {
  let park = parkers.get(env);
  if (park === undefined) {
    park = parkInKv(env.KV);
    parkers.set(env, park);
  }
  return park;
}

/** The cron's part: delivers the settle batches parked in KV to their limiter objects. */
export function sweepParkedSettles(env: Env): Promise<SweepResult | null> {
  return sweepParked(env.KV, (limiter) => limiterStubByName(env, limiter)).catch((err: unknown) => {
    // KV itself failed: the batches stay parked for the next minute's run.
    console.log(JSON.stringify({ level: "error", event: "settle_parked_sweep_failed", error: String(err) }));
    return null;
  });
}

/** Per isolate: the leases it holds, one per busy limiter. */
const holder = new LeaseHolder(() => crypto.randomUUID());

interface AcquireArgs {
  projectId: string;
  modelId: string;
  name: string;
  limits: Limits;
  want: Units;
  now: number;
}

/** One round trip: gives back a spent lease, asks for the reservation and, if busy, a new lease. */
async function acquireWithLease(env: Env, a: AcquireArgs): Promise<Decision> {
  const ask = holder.beforeAcquire(a.name, a.limits, a.now);
  const input = { limits: a.limits, want: a.want, ...(ask.lease ? { lease: ask.lease } : {}), ...(ask.returned.length ? { returned: ask.returned } : {}) };
  const call = async (): Promise<Decision & { lease?: Units }> => (await limiterStub(env, a.projectId, a.modelId).acquire(input)) as Decision & { lease?: Units };
  const decision = await withTimeout(call(), LIMITER_TIMEOUT_MS);
  return holder.afterAcquire(a.name, a.limits, ask, a.want, decision, Date.now());
}

/** Admits the request or throws the refusal (429, 400 too large, 503 in closed mode). */
export async function admitRequest(env: Env, input: AdmitInput): Promise<Admission> {
  const { projectId, keyId, model, req } = input;
  const limits = effectiveLimits(input.override, model);
  const promptEstimate = estimatePromptTokens(req);
  const want: Units = reservationFor(req, promptEstimate);
  const hour = hourOf(input.startedAt);

  let decision: Decision | null = null;
  const asked = Date.now();
  const name = `${projectId}/${model.id}`;
  const fromLease = holder.take(name, limits, want, asked);
  if (fromLease) {
    decision = { kind: "granted", granted: want, snapshot: fromLease };
  } else {
    try {
      decision = await acquireWithLease(env, { projectId, modelId: model.id, name, limits, want, now: asked });
    } catch (err) {
      console.log(JSON.stringify({ level: "error", event: "limiter_unavailable", project_id: projectId, model: model.id, error: String(err) }));
      if (failureMode(env) === "closed") throw limiterUnavailable();
    }
  }
  // The limiter's round trip, for the benchmark and for anyone tracing latency (no content in it).
  const timing = { "server-timing": `limiter;dur=${Date.now() - asked}` };
  if (decision?.kind === "limited") throw rateLimited(decision, { project: projectId, model: model.id }, timing);
  if (decision?.kind === "too_large") throw tooLargeForLimit(decision, { model: model.id, param: paramFor(req) });

  let settled = false;
  const admission: Admission = {
    headers: { ...(decision === null ? unknownHeaders(limits) : rateLimitHeaders(decision.snapshot)), ...timing },
    promptEstimate,
    settleIfClientLeaves(signal, ctx) {
      const onAbort = (): void => ctx.waitUntil(admission.settle(settlementFromError(promptEstimate, "client_closed")));
      signal?.addEventListener("abort", onAbort, { once: true });
      return { handOver: () => signal?.removeEventListener("abort", onAbort) };
    },
    settle(s: Settlement): Promise<void> {
      if (settled) return Promise.resolve();
      settled = true;
      // What admission took for it: its reservation, or nothing if the limiter was not asked.
      const granted: Units = decision === null ? { requests: 0, tokens: 0 } : want;
      // The batch's own promise, not one more async frame around it: one per request adds up.
      return settleBatched(name, { limits, granted, used: s.used, usage: s.usage, keyId, hour }, () => limiterStub(env, projectId, model.id), SETTLE_ATTEMPTS, parkFor(env));
    },
  };
  return admission;
}
