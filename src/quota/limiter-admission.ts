// The limiter's admission step: reserves the request's estimate against its project's
// limits for the served model, and books what it really used once it ended.

import { settingsOf } from "../config/settings.ts";
import type { AdmissionInput, AdmissionStep, InferenceRecord, Reservation } from "../inference/record.ts";
import type { InferenceRequest } from "../openai/inference-request.ts";
import { hourOf } from "../usage/ledger.ts";
import { limiterUnavailable, rateLimited, tooLargeForLimit } from "./errors.ts";
import { reservationFor } from "./estimate.ts";
import { rateLimitHeaders, unknownLimitHeaders } from "./headers.ts";
import { LeaseHolder } from "./lease-holder.ts";
import { limiterName, limiterStub } from "./limiter-stub.ts";
import { LIMITER_TIMEOUT_MS, withTimeout } from "./limiter-timeout.ts";
import { effectiveLimits } from "./overrides.ts";
import type { Decision, Limits, Units } from "./rate-limiter.ts";
import { settleBatched } from "./settle-batch.ts";
import { parkerFor } from "./settle-parking.ts";
import { usedUnits } from "./settlement.ts";

const SETTLE_ATTEMPTS = 3;
const NOTHING: Units = { requests: 0, tokens: 0 };

const paramFor = (req: InferenceRequest): string =>
  req.maxTokens !== null ? (req.body.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens") : req.endpoint === "chat" ? "messages" : req.endpoint === "completion" ? "prompt" : "input";

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

/** The limiter's reservation, or null if it could not be asked (open mode lets the request through). */
async function decide(env: Env, projectId: string, modelId: string, name: string, limits: Limits, want: Units, asked: number): Promise<Decision | null> {
  const fromLease = holder.take(name, limits, want, asked);
  if (fromLease) return { kind: "granted", granted: want, snapshot: fromLease };
  try {
    return await acquireWithLease(env, { projectId, modelId, name, limits, want, now: asked });
  } catch (err) {
    console.log(JSON.stringify({ level: "error", event: "limiter_unavailable", project_id: projectId, model: modelId, error: String(err) }));
    if (settingsOf(env).limiterFailureMode === "closed") throw limiterUnavailable();
    return null;
  }
}

/** Reserves the request's estimate or throws the refusal (429, 400 too large, 503 in closed mode). */
export const limiterAdmission: AdmissionStep = async function limiterAdmission(env: Env, input: AdmissionInput): Promise<Reservation> {
  const { key, model, req } = input;
  const projectId = key.project_id;
  const limits = effectiveLimits(key.limits?.[model.id], model);
  const want: Units = reservationFor(req, input.promptEstimate);
  const name = limiterName(projectId, model.id);
  const asked = Date.now();
  const decision = await decide(env, projectId, model.id, name, limits, want, asked);
  // The limiter's round trip, for the benchmark and for anyone tracing latency (no content in it).
  const timing = { "server-timing": `limiter;dur=${Date.now() - asked}` };
  if (decision?.kind === "limited") throw rateLimited(decision, { project: projectId, model: model.id }, timing);
  if (decision?.kind === "too_large") throw tooLargeForLimit(decision, { model: model.id, param: paramFor(req) });

  // What admission took for it: its reservation, or nothing if the limiter was not asked.
  const granted = decision === null ? NOTHING : want;
  const hour = hourOf(input.startedAt);
  return {
    headers: { ...(decision === null ? unknownLimitHeaders(limits) : rateLimitHeaders(decision.snapshot)), ...timing },
    // The batch's own promise, not one more async frame around it: one per request adds up.
    book: (record: InferenceRecord) =>
      settleBatched(name, { limits, granted, used: usedUnits(record.usage), usage: record.usage, keyId: key.key_id, hour }, () => limiterStub(env, projectId, model.id), SETTLE_ATTEMPTS, parkerFor(env)),
  };
};
