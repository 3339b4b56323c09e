import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseSseEvents } from "../../sim/protocol.ts";
import { MAX_BUFFERED_BYTES } from "../../src/streaming/json-body.ts";
import { call, expectError, seedCatalog, seedKey } from "./helpers.ts";
import { chatBody } from "../support/chat-body.ts";
import { eventually } from "../support/eventually.ts";

beforeAll(() => seedCatalog());
afterEach(() => {
  vi.restoreAllMocks();
});

const post = async (path: string, json: unknown, over: Parameters<typeof seedKey>[0] = {}): Promise<Response> =>
  call(path, { method: "POST", key: (await seedKey(over)).key, json });
const chat = chatBody;

describe("completions and embeddings", () => {
  it("forwards /v1/completions, stream and non-stream", async () => {
    const res = await post("/v1/completions", { model: "test-chat", prompt: "Once", max_tokens: 3 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; choices: Array<{ text: string }> };
    expect(body.object).toBe("text_completion");
    expect(body.choices[0]!.text.trim().split(/\s+/)).toHaveLength(3);

    const stream = await post("/v1/completions", { model: "test-chat", prompt: "Once", max_tokens: 3, stream: true });
    const text = await stream.text();
    expect(text).toContain("data: [DONE]");
    expect((parseSseEvents(text) as Array<{ choices: Array<{ text: string }> }>).filter((e) => e.choices[0]?.text).length).toBe(3);
  });

  it("forwards /v1/embeddings", async () => {
    const res = await post("/v1/embeddings", { model: "test-embed", input: ["a", "b", "c"] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ embedding: number[] }>; usage: { prompt_tokens: number } };
    expect(body.data).toHaveLength(3);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("relays an answer larger than the buffering bound whole, as it arrives", async () => {
    const n = 9000;
    const res = await post("/v1/embeddings", { model: "test-embed", input: Array.from({ length: n }, (_, i) => `item ${i}`) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(MAX_BUFFERED_BYTES);
    const body = JSON.parse(text) as { data: Array<{ index: number }>; usage: { prompt_tokens: number } };
    expect(body.data.map((d) => d.index)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(body.usage.prompt_tokens).toBeGreaterThan(n);
  });
});

describe("errors in OpenAI's shape", () => {
  it("malformed JSON, wrong types and missing fields are 400 naming the field", async () => {
    const { key } = await seedKey();
    const raw = (body: string) => call("/v1/chat/completions", { method: "POST", key, body, headers: { "content-type": "application/json" } });
    expect((await expectError(await raw("{not json"), 400, "invalid_json")).message).toContain("not valid JSON");
    expect((await expectError(await raw(JSON.stringify({ messages: [{ role: "user" }] })), 400, "missing_required_parameter")).param).toBe("model");
    expect((await expectError(await raw(JSON.stringify({ model: "test-chat" })), 400, "missing_required_parameter")).param).toBe("messages");
    expect((await expectError(await raw(JSON.stringify(chat({ stream: "yes" }))), 400)).param).toBe("stream");
    expect((await expectError(await raw(JSON.stringify(chat({ max_tokens: 100_000 }))), 400)).param).toBe("max_tokens");
  });

  it("a body over the size limit is 413", async () => {
    const { key } = await seedKey();
    const big = chat({ messages: [{ role: "user", content: "x".repeat(4 * 1024 * 1024 + 1) }] });
    await expectError(await call("/v1/chat/completions", { method: "POST", key, json: big }), 413, "request_too_large");
  });

  it("unknown routes are 404 and wrong methods 405 with Allow", async () => {
    await expectError(await call("/v1/nothing"), 404, "unknown_url");
    await expectError(await call("/"), 404, "unknown_url");
    const res = await call("/v1/chat/completions");
    expect(res.headers.get("allow")).toBe("POST");
    await expectError(res, 405, "method_not_allowed");
    await expectError(await call("/v1/models", { method: "DELETE" }), 405, "method_not_allowed");
  });

  it("a route is the same through the exact table and the patterns: trailing slash, query, request id and log line", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const { key } = await seedKey();
    // "/v1/chat/completions/" misses the exact table and is served by the patterns.
    for (const path of ["/v1/chat/completions", "/v1/chat/completions/", "/v1/chat/completions?x=1"]) {
      const id = `route-${crypto.randomUUID()}`;
      const res = await call(path, { method: "POST", key, json: chat({ max_tokens: 2 }), headers: { "x-request-id": id } });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id")).toBe(id);
      expect(res.headers.get("x-ratelimit-limit-requests")).not.toBeNull();
      await res.arrayBuffer();
      const line = await eventually(async () => lines.find((l) => l.includes(id)), (l) => l !== undefined, 50, 10);
      expect(JSON.parse(line!)).toMatchObject({ event: "request", status: 200, path: path.replace(/\?.*$/, ""), end: "complete" });
    }
    // An error on an exact route goes through the same hook: our shape, a request id, a log line.
    const res = await call("/v1/chat/completions", { method: "POST", json: chat({}) });
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    await expectError(res, 401);
    expect(lines.some((l) => l.includes(res.headers.get("x-request-id")!) && l.includes('"status":401'))).toBe(true);
  });

  it("an unknown model is 404 model_not_found", async () => {
    expect((await expectError(await post("/v1/chat/completions", chat({ model: "nope" })), 404, "model_not_found")).param).toBe("model");
  });

  it("an embedding model on a chat route, and the reverse, is 400", async () => {
    await expectError(await post("/v1/chat/completions", chat({ model: "test-embed" })), 400, "unsupported_model");
    await expectError(await post("/v1/completions", { model: "test-embed", prompt: "x" }), 400, "unsupported_model");
    await expectError(await post("/v1/embeddings", { model: "test-chat", input: "x" }), 400, "unsupported_model");
  });

  it("missing, malformed, unknown and expired keys are 401; missing scope or model access 403", async () => {
    const body = { method: "POST", json: chat() };
    await expectError(await call("/v1/chat/completions", body), 401, "missing_api_key");
    await expectError(await call("/v1/chat/completions", { ...body, headers: { authorization: "Basic abc" } }), 401, "invalid_api_key");
    await expectError(await call("/v1/chat/completions", { ...body, key: "sk-short" }), 401, "invalid_api_key");
    await expectError(await call("/v1/chat/completions", { ...body, key: "sk-eir-unknownunknownunknownunknown" }), 401, "invalid_api_key");
    await expectError(await post("/v1/chat/completions", chat(), { expires_at: Math.floor(Date.now() / 1000) - 1 }), 401, "expired_api_key");
    await expectError(await post("/v1/chat/completions", chat(), { scopes: ["usage"] }), 403, "insufficient_scope");
    await expectError(await post("/v1/chat/completions", chat(), { models: ["test-embed"] }), 403, "model_not_allowed");
  });

  it("never answers an origin failure with the origin's address or credential", async () => {
    const res = await post("/v1/chat/completions", chat({ sim: { fail: "status", status: 500 } }));
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(text).not.toContain("127.0.0.1");
    expect(text).not.toContain("sim-secret-token");
  });
});

describe("model lifecycle", () => {
  it("a deprecated model answers normally with Deprecation, Sunset and successor Link headers", async () => {
    const res = await post("/v1/chat/completions", chat({ model: "test-deprecated", max_tokens: 1 }));
    expect(res.status).toBe(200);
    expect(res.headers.get("deprecation")).toMatch(/^@\d+$/);
    expect(new Date(res.headers.get("sunset")!).getTime()).toBeGreaterThan(Date.now());
    expect(res.headers.get("link")).toContain("/v1/models/test-chat");
    await res.body?.cancel();
  });

  it("a retired model with a successor is served by it, and the response says so", async () => {
    const res = await post("/v1/chat/completions", chat({ model: "test-retired-successor", max_tokens: 1 }));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-model-substituted")).toBe("test-retired-successor -> test-chat");
    const body = (await res.json()) as { model: string };
    expect(body.model).toBe("org/test-chat");
  });

  it("a retired model without a successor is 410", async () => {
    await expectError(await post("/v1/chat/completions", chat({ model: "test-retired" })), 410, "model_retired");
  });
});

describe("request ids and the access log", () => {
  it("echoes a valid client request id and replaces an unsafe one", async () => {
    const { key } = await seedKey();
    const mine = await call("/v1/models", { key, headers: { "x-request-id": "client-id-123" } });
    expect(mine.headers.get("x-request-id")).toBe("client-id-123");
    const unsafe = await call("/v1/models", { key, headers: { "x-request-id": "bad id\u00e9" } });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("logs one line per request with the usage the origin reported, for streams too", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const { key, record } = await seedKey();
    const id = `usage-${crypto.randomUUID()}`;
    const res = await call("/v1/chat/completions", { method: "POST", key, json: chat({ stream: true, max_tokens: 7 }), headers: { "x-request-id": id } });
    await res.text();
    const find = async () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === id);
    const entry = await eventually(find, (e) => e !== undefined, 50, 10);
    expect(entry).toMatchObject({
      event: "request",
      status: 200,
      project_id: record.project_id,
      key_id: record.key_id,
      model: "test-chat",
      origin_region: "eu-central",
      stream: true,
      completion_tokens: 7,
      end: "complete",
    });
    expect(entry?.prompt_tokens).toBeGreaterThan(0);
    expect(typeof entry?.ttfb_ms).toBe("number");
    expect(lines.filter((l) => l.includes(id))).toHaveLength(1);
    expect(lines.join("\n")).not.toContain(key);
  });
});
