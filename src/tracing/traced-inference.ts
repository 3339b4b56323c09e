// What the trace span of one ended inference is built from: plain data the inference's owner
// hands over once, however the request ended (answered, refused, failed, client left).

import type { InferenceEnd } from "../inference/record.ts";
import type { Endpoint } from "../openai/inference-request.ts";

export type Capture = "metadata" | "full";

/**
 * How the inference ended (the inference owner's words): how the body ended, or `refused`
 * (a limit said no) or `rejected` (the origin judged the request bad).
 */
/** How the inference ended, as its owner records it. */
export type TraceEnd = InferenceEnd;

/** One choice of the answer, assembled from a whole body or from a stream's deltas. */
export interface AssembledChoice {
  index: number;
  role: string;
  content: string;
  tool_calls: { id: string; type: string; function: { name: string; arguments: string } }[];
  finish_reason: string | null;
}

export interface TracedInference {
  endpoint: Endpoint;
  requestId: string;
  projectId: string;
  keyId: string;
  requestedModel: string;
  /** The catalog model that answered (after a substitution), null if none was chosen. */
  servedModel: string | null;
  /** The catalog's owned_by: who made the model. */
  provider: string | null;
  originRegion: string | null;
  stream: boolean;
  /** Unix ms. */
  startedAt: number;
  endedAt: number;
  firstByteAt: number | null;
  end: TraceEnd;
  /** What the usage ledger booked; null when nothing was billed. */
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  pricing: { input_per_million: number; output_per_million: number; currency: string } | null;
  /** The x-ratelimit-* headers the response carried (subset; absent ones are left out). */
  rateLimit: Record<string, string>;
  /** The wire error, for a request refused or failed. */
  error: { status: number; code: string | null; message: string } | null;
  /** Only read with capture "full": the request body as the client sent it. */
  body: Record<string, unknown> | null;
  /** Only read with capture "full": the assembled answer (null: none, or embeddings). */
  output: AssembledChoice[] | null;
}
