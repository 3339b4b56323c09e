// From the origin's answer to the client's response: a JSON answer read whole (or
// relayed when large), a stream relayed as it comes; the owner hears how each ended.

import type { ModelEntry } from "../catalog/types.ts";
import type { InferenceRequest } from "../openai/inference-request.ts";
import type { Forwarded } from "../origins/failover.ts";
import { DEFAULT_IDLE_MS } from "../origins/forward.ts";
import { isEventStream } from "../streaming/origin-body.ts";
import { collectJson } from "../streaming/json-body.ts";
import { declaredLength, jsonBodyFailed } from "../streaming/json-body-end.ts";
import { usageOfJson } from "../streaming/usage.ts";
import { relay, type RelayResult, type RelaySource } from "../streaming/relay.ts";
import type { InferenceOwner } from "./owner.ts";

/** Builds the response headers once the body's kind is known. */
export type HeadersFor = (eventStream: boolean) => Record<string, string>;

export interface AnswerInput {
  ctx: ExecutionContext;
  req: InferenceRequest;
  model: ModelEntry;
  /** Aborts when the client goes away. */
  signal: AbortSignal | undefined;
  headersFor: HeadersFor;
}

export async function answer(owner: InferenceOwner, forwarded: Forwarded, input: AnswerInput): Promise<Response> {
  const { ctx, req, model, signal, headersFor } = input;
  const { res, body: fromOrigin } = forwarded;
  // Read whole by the attempt (a JSON answer of declared length): it goes out as it is.
  if ("whole" in fromOrigin) {
    const response = owner.handOver(fromOrigin.whole, headersFor(false));
    owner.answered(usageOfJson(fromOrigin.whole));
    return response;
  }
  const isStream = req.stream && isEventStream(res);
  const idleTimeoutMs = model.timeouts?.idle_ms ?? DEFAULT_IDLE_MS;
  let source: RelaySource = fromOrigin;
  if (!isStream) {
    const collected = await collectJson(fromOrigin, { idleTimeoutMs, declaredLength: declaredLength(res), signal });
    if (collected.kind === "failed") throw owner.failed(jsonBodyFailed(collected.end), collected.end);
    if (collected.kind === "whole") {
      const response = owner.handOver(collected.bytes, headersFor(false));
      owner.answered(collected.usage);
      return response;
    }
    source = collected;
  }
  const { body, done } = relay(source, isStream ? "event-stream" : "json", { includeUsage: req.includeUsage, idleTimeoutMs });
  const response = owner.handOver(body, headersFor(isStream));
  ctx.waitUntil(done.then((result: RelayResult) => owner.bodyEnded(result)));
  return response;
}
