// The plain record of one ended inference, and the two ways other concerns hook into an
// inference's life: an admission step (reserve before, book after) and a finisher (after).

import type { KeyRecord } from "../auth/key-record.ts";
import type { ModelEntry } from "../catalog/types.ts";
import type { Endpoint, InferenceRequest } from "../openai/inference-request.ts";
import type { Usage } from "../streaming/usage.ts";

/**
 * How an inference ended. The first four are how a body ended (the relay's words);
 * `refused`: an admission step said no (429, too large, limiter down in closed mode);
 * `rejected`: an error the caller caused after admission (the origin judged the body bad).
 */
export type InferenceEnd = "complete" | "client_closed" | "origin_error" | "origin_stalled" | "refused" | "rejected";

export interface InferenceRecord {
  endpoint: Endpoint;
  stream: boolean;
  requestId: string;
  projectId: string;
  keyId: string;
  /** The model the caller named; `servedModel` is the one that answered (a successor, maybe). */
  requestedModel: string;
  servedModel: string;
  /** The origin that answered, null if none did. */
  originId: string | null;
  originRegion: string | null;
  startedAt: number;
  firstByteAt: number | null;
  endedAt: number;
  end: InferenceEnd;
  /** The HTTP status the client got (499 when it left before one). */
  status: number;
  errorCode: string | null;
  /** What is billed: null when nothing is (refused, or the origin failed before any work). */
  usage: Usage | null;
  /** The x-ratelimit-* headers the response carried (the limiter's snapshot at admission). */
  rateLimit: Readonly<Record<string, string>>;
}

/**
 * Runs once, after the inference ended; a returned promise is kept alive with waitUntil.
 * `name` is what a failure's log line says: given, since the deployed bundle's function names are minified.
 */
export interface Finisher {
  readonly name: string;
  run(record: InferenceRecord, env: Env, ctx: ExecutionContext): void | Promise<void>;
}

/** What an admission step holds for one request until it ends. */
export interface Reservation {
  /** Headers for every response from here on (success or error). */
  headers: Record<string, string>;
  /**
   * Books the real outcome against what was reserved; called exactly once. What it
   * returns is kept alive with waitUntil; nothing: this request's context has nothing to wait for.
   */
  book(record: InferenceRecord): Promise<void> | void;
}

/** Everything a step may weigh; one object per request, shared by every step. */
export interface AdmissionInput {
  requestId: string;
  key: KeyRecord;
  /** The model that serves the request (after lifecycle substitution). */
  model: ModelEntry;
  req: InferenceRequest;
  /** The request's arrival: it decides the billing hour. */
  startedAt: number;
  /** The owner's prompt estimate, computed once for every step. */
  promptEstimate: number;
  /** The caller's Prefer header (a step may honour `wait=<s>`), or null. */
  prefer: string | null;
  /** Aborts when the client goes away (a step that holds the request stops holding it). */
  signal: AbortSignal | undefined;
  /** Keeps work alive after the response, as ctx.waitUntil (say, giving back a reservation). */
  waitUntil: (p: Promise<unknown>) => void;
}

/**
 * Reserves what one concern needs for a request, or throws its refusal (an ApiError).
 * Steps run side by side; if one refuses, the others' reservations are booked as refused.
 */
export type AdmissionStep = (env: Env, input: AdmissionInput) => Promise<Reservation>;
