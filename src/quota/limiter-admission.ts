// The limiter's admission step: reserves the request's estimate against its project's
// limits for the served model, and books what it really used once it ended.

import { settingsOf } from "../config/settings.ts";
import type { AdmissionInput, AdmissionStep, InferenceRecord, Reservation } from "../inference/record.ts";
import type { InferenceRequest } from "../openai/inference-request.ts";
import { hourOf } from "../usage/ledger.ts";
import { clientClosed } from "../openai/upstream-errors.ts";
import { limiterUnavailable, rateLimited, tooLargeForLimit } from "./errors.ts";
import { choicesOf, EXPECTED_COMPLETION, isBounded, reservationFor } from "./estimate.ts";
import { rateLimitHeaders, unknownLimitHeaders } from "./headers.ts";
import { learnedFor, rememberLearned } from "./learned-cache.ts";
import { LeaseHolder } from "./lease-holder.ts";
import { limiterName, limiterStub } from "./limiter-stub.ts";
import { LIMITER_TIMEOUT_MS, withTimeout } from "./limiter-timeout.ts";
import { effectiveLimits } from "./overrides.ts";
import { admissionWaitMs, waitUnlessAborted } from "./prefer-wait.ts";
import type { Decision, Limits, Units } from "./rate-limiter.ts";
import type { SettleRecord } from "./settle-sum.ts";
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
  /** Set for a request without max_tokens: the object remakes `want` from its learned reservation. */
  unbounded?: { prompt: number; choices: number };
  maxWaitMs: number;
  /** The model's expected_completion_tokens, if the catalog gives it. */
  prior?: number;
  now: number;
}

type Answer = Decision & { lease?: Units; learned?: number; startInMs?: number };

/** One round trip: gives back a spent lease, asks for the reservation and, if busy, a new lease. */
async function acquireWithLease(env: Env, a: AcquireArgs): Promise<Answer> {
  const ask = holder.beforeAcquire(a.name, a.limits, a.now);
  const input = {
    limits: a.limits,
    want: a.want,
    ...(ask.lease ? { lease: ask.lease } : {}),
    ...(ask.returned.length ? { returned: ask.returned } : {}),
    ...(a.unbounded ? { unbounded: a.unbounded } : {}),
    ...(a.maxWaitMs > 0 ? { maxWaitMs: a.maxWaitMs } : {}),
    ...(a.prior !== undefined ? { prior: a.prior } : {}),
  };
  const call = async (): Promise<Answer> => (await limiterStub(env, a.projectId, a.modelId).acquire(input)) as Answer;
  const answer = await withTimeout(call(), LIMITER_TIMEOUT_MS);
  rememberLearned(a.name, answer.learned);
  const decision = holder.afterAcquire(a.name, a.limits, ask, a.want, answer, Date.now());
  return decision === answer ? answer : decision;
}

/** The object's reservation, or null if it could not be asked (open mode lets the request through). */
async function acquireOrOpen(env: Env, a: AcquireArgs): Promise<Answer | null> {
  try {
    return await acquireWithLease(env, a);
  } catch (err) {
    console.log(JSON.stringify({ level: "error", event: "limiter_unavailable", project_id: a.projectId, model: a.modelId, error: String(err) }));
    if (settingsOf(env).limiterFailureMode === "closed") throw limiterUnavailable();
    return null;
  }
}

/** The settle record's sample: what a completed request without max_tokens generated per choice. */
function sampleOf(req: InferenceRequest, record: InferenceRecord): number | undefined {
  if (isBounded(req) || record.end !== "complete" || record.usage === null) return undefined;
  return Math.ceil(record.usage.completion_tokens / Math.max(1, choicesOf(req)));
}

/** Reserves the request's estimate or throws the refusal (429, 400 too large, 503 in closed mode). */
export const limiterAdmission: AdmissionStep = async function limiterAdmission(env: Env, input: AdmissionInput): Promise<Reservation> {
  const { key, model, req } = input;
  const projectId = key.project_id;
  const limits = effectiveLimits(key.limits?.[model.id], model);
  const name = limiterName(projectId, model.id);
  // Until the object has learned this project's answers, the catalog's prior for the model.
  const prior = model.expected_completion_tokens;
  const want: Units = reservationFor(req, input.promptEstimate, learnedFor(name) ?? prior ?? EXPECTED_COMPLETION);
  const maxWaitMs = admissionWaitMs(input.prefer, settingsOf(env).maxAdmissionWaitMs);
  const asked = Date.now();
  // A busy isolate admits from its lease: no call, and no promise to wait for.
  const fromLease = holder.take(name, limits, want, asked);
  const decision: Answer | null =
    fromLease !== null
      ? { kind: "granted", granted: want, snapshot: fromLease }
      : await acquireOrOpen(env, {
          projectId,
          modelId: model.id,
          name,
          limits,
          want,
          ...(isBounded(req) ? {} : { unbounded: { prompt: input.promptEstimate, choices: choicesOf(req) } }),
          maxWaitMs,
          ...(prior !== undefined ? { prior } : {}),
          now: asked,
        });
  // The limiter's round trip, for the benchmark and for anyone tracing latency (no content in it).
  const limiterMs = Date.now() - asked;
  if (decision?.kind === "limited") throw rateLimited(decision, { project: projectId, model: model.id }, { "server-timing": `limiter;dur=${limiterMs}` });
  if (decision?.kind === "too_large") throw tooLargeForLimit(decision, { model: model.id, param: paramFor(req) });

  // What admission took for it: the object's grant, or nothing if the limiter was not asked.
  const granted = decision === null ? NOTHING : decision.granted;
  const hour = hourOf(input.startedAt);
  const settle = (record: SettleRecord): Promise<void> | undefined => settleBatched(name, record, () => limiterStub(env, projectId, model.id), SETTLE_ATTEMPTS, parkerFor(env));
  const startInMs = decision?.startInMs ?? 0;
  const waited =
    startInMs > 0
      ? await waitForTurn(startInMs, input.signal, () => {
          const sending = settle({ limits, granted, used: NOTHING, usage: null, keyId: key.key_id, hour });
          if (sending !== undefined) input.waitUntil(sending);
        })
      : 0;
  // A fresh object per request: the other headers go straight into it.
  const headers = decision === null ? unknownLimitHeaders(limits) : rateLimitHeaders(decision.snapshot);
  headers["server-timing"] = `limiter;dur=${limiterMs}${waited > 0 ? `, wait;dur=${waited}` : ""}`;
  if (maxWaitMs > 0) headers["preference-applied"] = `wait=${Math.floor(maxWaitMs / 1000)}`;
  return {
    headers,
    // The batch's own promise, not one more async frame around it: one per request adds up.
    book: (record: InferenceRecord) => settle({ limits, granted, used: usedUnits(record.usage), usage: record.usage, keyId: key.key_id, hour, sample: sampleOf(req, record) }),
  };
};

/**
 * Holds a request the object admitted to start later until its turn: one idle timer, no
 * polling. A caller that goes away meanwhile gets its whole reservation back (`giveBack`,
 * in the background) and the request ends as a 499 that costs nothing. Returns the wait in ms.
 */
async function waitForTurn(ms: number, signal: AbortSignal | undefined, giveBack: () => void): Promise<number> {
  const started = Date.now();
  if (await waitUnlessAborted(ms, signal)) return Date.now() - started;
  giveBack();
  throw clientClosed();
}
