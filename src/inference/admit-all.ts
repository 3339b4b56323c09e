// Runs an inference's admission steps side by side and gathers their reservations. One
// refusal refuses the request: the steps that had reserved book the refusal at once.

import { ApiError } from "../openai/errors.ts";
import type { AdmissionInput, AdmissionStep, InferenceRecord, Reservation } from "./record.ts";

export interface Admitted {
  reservations: readonly Reservation[];
  /** Every reservation's headers, in step order. */
  headers: Record<string, string>;
}

/** The record a reservation books when another step refused the request (or it was withdrawn): nothing used. */
export function refusedRecord(input: AdmissionInput, reason: unknown): InferenceRecord {
  const now = Date.now();
  return {
    endpoint: input.req.endpoint,
    stream: input.req.stream,
    requestId: input.requestId,
    projectId: input.key.project_id,
    keyId: input.key.key_id,
    requestedModel: input.req.model,
    servedModel: input.model.id,
    originId: null,
    originRegion: null,
    startedAt: input.startedAt,
    firstByteAt: null,
    endedAt: now,
    end: "refused",
    status: reason instanceof ApiError ? reason.status : 500,
    errorCode: reason instanceof ApiError ? reason.code : "internal_error",
    usage: null,
    rateLimit: {},
  };
}

export async function admitAll(steps: readonly AdmissionStep[], env: Env, ctx: ExecutionContext, input: AdmissionInput): Promise<Admitted> {
  // The usual case, one step: no array of promises, no extra frame.
  if (steps.length === 1) {
    const only = await steps[0]!(env, input);
    return { reservations: [only], headers: only.headers };
  }
  const results = await Promise.allSettled(steps.map((step) => step(env, input)));
  const reservations: Reservation[] = [];
  let refusal: { reason: unknown } | null = null;
  for (const r of results) {
    if (r.status === "fulfilled") reservations.push(r.value);
    else refusal ??= { reason: r.reason };
  }
  if (refusal !== null) {
    const record = refusedRecord(input, refusal.reason);
    for (const r of reservations) {
      const booking = r.book(record);
      if (booking !== undefined) ctx.waitUntil(booking);
    }
    throw refusal.reason;
  }
  const headers: Record<string, string> = {};
  for (const r of reservations) Object.assign(headers, r.headers);
  return { reservations, headers };
}
