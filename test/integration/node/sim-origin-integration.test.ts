// The simulated GPU origin (sim/origin.ts) that the integration, e2e and bench suites rely on,
// driven over real HTTP: it starts a server, so it runs at integration level, in Node.
import { get as httpGet } from "node:http";
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { startSimOrigin, parseSseEvents, chatPromptTokens } from "../../../sim/origin.ts";
import type { SimOrigin } from "../../../sim/origin.ts";

let origin: SimOrigin;

beforeAll(async () => {
  origin = await startSimOrigin({ region: "test-region" });
});
afterAll(async () => {
  await origin.close();
});
beforeEach(() => {
  origin.reset();
});

const MSGS = [{ role: "user", content: "hello" }];
const PROMPT = chatPromptTokens(MSGS); // ceil('"hello"'.length / 4) + 4 = 6

function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(origin.url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}

// Test-only loose typing: responses are asserted field by field, so `any` keeps the assertions readable.
const json = (res: Response): Promise<any> => res.json();

async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met; stats=${JSON.stringify(origin.stats())}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Reads a streamed body until `tokens` token chunks have arrived, returning the reader so the caller decides what next. */
async function readTokens(res: Response, tokens: number) {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  const count = () => (text.match(/" t\d+"/g) ?? []).length;
  while (count() < tokens) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  return { reader, text, received: count() };
}

describe("chat completions", () => {
  it("answers non-stream with content, usage and echoed model", async () => {
    const res = await post("/v1/chat/completions", { model: "llama-x", messages: MSGS, sim: { tokens: 4 } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-sim-region")).toBe("test-region");
    const body = await json(res);
    expect(body.id).toMatch(/^chatcmpl-sim-\d+$/);
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("llama-x");
    expect(typeof body.created).toBe("number");
    expect(body.choices[0].message).toEqual({ role: "assistant", content: " t0 t1 t2 t3" });
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.usage).toEqual({ prompt_tokens: 6, completion_tokens: 4, total_tokens: 10 });
    expect(PROMPT).toBe(6);
  });

  it("caps at max_tokens / max_completion_tokens with finish_reason length", async () => {
    const a = await json(await post("/v1/chat/completions", { model: "m", messages: MSGS, max_tokens: 3 }));
    expect(a.usage.completion_tokens).toBe(3);
    expect(a.choices[0].finish_reason).toBe("length");
    const b = await json(await post("/v1/chat/completions", { model: "m", messages: MSGS, max_completion_tokens: 5 }));
    expect(b.choices[0].message.content).toBe(" t0 t1 t2 t3 t4");
  });

  it("streams role chunk, one chunk per token, finish chunk and [DONE] without usage", async () => {
    const res = await post("/v1/chat/completions", { model: "m", messages: MSGS, stream: true, sim: { tokens: 5 } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = parseSseEvents(text) as any[];
    expect(events).toHaveLength(1 + 5 + 1);
    expect(events[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(events.slice(1, 6).map((e: any) => e.choices[0].delta.content)).toEqual([" t0", " t1", " t2", " t3", " t4"]);
    expect(events[6].choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(new Set(events.map((e: any) => e.id)).size).toBe(1);
    expect(events.every((e: any) => e.object === "chat.completion.chunk" && !("usage" in e))).toBe(true);
    expect(origin.stats()).toMatchObject({ requests: 1, completed: 1, completionTokens: 5, promptTokens: PROMPT });
  });

  it("adds a usage chunk and usage:null elsewhere when include_usage is set", async () => {
    const res = await post("/v1/chat/completions", {
      model: "m", messages: MSGS, stream: true, max_tokens: 3, stream_options: { include_usage: true },
    });
    const events = parseSseEvents(await res.text()) as any[];
    const last = events[events.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: PROMPT, completion_tokens: 3, total_tokens: PROMPT + 3 });
    expect(events.slice(0, -1).every((e: any) => e.usage === null)).toBe(true);
    expect(events[events.length - 2].choices[0].finish_reason).toBe("length");
  });
});

describe("completions and embeddings", () => {
  it("answers text completions, stream and non-stream", async () => {
    const body = await json(await post("/v1/completions", { model: "m", prompt: "abcdefgh", max_tokens: 2 }));
    expect(body.object).toBe("text_completion");
    expect(body.choices[0].text).toBe(" t0 t1");
    expect(body.usage).toEqual({ prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 });

    const res = await post("/v1/completions", { model: "m", prompt: ["abcd"], stream: true, sim: { tokens: 3 } });
    const events = parseSseEvents(await res.text()) as any[];
    expect(events.map((e: any) => e.choices[0].text)).toEqual([" t0", " t1", " t2", ""]);
    expect(events[3].choices[0].finish_reason).toBe("stop");
    expect(origin.stats()).toMatchObject({ requests: 2, completed: 2, promptTokens: 3, completionTokens: 5 });
  });

  it("returns 8 deterministic floats per input, also as base64 float32", async () => {
    const a = await json(await post("/v1/embeddings", { model: "emb", input: ["x", "y"] }));
    const b = await json(await post("/v1/embeddings", { model: "emb", input: "x" }));
    expect(a.object).toBe("list");
    expect(a.data).toHaveLength(2);
    expect(a.data[1]).toMatchObject({ object: "embedding", index: 1 });
    expect(a.data[0].embedding).toHaveLength(8);
    expect(b.data[0].embedding).toEqual(a.data[0].embedding);
    expect(a.data[1].embedding).not.toEqual(a.data[0].embedding);
    expect(a.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    const c = await json(await post("/v1/embeddings", { model: "emb", input: "x", encoding_format: "base64" }));
    const buf = Buffer.from(c.data[0].embedding, "base64");
    const floats = Array.from(new Float32Array(buf.buffer, buf.byteOffset, 8));
    floats.forEach((f, i) => expect(f).toBeCloseTo(a.data[0].embedding[i], 5));
  });

  it("honours ttft and fail modes on embeddings", async () => {
    const t0 = Date.now();
    await post("/v1/embeddings", { model: "emb", input: "x", sim: { ttftMs: 60 } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    const res = await post("/v1/embeddings", { model: "emb", input: "x", sim: { fail: "status", status: 429 } });
    expect(res.status).toBe(429);
    expect((await json(res)).error.type).toBe("rate_limit_error");
    await expect(post("/v1/embeddings", { model: "emb", input: "x", sim: { fail: "reset" } })).rejects.toThrow();
  });
});

describe("fail modes", () => {
  it("status answers an OpenAI-shaped error body after ttft", async () => {
    origin.config({ fail: "status", status: 503, ttftMs: 30 });
    const t0 = Date.now();
    const res = await post("/v1/chat/completions", { model: "m", messages: MSGS });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.error).toMatchObject({ type: "server_error", param: null, code: null });
    expect(origin.stats()).toMatchObject({ requests: 1, completed: 0, promptTokens: 0, inFlight: 0 });
  });

  it("reset destroys the socket without answering", async () => {
    origin.config({ fail: "reset" });
    await expect(post("/v1/chat/completions", { model: "m", messages: MSGS })).rejects.toThrow();
  });

  it("cut streams cutAfter tokens then drops the connection; non-stream gets no answer", async () => {
    const res = await post("/v1/chat/completions", { model: "m", messages: MSGS, stream: true, sim: { fail: "cut", cutAfter: 3 } });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(origin.stats()).toMatchObject({ completionTokens: 3, promptTokens: PROMPT, completed: 0, cancelled: 0 });
    await expect(post("/v1/chat/completions", { model: "m", messages: MSGS, sim: { fail: "cut" } })).rejects.toThrow();
  });

  it("stall never answers and counts as cancelled once the client gives up", async () => {
    origin.config({ fail: "stall" });
    const pending = post("/v1/chat/completions", { model: "m", messages: MSGS }, AbortSignal.timeout(100));
    await waitFor(() => origin.stats().inFlight === 1);
    await expect(pending).rejects.toThrow();
    await waitFor(() => origin.stats().cancelled === 1);
    expect(origin.stats()).toMatchObject({ inFlight: 0, completed: 0, completionTokens: 0 });
  });

  it("stall_mid sends cutAfter tokens then goes silent", async () => {
    const ac = new AbortController();
    const res = await post("/v1/chat/completions", { model: "m", messages: MSGS, stream: true, sim: { fail: "stall_mid" } }, ac.signal);
    const { reader, received } = await readTokens(res, 2);
    expect(received).toBe(2);
    const next = await Promise.race([reader.read().then(() => "data"), new Promise((r) => setTimeout(() => r("silent"), 80))]);
    expect(next).toBe("silent");
    expect(origin.stats().inFlight).toBe(1);
    ac.abort();
    await waitFor(() => origin.stats().cancelled === 1);
    expect(origin.stats().completionTokens).toBe(2);
  });

  it("stall_declared and cut_declared declare a JSON answer's whole length and send half of it", async () => {
    const ac = new AbortController();
    const stalled = await post("/v1/chat/completions", { model: "m", messages: MSGS, sim: { fail: "stall_declared" } }, ac.signal);
    const declared = Number(stalled.headers.get("content-length"));
    const reader = stalled.body!.getReader();
    const half = await reader.read();
    expect(half.value!.length * 2).toBe(declared);
    const next = await Promise.race([reader.read().then(() => "data"), new Promise((r) => setTimeout(() => r("silent"), 80))]);
    expect(next).toBe("silent");
    ac.abort();
    await waitFor(() => origin.stats().cancelled === 1);

    const cut = await post("/v1/chat/completions", { model: "m", messages: MSGS, sim: { fail: "cut_declared" } });
    expect(Number(cut.headers.get("content-length"))).toBeGreaterThan(0);
    await expect(cut.arrayBuffer()).rejects.toThrow();
    // In a stream a declared length means nothing: the mode acts as plain cut.
    const before = origin.stats().completionTokens;
    const cutStream = await post("/v1/chat/completions", { model: "m", messages: MSGS, stream: true, sim: { fail: "cut_declared", cutAfter: 2 } });
    expect(cutStream.headers.get("content-length")).toBeNull();
    await expect(cutStream.text()).rejects.toThrow();
    expect(origin.stats().completionTokens - before).toBe(2);
  });

  it("malformed sends broken SSE / JSON with a 200", async () => {
    origin.config({ fail: "malformed" });
    const res = await post("/v1/chat/completions", { model: "m", messages: MSGS, stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('" t1"');
    expect(text).toContain("data: {not json");
    expect(() => parseSseEvents(text)).toThrow();
    const plain = await post("/v1/chat/completions", { model: "m", messages: MSGS });
    expect(plain.status).toBe(200);
    await expect(plain.json()).rejects.toThrow();
  });
});

describe("per-request behaviour, cancellation, control plane", () => {
  it("body `sim` overrides global config field by field", async () => {
    origin.config({ tokens: 7, fail: "status", status: 502 });
    const failed = await post("/v1/chat/completions", { model: "m", messages: MSGS });
    expect(failed.status).toBe(502);
    const ok = await json(await post("/v1/chat/completions", { model: "m", messages: MSGS, sim: { fail: "none" } }));
    expect(ok.usage.completion_tokens).toBe(7); // tokens still from the global config
  });

  it("a client abort mid-stream is cancelled and stops token accounting", async () => {
    const ac = new AbortController();
    const res = await post("/v1/chat/completions", { model: "m", messages: MSGS, stream: true, sim: { tokens: 1000, itlMs: 100 } }, ac.signal);
    const { received } = await readTokens(res, 5);
    expect(received).toBe(5);
    ac.abort();
    await waitFor(() => origin.stats().cancelled === 1);
    const after = origin.stats();
    expect(after).toMatchObject({ completionTokens: 5, promptTokens: PROMPT, completed: 0, inFlight: 0 });
    await new Promise((r) => setTimeout(r, 250));
    expect(origin.stats().completionTokens).toBe(5);
  });

  it("streams large outputs quickly when itlMs is 0", async () => {
    const t0 = Date.now();
    const res = await post("/v1/completions", { model: "m", prompt: "p", stream: true, sim: { tokens: 20000 } });
    const events = parseSseEvents(await res.text());
    expect(events).toHaveLength(20001);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(origin.stats().completionTokens).toBe(20000);
  });

  it("rejects bad JSON and unknown paths with OpenAI-shaped errors", async () => {
    const bad = await post("/v1/chat/completions", "{nope");
    expect(bad.status).toBe(400);
    expect(await json(bad)).toEqual({ error: { message: expect.any(String), type: "invalid_request_error", param: null, code: null } });
    const missing = await post("/v1/nothing", {});
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.message).toEqual(expect.any(String));
    expect(origin.stats().requests).toBe(1);
  });

  it("counts the TCP connections it accepts", async () => {
    const before = origin.stats().connections;
    // No keep-alive agent: each request opens a connection of its own.
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve, reject) => {
        httpGet(origin.url + "/health", { agent: false }, (res) => res.resume().on("end", resolve)).on("error", reject);
      });
    }
    expect(origin.stats().connections - before).toBe(2);
  });

  it("reports health, models, stats and resets them", async () => {
    expect((await fetch(origin.url + "/health")).status).toBe(200);
    origin.setHealthy(false);
    expect((await fetch(origin.url + "/health")).status).toBe(503);
    await post("/_sim/health", { healthy: true });
    expect(await json(await fetch(origin.url + "/health"))).toEqual({ status: "ok" });

    expect(await json(await fetch(origin.url + "/v1/models"))).toEqual({ object: "list", data: [] });
    await post("/_sim/config", { tokens: 2 });
    await post("/v1/chat/completions", { model: "alpha", messages: MSGS });
    const models = await json(await fetch(origin.url + "/v1/models"));
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(["alpha"]);

    const stats = await json(await fetch(origin.url + "/_sim/stats"));
    const { connections, ...counters } = stats;
    expect(counters).toEqual({
      requests: 1, completed: 1, cancelled: 0, inFlight: 0, promptTokens: PROMPT, completionTokens: 2,
      byPath: { "/health": 3, "/v1/models": 2, "/v1/chat/completions": 1 },
    });
    expect(typeof connections).toBe("number");

    await post("/_sim/reset", {});
    expect(origin.stats()).toEqual({ requests: 0, completed: 0, cancelled: 0, inFlight: 0, promptTokens: 0, completionTokens: 0, byPath: {}, connections: 0 });
    const fresh = await json(await post("/v1/chat/completions", { model: "m", messages: MSGS }));
    expect(fresh.usage.completion_tokens).toBe(16); // config back to defaults
  });
});
