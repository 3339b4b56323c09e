import { describe, expect, it } from "vitest";
import { StreamAssembler, choicesOfBody } from "../../src/tracing/assemble-output.ts";
import { encodeExportRequest } from "../../src/tracing/otlp-encode.ts";
import { buildSpan } from "../../src/tracing/span-build.ts";
import { parseTraceparent } from "../../src/tracing/traceparent.ts";
import type { TracedInference } from "../../src/tracing/traced-inference.ts";
import { decodeExport, jsonAttr, type DecodedSpan } from "../support/otlp-decode.ts";

const ids = { traceId: new Uint8Array(16).fill(7), spanId: new Uint8Array(8).fill(9) };
const CANARY = "canary-7f3a9e";

function inference(over: Partial<TracedInference> = {}): TracedInference {
  return {
    endpoint: "chat",
    requestId: "req_1",
    projectId: "proj_t",
    keyId: "key_1",
    requestedModel: "llama-old",
    servedModel: "llama-new",
    provider: "meta",
    originRegion: "eu-central",
    stream: true,
    startedAt: 1_000_000,
    endedAt: 1_000_900,
    firstByteAt: 1_000_120,
    end: "complete",
    usage: { prompt_tokens: 12, completion_tokens: 30 },
    pricing: { input_per_million: 0.5, output_per_million: 1.5, currency: "USD" },
    rateLimit: { "x-ratelimit-remaining-requests": "59", "x-ratelimit-remaining-tokens": "9000", "server-timing": "limiter;dur=3" },
    error: null,
    body: { model: "llama-old", messages: [{ role: "user", content: `say ${CANARY}` }], temperature: 0.2 },
    output: [{ index: 0, role: "assistant", content: `sure ${CANARY}`, tool_calls: [], finish_reason: "stop" }],
    ...over,
  };
}

/** Through the encoder and the independent decoder, as MLflow would read it. */
function roundTrip(t: TracedInference, capture: "metadata" | "full", traceparent: string | null = null): DecodedSpan {
  const span = buildSpan(t, capture, parseTraceparent(traceparent), ids);
  const d = decodeExport(encodeExportRequest({ resource: [], scope: { name: "r", version: "1" }, spans: [span] }));
  return d.resourceSpans[0]!.scopes[0]!.spans[0]!;
}

describe("the span of an inference", () => {
  it("carries GenAI and MLflow attributes, the billed tokens and their cost", () => {
    const s = roundTrip(inference(), "metadata");
    expect(s.name).toBe("chat llama-old");
    expect(s.attributes["gen_ai.operation.name"]).toEqual({ string: "chat" });
    expect(s.attributes["gen_ai.request.model"]).toEqual({ string: "llama-old" });
    expect(s.attributes["gen_ai.response.model"]).toEqual({ string: "llama-new" });
    expect(s.attributes["gen_ai.usage.input_tokens"]).toEqual({ int: "12" });
    expect(s.attributes["gen_ai.usage.output_tokens"]).toEqual({ int: "30" });
    expect(jsonAttr(s, "mlflow.spanType")).toBe("CHAT_MODEL");
    expect(jsonAttr(s, "mlflow.llm.model")).toBe("llama-new");
    expect(jsonAttr(s, "mlflow.llm.provider")).toBe("meta");
    expect(jsonAttr(s, "mlflow.chat.tokenUsage")).toEqual({ input_tokens: 12, output_tokens: 30, total_tokens: 42 });
    expect(jsonAttr(s, "mlflow.llm.cost")).toEqual({ input_cost: 0.000006, output_cost: 0.000045, total_cost: 0.000051 });
    expect(jsonAttr(s, "mlflow.traceTag.router.project_id")).toBe("proj_t");
    expect(jsonAttr(s, "mlflow.traceTag.router.key_id")).toBe("key_1");
    expect(jsonAttr(s, "mlflow.traceTag.router.request_id")).toBe("req_1");
    expect(jsonAttr(s, "mlflow.traceTag.router.origin_region")).toBe("eu-central");
    expect(jsonAttr(s, "mlflow.traceTag.router.end")).toBe("complete");
    expect(jsonAttr(s, "mlflow.traceTag.router.rate_limit")).toBe("ok");
    expect(s.attributes["gen_ai.server.time_to_first_token"]).toEqual({ double: 0.12 });
    expect(s.attributes["router.x_ratelimit_remaining_tokens"]).toEqual({ string: "9000" });
    expect(s.attributes["router.server_timing"]).toBeUndefined();
    expect(s.startTimeUnixNano).toBe("1000000000000");
    expect(s.endTimeUnixNano).toBe("1000900000000");
    expect(s.status.code).toBe(1);
  });

  it("a small request's cost is not rounded away", () => {
    const s = roundTrip(inference({ usage: { prompt_tokens: 5, completion_tokens: 3 }, pricing: { input_per_million: 0.2, output_per_million: 0.2, currency: "EUR" } }), "metadata");
    expect(jsonAttr(s, "mlflow.llm.cost")).toEqual({ input_cost: 0.000001, output_cost: 6e-7, total_cost: 0.0000016 });
  });

  it("the span types of completions and embeddings; embeddings book no output tokens", () => {
    const c = roundTrip(inference({ endpoint: "completion" }), "metadata");
    expect([c.attributes["gen_ai.operation.name"], jsonAttr(c, "mlflow.spanType")]).toEqual([{ string: "text_completion" }, "LLM"]);
    const e = roundTrip(inference({ endpoint: "embedding", usage: { prompt_tokens: 8, completion_tokens: 0 } }), "metadata");
    expect([e.attributes["gen_ai.operation.name"], jsonAttr(e, "mlflow.spanType")]).toEqual([{ string: "embeddings" }, "EMBEDDING"]);
    expect(jsonAttr(e, "mlflow.chat.tokenUsage")).toEqual({ input_tokens: 8, output_tokens: 0, total_tokens: 8 });
  });

  it("a refused request: error status with the reason, no usage, rate-limit state limited", () => {
    const s = roundTrip(
      inference({ end: "refused", usage: null, firstByteAt: null, originRegion: null, error: { status: 429, code: "rate_limit_exceeded", message: "Rate limit reached for requests." } }),
      "metadata",
    );
    expect(s.status).toEqual({ code: 2, message: "Rate limit reached for requests." });
    expect(s.attributes["http.response.status_code"]).toEqual({ int: "429" });
    expect(s.attributes["error.type"]).toEqual({ string: "rate_limit_exceeded" });
    expect(jsonAttr(s, "mlflow.traceTag.router.rate_limit")).toBe("limited");
    expect(s.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
    expect(s.attributes["mlflow.traceTag.router.origin_region"]).toBeUndefined();
  });

  it("an origin that broke off mid-stream is an error span, a client that left is not", () => {
    expect(roundTrip(inference({ end: "origin_error" }), "metadata").status.code).toBe(2);
    expect(roundTrip(inference({ end: "client_closed" }), "metadata").status.code).toBe(1);
  });

  it("joins the caller's trace under its span; without a traceparent it is a root", () => {
    const s = roundTrip(inference(), "metadata", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect([s.traceId, s.parentSpanId]).toEqual(["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"]);
    const root = roundTrip(inference(), "metadata");
    expect([root.traceId, root.parentSpanId]).toEqual(["07".repeat(16), ""]);
  });

  it("metadata capture: the prompt and the answer appear nowhere in the exported bytes", () => {
    const span = buildSpan(inference(), "metadata", null, ids);
    const wire = Buffer.from(encodeExportRequest({ resource: [], scope: { name: "r", version: "1" }, spans: [span] })).toString("latin1");
    expect(wire).not.toContain(CANARY);
    expect(wire).toContain("llama-old");
  });

  it("full capture: messages in, the assembled answer out, as MLflow renders a chat", () => {
    const s = roundTrip(inference(), "full");
    expect(jsonAttr(s, "mlflow.spanInputs")).toEqual({ messages: [{ role: "user", content: `say ${CANARY}` }], temperature: 0.2 });
    expect(jsonAttr(s, "mlflow.spanOutputs")).toEqual([{ role: "assistant", content: `sure ${CANARY}` }]);
    expect(jsonAttr(s, "gen_ai.input.messages")).toEqual([{ role: "user", parts: [{ type: "text", content: `say ${CANARY}` }] }]);
    expect(jsonAttr(s, "gen_ai.output.messages")).toEqual([{ role: "assistant", parts: [{ type: "text", content: `sure ${CANARY}` }], finish_reason: "stop" }]);
  });

  it("full capture of an embedding: the inputs' count and sizes, never their text", () => {
    const s = roundTrip(inference({ endpoint: "embedding", body: { model: "e", input: [CANARY, "ab"] }, output: null }), "full");
    expect(jsonAttr(s, "mlflow.spanInputs")).toEqual({ model: "e", input: { count: 2, sizes: [CANARY.length, 2], unit: "characters" } });
    expect(s.attributes["mlflow.spanOutputs"]).toBeUndefined();
    expect(JSON.stringify(s)).not.toContain(CANARY);
  });

  it("full capture of a completion: the prompt", () => {
    const s = roundTrip(inference({ endpoint: "completion", body: { model: "m", prompt: "once upon" } }), "full");
    expect(jsonAttr(s, "mlflow.spanInputs")).toEqual({ prompt: "once upon" });
  });
});

describe("assembling the answer for capture full", () => {
  it("folds stream deltas, tool calls included, per choice", () => {
    const a = new StreamAssembler();
    a.chunk({ choices: [{ index: 0, delta: { role: "assistant", content: "Hel" } }, { index: 1, delta: { content: "B" } }] });
    a.chunk({ choices: [{ index: 0, delta: { content: "lo" } }] });
    a.chunk({ choices: [{ index: 1, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get", arguments: '{"a"' } }] } }] });
    a.chunk({ choices: [{ index: 1, delta: { tool_calls: [{ index: 0, function: { arguments: ":1}" } }] }, finish_reason: "tool_calls" }] });
    a.chunk({ choices: [], usage: { prompt_tokens: 1 } });
    expect(a.choices()).toEqual([
      { index: 0, role: "assistant", content: "Hello", tool_calls: [], finish_reason: null },
      { index: 1, role: "assistant", content: "B", tool_calls: [{ id: "call_1", type: "function", function: { name: "get", arguments: '{"a":1}' } }], finish_reason: "tool_calls" },
    ]);
  });

  it("reads a whole chat or completion body", () => {
    expect(choicesOfBody({ choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }] })).toEqual([
      { index: 0, role: "assistant", content: "hi", tool_calls: [], finish_reason: "stop" },
    ]);
    expect(choicesOfBody({ choices: [{ index: 0, text: "t", finish_reason: "length" }] })?.[0]?.content).toBe("t");
    expect(choicesOfBody({ data: [] })).toBeNull();
  });
});

describe("capturing a stream's answer", () => {
  it("passes bytes through unchanged and assembles events split across chunks", async () => {
    const { captureStream } = await import("../../src/tracing/stream-capture.ts");
    const a = new StreamAssembler();
    const text = 'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}\n\ndata: {"choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(text);
    const pieces = [bytes.subarray(0, 10), bytes.subarray(10, 90), bytes.subarray(90)];
    const src = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of pieces) c.enqueue(p);
        c.close();
      },
    });
    let ended = false;
    const out = await new Response(src.pipeThrough(captureStream(a, () => (ended = true)))).text();
    expect(out).toBe(text);
    expect(ended).toBe(true);
    expect(a.choices()).toEqual([{ index: 0, role: "assistant", content: "Hi there", tool_calls: [], finish_reason: "stop" }]);
  });

  it("reads a copy of a JSON answer as it passes", async () => {
    const { captureJson } = await import("../../src/tracing/stream-capture.ts");
    const text = JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] });
    let got: unknown = undefined;
    const out = await new Response(new Response(text).body!.pipeThrough(captureJson((c) => (got = c)))).text();
    expect(out).toBe(text);
    expect(got).toEqual([{ index: 0, role: "assistant", content: "ok", tool_calls: [], finish_reason: "stop" }]);
  });
});
