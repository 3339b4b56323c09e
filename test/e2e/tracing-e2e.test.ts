// The openai client against `npm start` with TRACE_RECEIVER=1: the demo project traces into
// the local MLflow-like receiver, and each call shows up there as a span.

import OpenAI from "openai";
import { describe, expect, inject, it } from "vitest";
import type { DecodedSpan } from "../support/otlp-decode.ts";
import type { Received } from "../support/trace-receiver.ts";

const experiment = `e2e-${crypto.randomUUID().slice(0, 8)}`;
// A per-request experiment keeps this file's spans apart from the other files' demo traffic.
const client = new OpenAI({ apiKey: inject("demoKey"), baseURL: `${inject("routerUrl")}/v1`, maxRetries: 0, defaultHeaders: { "x-mlflow-experiment-id": experiment } });

async function spans(n: number): Promise<DecodedSpan[]> {
  for (let i = 0; i < 200; i++) {
    const r = (await (await fetch(`${inject("traceReceiverUrl")}/_recv/received?experiment=${experiment}`)).json()) as Received;
    if (r.spans.length >= n) return r.spans;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`fewer than ${n} spans arrived`);
}

const str = (s: DecodedSpan, k: string): string | undefined => {
  const v = s.attributes[k];
  return v !== undefined && "string" in v ? v.string : undefined;
};

describe("tracing end to end", () => {
  it("a chat, a streamed chat and an embedding each land as a span with the booked tokens", async () => {
    const chat = await client.chat.completions.create({ model: "llama-3.1-8b-instruct", messages: [{ role: "user", content: "Hi." }], max_tokens: 4 });
    const stream = await client.chat.completions.create({ model: "llama-3.1-8b-instruct", messages: [{ role: "user", content: "Hi." }], max_tokens: 3, stream: true, stream_options: { include_usage: true } });
    let streamedUsage: { prompt_tokens: number; completion_tokens: number } | null = null;
    for await (const c of stream) if (c.usage) streamedUsage = c.usage;
    const emb = await client.embeddings.create({ model: "e5-mistral-7b-instruct", input: "hello" });

    const got = await spans(3);
    const byOp = (op: string) => got.filter((s) => str(s, "gen_ai.operation.name") === op);
    const [first, second] = byOp("chat");
    const usages = [first, second].map((s) => [s?.attributes["gen_ai.usage.input_tokens"], s?.attributes["gen_ai.usage.output_tokens"]]);
    expect(usages).toContainEqual([{ int: String(chat.usage?.prompt_tokens) }, { int: String(chat.usage?.completion_tokens) }]);
    expect(usages).toContainEqual([{ int: String(streamedUsage?.prompt_tokens) }, { int: String(streamedUsage?.completion_tokens) }]);
    const e = byOp("embeddings")[0]!;
    expect(e.attributes["gen_ai.usage.input_tokens"]).toEqual({ int: String(emb.usage.prompt_tokens) });
    expect(JSON.parse(str(e, "mlflow.spanType")!)).toBe("EMBEDDING");
    // The demo traces with capture metadata: no prompt left the router.
    expect(JSON.stringify(got)).not.toContain("Hi.");
  });
});
