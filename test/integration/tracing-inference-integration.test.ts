// Each inference of a tracing project becomes one span in its MLflow experiment (here the
// MLflow-contract receiver, decoding with the official proto definitions): attributes and
// tokens as the usage ledger books them, refusals and failures as error spans, traceparent
// nesting, the per-request experiment, both capture modes, and a privacy canary.
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, expectError, seedKey } from "./helpers.ts";
import { ledger, limitsCatalog } from "./limits-fixtures.ts";
import { RECEIVER, attr, behave, freshExperiment, jsonAttr, received, spansOf } from "./trace-recv.ts";
import type { DecodedSpan } from "../support/otlp-decode.ts";
import { freePort } from "../support/free-port.ts";
import { exporterStats } from "../../src/tracing/exporter.ts";
import { DEFAULT_LIMITS } from "../../src/tracing/span-queue.ts";
import { eventually } from "./origin-sims.ts";

beforeAll(() => limitsCatalog());

/** A key of a fresh project that traces into a fresh experiment of the receiver. */
async function traced(capture: "metadata" | "full" = "metadata") {
  const { key, record } = await seedKey({ scopes: ["inference", "usage"] });
  const experiment = freshExperiment(capture);
  const res = await call(`/v1/organization/projects/${record.project_id}/tracing`, { method: "PUT", key: ADMIN_TOKEN, json: { tracking_uri: RECEIVER(), experiment_id: experiment, capture } });
  if (res.status !== 200) throw new Error(`tracing setup: ${res.status} ${await res.text()}`);
  return { key, project: record.project_id, keyId: record.key_id, experiment };
}

const post = (key: string, path: string, json: unknown, headers: Record<string, string> = {}) => call(path, { method: "POST", key, json, headers });
const chat = (extra: Record<string, unknown> = {}) => ({ model: "test-chat", messages: [{ role: "user", content: "hello there" }], max_tokens: 5, ...extra });
const one = async (experiment: string): Promise<DecodedSpan> => (await spansOf(experiment, 1))[0]!;

/** The span's tokens are the ones the ledger booked for the project and model. */
async function expectBooked(span: DecodedSpan, project: string, model: string): Promise<void> {
  const rows = await ledger(project, model, 1);
  const booked = rows.reduce((a, r) => ({ p: a.p + r.promptTokens, c: a.c + r.completionTokens }), { p: 0, c: 0 });
  expect([attr(span, "gen_ai.usage.input_tokens"), attr(span, "gen_ai.usage.output_tokens")]).toEqual([booked.p, booked.c]);
  expect(jsonAttr(span, "mlflow.chat.tokenUsage")).toEqual({ input_tokens: booked.p, output_tokens: booked.c, total_tokens: booked.p + booked.c });
}

describe("one span per inference", () => {
  it("chat, not streamed: GenAI and MLflow attributes, trace tags, tokens and cost as booked", async () => {
    const t = await traced();
    const res = await post(t.key, "/v1/chat/completions", chat());
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id");
    await res.text();
    const s = await one(t.experiment);
    expect(s.name).toBe("chat test-chat");
    expect(s.parentSpanId).toBe("");
    expect(s.status.code).toBe(1);
    expect(attr(s, "gen_ai.operation.name")).toBe("chat");
    expect(attr(s, "gen_ai.request.model")).toBe("test-chat");
    expect(attr(s, "gen_ai.response.model")).toBe("test-chat");
    expect(jsonAttr(s, "mlflow.spanType")).toBe("CHAT_MODEL");
    expect(jsonAttr(s, "mlflow.llm.provider")).toBe("test");
    expect(jsonAttr(s, "mlflow.traceTag.router.project_id")).toBe(t.project);
    expect(jsonAttr(s, "mlflow.traceTag.router.key_id")).toBe(t.keyId);
    expect(jsonAttr(s, "mlflow.traceTag.router.request_id")).toBe(requestId);
    expect(jsonAttr(s, "mlflow.traceTag.router.end")).toBe("complete");
    expect(jsonAttr(s, "mlflow.traceTag.router.origin_region")).toBe("eu-central");
    expect(jsonAttr(s, "mlflow.traceTag.router.rate_limit")).toBe("ok");
    expect(attr(s, "router.x_ratelimit_limit_requests")).toBe(res.headers.get("x-ratelimit-limit-requests"));
    await expectBooked(s, t.project, "test-chat");
    const p = attr(s, "gen_ai.usage.input_tokens") as number;
    const c = attr(s, "gen_ai.usage.output_tokens") as number;
    // test-chat's price: 1 and 2 per million.
    expect(jsonAttr(s, "mlflow.llm.cost")).toEqual({ input_cost: p / 1e6, output_cost: (2 * c) / 1e6, total_cost: (p + 2 * c) / 1e6 });
    expect(attr(s, "mlflow.spanInputs")).toBeUndefined();
    expect(BigInt(s.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(s.startTimeUnixNano));
  });

  it("chat, streamed: the same, with time to first token", async () => {
    const t = await traced();
    const res = await post(t.key, "/v1/chat/completions", chat({ stream: true, stream_options: { include_usage: true } }));
    await res.text();
    const s = await one(t.experiment);
    expect(typeof attr(s, "gen_ai.server.time_to_first_token")).toBe("number");
    expect(attr(s, "router.stream")).toBe(true);
    await expectBooked(s, t.project, "test-chat");
  });

  it("a completion is an LLM span, an embedding an EMBEDDING span with no output tokens", async () => {
    const t = await traced();
    await (await post(t.key, "/v1/completions", { model: "test-chat", prompt: "once", max_tokens: 3 })).text();
    const c = await one(t.experiment);
    expect([attr(c, "gen_ai.operation.name"), jsonAttr(c, "mlflow.spanType")]).toEqual(["text_completion", "LLM"]);
    const e = await traced();
    await (await post(e.key, "/v1/embeddings", { model: "test-embed", input: ["a b c", "d e"] })).text();
    const s = await one(e.experiment);
    expect([attr(s, "gen_ai.operation.name"), jsonAttr(s, "mlflow.spanType")]).toEqual(["embeddings", "EMBEDDING"]);
    expect(attr(s, "gen_ai.usage.output_tokens")).toBe(0);
    await expectBooked(s, e.project, "test-embed");
  });

  it("a request refused by the rate limit: an error span with the reason and the limited state", async () => {
    const t = await traced();
    let refused: Response | null = null;
    for (let i = 0; i < 30 && refused === null; i++) {
      const res = await post(t.key, "/v1/chat/completions", chat({ model: "slow-rpm" }));
      if (res.status === 429) refused = res;
      await res.text();
    }
    expect(refused?.status).toBe(429);
    const all = await spansOf(t.experiment, 1);
    const deadline = Date.now() + 3000;
    let limited = all.filter((s) => s.status.code === 2);
    while (limited.length === 0 && Date.now() < deadline) limited = (await received(t.experiment)).spans.filter((s) => s.status.code === 2);
    const s = limited[0]!;
    expect(s.status.message).toContain("429");
    expect(attr(s, "http.response.status_code")).toBe(429);
    expect(jsonAttr(s, "mlflow.traceTag.router.rate_limit")).toBe("limited");
    expect(jsonAttr(s, "mlflow.traceTag.router.end")).toBe("refused");
    expect(attr(s, "gen_ai.usage.input_tokens")).toBeUndefined();
  });

  it("an origin failure: an error span; a stream the origin cut: origin_error", async () => {
    const t = await traced();
    const res = await post(t.key, "/v1/chat/completions", chat({ sim: { fail: "status", status: 500 } }));
    expect(res.status).toBeGreaterThanOrEqual(500);
    await res.text();
    const s = await one(t.experiment);
    expect(s.status.code).toBe(2);
    expect(attr(s, "http.response.status_code")).toBe(res.status);
    const cut = await traced();
    await (await post(cut.key, "/v1/chat/completions", chat({ stream: true, sim: { fail: "cut" } }))).text();
    const c = await one(cut.experiment);
    expect(jsonAttr(c, "mlflow.traceTag.router.end")).toBe("origin_error");
    expect(c.status.code).toBe(2);
  });

  it("a client that leaves mid-stream: client_closed, not an error, tokens as booked", async () => {
    const t = await traced();
    const res = await post(t.key, "/v1/chat/completions", chat({ stream: true, max_tokens: 40, sim: { tokens: 40, itlMs: 40 } }));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const s = await one(t.experiment);
    expect(jsonAttr(s, "mlflow.traceTag.router.end")).toBe("client_closed");
    expect(s.status.code).toBe(1);
    await expectBooked(s, t.project, "test-chat");
  });

  it("joins the caller's trace with traceparent; x-mlflow-experiment-id picks another experiment", async () => {
    const t = await traced();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await (await post(t.key, "/v1/chat/completions", chat(), { traceparent: `00-${traceId}-00f067aa0ba902b7-01` })).text();
    const s = await one(t.experiment);
    expect([s.traceId, s.parentSpanId]).toEqual([traceId, "00f067aa0ba902b7"]);
    const other = freshExperiment("other");
    await (await post(t.key, "/v1/chat/completions", chat(), { "x-mlflow-experiment-id": other })).text();
    expect((await spansOf(other, 1)).length).toBe(1);
    await expectError(await post(t.key, "/v1/chat/completions", chat(), { "x-mlflow-experiment-id": "no spaces allowed" }), 400);
  });
});

describe("capture modes", () => {
  it("full: the messages in and the assembled answer out, streamed and not", async () => {
    const t = await traced("full");
    const whole = (await (await post(t.key, "/v1/chat/completions", chat())).json()) as { choices: { message: { content: string } }[] };
    const [s] = await spansOf(t.experiment, 1);
    expect(jsonAttr(s!, "mlflow.spanInputs")).toMatchObject({ messages: [{ role: "user", content: "hello there" }], max_tokens: 5 });
    expect(jsonAttr(s!, "mlflow.spanOutputs")).toEqual([{ role: "assistant", content: whole.choices[0]!.message.content }]);
    const text = await (await post(t.key, "/v1/chat/completions", chat({ stream: true }))).text();
    const streamed = text.split("\n").filter((l) => l.startsWith("data: {")).map((l) => (JSON.parse(l.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? "").join("");
    const spans = await spansOf(t.experiment, 2);
    expect(jsonAttr(spans[1]!, "mlflow.spanOutputs")).toEqual([{ role: "assistant", content: streamed }]);
    expect(jsonAttr(spans[1]!, "gen_ai.input.messages")).toEqual([{ role: "user", parts: [{ type: "text", content: "hello there" }] }]);
  });

  it("metadata (the default): a marker in the prompt appears nowhere in what was exported", async () => {
    const t = await traced("metadata");
    const MARKER = `CANARY${crypto.randomUUID().replaceAll("-", "")}`;
    const prompt = `Tell me about ${MARKER}.`;
    const shapes: [string, unknown][] = [
      ["/v1/chat/completions", chat({ messages: [{ role: "user", content: prompt }], user: MARKER })],
      ["/v1/chat/completions", chat({ messages: [{ role: "user", content: prompt }], stream: true })],
      ["/v1/completions", { model: "test-chat", prompt, max_tokens: 3 }],
      ["/v1/embeddings", { model: "test-embed", input: [prompt] }],
      ["/v1/chat/completions", chat({ messages: [{ role: "user", content: prompt }], sim: { fail: "status", status: 400 } })],
    ];
    for (const [path, body] of shapes) await (await post(t.key, path, body)).text();
    await spansOf(t.experiment, shapes.length);
    const r = await received(t.experiment);
    for (const b of r.bodies) expect(atob(b)).not.toContain(MARKER);
    expect(JSON.stringify(r.spans)).not.toContain(MARKER);
  });
});

describe("a failing MLflow never touches the request", () => {
  it.each([
    ["slow past the timeout", { delayMs: 8000 }],
    ["500", { status: 500 }],
    ["429", { status: 429 }],
    ["413", { status: 413 }],
  ])("MLflow %s: while an export is failing, answers are whole; the batch is dropped and counted", async (name, behaviour) => {
    const t = await traced();
    await behave(t.experiment, behaviour);
    const dropped = exporterStats().droppedFailed;
    await (await post(t.key, "/v1/chat/completions", chat())).text();
    // An export to this MLflow is under way (or has failed) now.
    await eventually(async () => (await received(t.experiment)).attempts, (n) => n >= 1);
    const stream = await post(t.key, "/v1/chat/completions", chat({ stream: true }));
    const text = await stream.text();
    expect(stream.status).toBe(200);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const res = await post(t.key, "/v1/chat/completions", chat());
    expect(((await res.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    if (name.startsWith("slow")) expect((await received(t.experiment)).spans).toEqual([]);
    else expect(await eventually(async () => exporterStats().droppedFailed - dropped, (n) => n >= 1, 300)).toBeGreaterThanOrEqual(1);
    expect(exporterStats().queued + exporterStats().inFlight).toBeLessThanOrEqual(DEFAULT_LIMITS.maxSpans);
  });

  it("MLflow unreachable: requests answer as usual", async () => {
    const { key, record } = await seedKey({ scopes: ["inference"] });
    await call(`/v1/organization/projects/${record.project_id}/tracing`, { method: "PUT", key: ADMIN_TOKEN, json: { tracking_uri: `http://127.0.0.1:${await freePort()}`, experiment_id: "1" } });
    const res = await post(key, "/v1/chat/completions", chat({ stream: true }));
    expect(res.status).toBe(200);
    expect((await res.text()).includes("[DONE]")).toBe(true);
  });
});
