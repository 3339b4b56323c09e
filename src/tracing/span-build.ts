// Builds the one span of an ended inference: OpenTelemetry GenAI attributes plus MLflow's
// own `mlflow.*` ones (JSON-encoded values, as MLflow reads them), and content only when
// the project chose capture "full".

import type { Endpoint } from "../openai/inference-request.ts";
import { SPAN_KIND, STATUS_CODE, type AttrValue, type OtlpSpan } from "./otlp-encode.ts";
import { inputAttributes, outputAttributes } from "./span-content.ts";
import type { TraceContext } from "./traceparent.ts";
import type { Capture, TracedInference } from "./traced-inference.ts";

const OPERATION: Record<Endpoint, string> = { chat: "chat", completion: "text_completion", embedding: "embeddings" };
const SPAN_TYPE: Record<Endpoint, string> = { chat: "CHAT_MODEL", completion: "LLM", embedding: "EMBEDDING" };

const json = (v: unknown): string => JSON.stringify(v);

/** Cost at the catalog's price, to 12 significant digits so float noise does not show. */
function cost(t: TracedInference): { input_cost: number; output_cost: number; total_cost: number } | null {
  if (t.usage === null || t.pricing === null) return null;
  const round = (n: number): number => Number(n.toPrecision(12));
  const input = (t.usage.prompt_tokens * t.pricing.input_per_million) / 1e6;
  const output = (t.usage.completion_tokens * t.pricing.output_per_million) / 1e6;
  return { input_cost: round(input), output_cost: round(output), total_cost: round(input + output) };
}

/** Tags MLflow shows on the trace; values are strings, JSON-encoded like its other attributes. */
function tags(t: TracedInference): [string, AttrValue][] {
  const tag: Record<string, string> = {
    "router.project_id": t.projectId,
    "router.key_id": t.keyId,
    "router.request_id": t.requestId,
    "router.end": t.end,
    "router.rate_limit": t.error?.status === 429 ? "limited" : "ok",
  };
  if (t.originRegion !== null) tag["router.origin_region"] = t.originRegion;
  return Object.entries(tag).map(([k, v]) => [`mlflow.traceTag.${k}`, json(v)]);
}

function metadata(t: TracedInference): [string, AttrValue][] {
  const served = t.servedModel ?? t.requestedModel;
  const a: [string, AttrValue][] = [
    ["gen_ai.operation.name", OPERATION[t.endpoint]],
    ["gen_ai.request.model", t.requestedModel],
    ["mlflow.spanType", json(SPAN_TYPE[t.endpoint])],
    ["mlflow.llm.model", json(served)],
    ["router.stream", t.stream],
    ["router.end", t.end],
  ];
  if (t.servedModel !== null) a.push(["gen_ai.response.model", t.servedModel]);
  if (t.provider !== null) a.push(["gen_ai.provider.name", t.provider], ["mlflow.llm.provider", json(t.provider)]);
  if (t.usage !== null) {
    const { prompt_tokens: input, completion_tokens: output } = t.usage;
    a.push(["gen_ai.usage.input_tokens", input], ["gen_ai.usage.output_tokens", output]);
    a.push(["mlflow.chat.tokenUsage", json({ input_tokens: input, output_tokens: output, total_tokens: input + output })]);
  }
  const c = cost(t);
  if (c !== null) a.push(["mlflow.llm.cost", json(c)], ["router.cost_currency", t.pricing?.currency ?? ""]);
  if (t.firstByteAt !== null) a.push(["gen_ai.server.time_to_first_token", Math.max(0, t.firstByteAt - t.startedAt) / 1000]);
  // Only the limit headers: the record may carry other response headers (server-timing).
  for (const [h, v] of Object.entries(t.rateLimit)) if (h.startsWith("x-ratelimit-")) a.push([`router.${h.replaceAll("-", "_")}`, v]);
  if (t.error !== null) {
    a.push(["http.response.status_code", t.error.status], ["error.type", t.error.code ?? String(t.error.status)]);
  }
  return a;
}

export interface SpanIds {
  traceId: Uint8Array;
  spanId: Uint8Array;
}

/**
 * The span joins the caller's trace when a traceparent came in, else it is the root of a
 * new one (so MLflow counts the trace complete as soon as it arrives).
 */
export function buildSpan(t: TracedInference, capture: Capture, parent: TraceContext | null, ids: SpanIds): OtlpSpan {
  const attributes = [...metadata(t), ...tags(t)];
  if (capture === "full") {
    if (t.body !== null) attributes.push(...inputAttributes(t.endpoint, t.body));
    attributes.push(...outputAttributes(t.endpoint, t.output));
  }
  const failed = t.error !== null || t.end === "origin_error" || t.end === "origin_stalled";
  const message = t.error?.message ?? (failed ? `The body ended: ${t.end}.` : undefined);
  return {
    traceId: parent?.traceId ?? ids.traceId,
    spanId: ids.spanId,
    parentSpanId: parent?.parentSpanId ?? null,
    traceState: parent?.traceState,
    name: `${OPERATION[t.endpoint]} ${t.requestedModel}`,
    kind: SPAN_KIND.server,
    startMs: t.startedAt,
    endMs: Math.max(t.endedAt, t.startedAt),
    attributes,
    status: failed ? { code: STATUS_CODE.error, message } : { code: STATUS_CODE.ok },
  };
}
