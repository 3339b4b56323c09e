// Faults: every way the origin, the client or the catalog can fail has one documented
// outcome for the client, and nothing is lost: the access log records how each request
// ended and the origin is never left holding an abandoned request.

import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance } from "vitest";
import { parseSseEvents } from "../../sim/origin.ts";
import { getCatalog, resetCatalogCache } from "../../src/catalog/store.ts";
import { CATALOG_KEY } from "../../src/storage/kv-keys.ts";
import { call, expectError, isolatedModel, seedCatalog, seedKey, simStats, testCatalog, testEnv } from "./helpers.ts";
import { chatBody } from "../support/chat-body.ts";
import { eventually, sleep } from "../support/eventually.ts";
import { expectLogs } from "../support/expected-logs.ts";
import { fakeExecutionContext } from "../support/fake-env.ts";

let logs: MockInstance<(...args: unknown[]) => void>;
beforeAll(() => {
  // The catalog tests corrupt the catalog on purpose and assert these lines.
  logs = expectLogs(["catalog_missing", "catalog_load_failed", "catalog_invalid"]).spy;
});
afterAll(() => logs.mockRestore());
beforeEach(() => seedCatalog());

const chat = (extra: Record<string, unknown> = {}) => chatBody({ max_tokens: 8, ...extra });

/** The access-log line of one request, once it is written (streams write it after their end). */
async function accessLog(requestId: string): Promise<Record<string, unknown>> {
  const find = async () =>
    logs.mock.calls.map(([line]) => line).find((line) => typeof line === "string" && line.includes('"event":"request"') && line.includes(`"request_id":"${requestId}"`));
  const line = await eventually(find, (l) => l !== undefined);
  if (typeof line !== "string") throw new Error(`no access log for ${requestId}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** The origin is left with nothing in flight: stalls and cancels were torn down. */
async function originSettles(): Promise<void> {
  expect((await eventually(simStats, (s) => s.inFlight === 0)).inFlight).toBe(0);
}

async function send(json: Record<string, unknown>, signal?: AbortSignal): Promise<{ res: Response; id: string }> {
  const { key } = await seedKey();
  const id = `fault-${crypto.randomUUID()}`;
  const model = await isolatedModel(typeof json.model === "string" ? json.model : "test-chat");
  const res = await call("/v1/chat/completions", { method: "POST", key, json: { ...json, model }, headers: { "x-request-id": id }, ...(signal ? { signal } : {}) });
  return { res, id };
}

describe("origin faults before the response starts: an error in our shape, retryable", () => {
  const cases: Array<[string, Record<string, unknown>, number, string, string | null, boolean?]> = [
    ["refuses connections", { model: "test-dead-origin" }, 503, "origin_unreachable", "any"],
    ["resets the connection", { sim: { fail: "reset" } }, 503, "origin_unreachable", "any"],
    ["drops a JSON answer before its headers", { sim: { fail: "cut" } }, 503, "origin_unreachable", "any", false],
    ["answers 500", { sim: { fail: "status", status: 500 } }, 502, "origin_error", null],
    ["answers 502", { sim: { fail: "status", status: 502 } }, 502, "origin_error", null],
    ["answers 504", { sim: { fail: "status", status: 504 } }, 502, "origin_error", null],
    ["answers 503 (overloaded)", { sim: { fail: "status", status: 503 } }, 503, "model_overloaded", "1"],
    ["answers 429 (its own limit)", { sim: { fail: "status", status: 429 } }, 503, "model_overloaded", "1"],
    ["stalls before its headers", { model: "test-timeouts", sim: { fail: "stall" } }, 504, "origin_timeout", null],
  ];
  for (const [name, extra, status, code, retryAfter, streams = true] of cases) {
    for (const stream of streams ? [false, true] : [false]) {
      it(`${name}${stream ? ", streamed" : ""}: ${status} ${code}`, async () => {
        const { res, id } = await send(chat({ stream, ...extra }));
        // "any": a Retry-After is set, its value is the breaker's business.
        if (retryAfter === "any") expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
        else expect(res.headers.get("retry-after")).toBe(retryAfter);
        await expectError(res, status, code);
        expect(await accessLog(id)).toMatchObject({ status, error_code: code });
        await originSettles();
      });
    }
  }
});

describe("origin faults mid-body: the client gets every token sent and an explicit end", () => {
  it("a stream cut by the origin ends with an error event after all the tokens it sent", async () => {
    const before = await simStats();
    const { res, id } = await send(chat({ stream: true, max_tokens: 50, sim: { fail: "cut", cutAfter: 7 } }));
    expect(res.status).toBe(200);
    const events = parseSseEvents(await res.text()) as Array<{ choices?: Array<{ delta?: { content?: string } }>; error?: { code: string } }>;
    const tokens = events.filter((e) => e.choices?.[0]?.delta?.content).length;
    expect(tokens).toBe(7);
    expect(tokens).toBe((await simStats()).completionTokens - before.completionTokens);
    expect(events.at(-1)?.error?.code).toBe("origin_stream_error");
    // Without the origin's usage chunk the log estimates from events; it may overcount
    // (the role chunk counts too) but must never bill less than what the client received.
    const log = await accessLog(id);
    expect(log).toMatchObject({ status: 200, end: "origin_error" });
    expect(log.prompt_tokens).toBeGreaterThan(0);
    expect(log.completion_tokens).toBeGreaterThanOrEqual(7);
  });

  it("a stream that stalls ends with an origin_timeout event and the origin request is dropped", async () => {
    const before = await simStats();
    const { res, id } = await send(chat({ model: "test-timeouts", stream: true, sim: { fail: "stall_mid", cutAfter: 3 } }));
    expect(res.status).toBe(200);
    const events = parseSseEvents(await res.text()) as Array<{ error?: { code: string } }>;
    expect(events.at(-1)?.error?.code).toBe("origin_timeout");
    const log = await accessLog(id);
    expect(log).toMatchObject({ end: "origin_stalled" });
    expect(log.completion_tokens).toBeGreaterThanOrEqual(3);
    await originSettles();
    expect((await simStats()).cancelled).toBe(before.cancelled + 1);
  });

  it("a stream of malformed SSE is relayed as sent, then ended with an error event (no [DONE])", async () => {
    const { res, id } = await send(chat({ stream: true, sim: { fail: "malformed" } }));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("data: {not json");
    expect(text).not.toContain("[DONE]");
    const last = text.trimEnd().split("\n\n").at(-1)!;
    expect(JSON.parse(last.slice("data: ".length))).toMatchObject({ error: { code: "origin_stream_error", type: "server_error" } });
    expect(await accessLog(id)).toMatchObject({ end: "origin_error" });
  });

  it("a JSON body that stalls half-way is a clean 504, not a cut 200 or a hang", async () => {
    const { res, id } = await send(chat({ model: "test-timeouts", sim: { fail: "stall_mid" } }));
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { type: "server_error", code: "origin_timeout" } });
    expect(await accessLog(id)).toMatchObject({ status: 504, end: "origin_stalled", error_code: "origin_timeout" });
    await originSettles();
  });

  it("a JSON body of declared length that stalls half-way is a 504 within first_byte_ms, and the origin request is dropped", async () => {
    const before = await simStats();
    const { res, id } = await send(chat({ model: "test-timeouts", sim: { fail: "stall_declared" } }));
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { type: "server_error", code: "origin_timeout" } });
    expect(await accessLog(id)).toMatchObject({ status: 504, error_code: "origin_timeout" });
    await originSettles();
    expect((await simStats()).cancelled).toBe(before.cancelled + 1);
  });

  it("an invalid JSON body is relayed byte for byte (the router does not re-parse answers)", async () => {
    const { res, id } = await send(chat({ sim: { fail: "malformed" } }));
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^\{"id":"chatcmpl-sim-\d+","choices":\[\{not json$/);
    // No usage could be read: the log shows what is billed, the prompt estimate.
    const log = await accessLog(id);
    expect(log).toMatchObject({ end: "complete" });
    expect(log.prompt_tokens).toBeGreaterThan(0);
  });
});

describe("a slow client", () => {
  it("is not mistaken for a stalled origin: pauses longer than idle_ms still end in [DONE]", async () => {
    // test-timeouts has idle_ms 300; the origin sends briskly, the client dawdles between reads.
    const { res, id } = await send(chat({ model: "test-timeouts", stream: true, max_tokens: 2, sim: { itlMs: 5 } }));
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text += dec.decode(r.value);
      await sleep(400);
    }
    expect(text).not.toContain("origin_timeout");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(await accessLog(id)).toMatchObject({ end: "complete" });
  });
});

describe("the client going away", () => {
  it("before the origin answers: the origin request is cancelled", async () => {
    const before = await simStats();
    const abort = new AbortController();
    const pending = send(chat({ sim: { ttftMs: 2000 } }), abort.signal);
    await eventually(simStats, (s) => s.inFlight !== before.inFlight, 100, 10);
    abort.abort();
    await expect(pending).rejects.toThrow();
    await originSettles();
    expect((await simStats()).cancelled).toBe(before.cancelled + 1);
  });

  it("during the stream: the origin stops generating and the log says client_closed", async () => {
    const before = await simStats();
    const { res, id } = await send(chat({ stream: true, max_tokens: 1000, sim: { itlMs: 10 } }));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    await originSettles();
    const after = await simStats();
    expect(after.cancelled).toBe(before.cancelled + 1);
    expect(after.completionTokens - before.completionTokens).toBeLessThan(1000);
    expect(await accessLog(id)).toMatchObject({ end: "client_closed" });
  });

  it("after the stream: nothing is cancelled and the request counts as complete", async () => {
    const before = await simStats();
    const { res, id } = await send(chat({ stream: true, max_tokens: 5, stream_options: { include_usage: true } }));
    const reader = res.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read());
    await reader.cancel();
    await originSettles();
    const after = await simStats();
    expect(after.cancelled).toBe(before.cancelled);
    expect(after.completed).toBe(before.completed + 1);
    expect(await accessLog(id)).toMatchObject({ end: "complete", completion_tokens: 5 });
  });
});

describe("the catalog in KV going missing or corrupt", () => {
  /** Runs the isolate's catalog refresh as a request past the TTL would, and waits for it. */
  async function refreshPastTtl(): Promise<void> {
    const waits: Promise<unknown>[] = [];
    await getCatalog(env, fakeExecutionContext(waits), Date.now() + 10 * 60_000);
    await Promise.all(waits);
  }

  /** Straight to the router: `send` would write a fresh catalog and hide the corruption. */
  async function stillServes(): Promise<void> {
    const { key } = await seedKey();
    const res = await call("/v1/chat/completions", { method: "POST", key, json: chat({ max_tokens: 2 }) });
    expect(res.status).toBe(200);
    await res.text();
  }

  const bad: Array<[string, () => Promise<void>, string]> = [
    ["deleted", () => testEnv.KV.delete(CATALOG_KEY), "catalog_missing"],
    ["not JSON", () => testEnv.KV.put(CATALOG_KEY, "{not json"), "catalog_load_failed"],
    ["JSON but not a catalog", () => testEnv.KV.put(CATALOG_KEY, JSON.stringify({ version: 2, models: "x" })), "catalog_invalid"],
    ["a catalog with an invalid model", () => testEnv.KV.put(CATALOG_KEY, JSON.stringify({ ...testCatalog(), models: [{ id: "x" }] })), "catalog_invalid"],
  ];
  for (const [name, corrupt, event] of bad) {
    it(`${name}: the last good catalog keeps serving, and the failure is logged`, async () => {
      await stillServes(); // loads the good catalog into the isolate
      await corrupt();
      await refreshPastTtl();
      expect(logs.mock.calls.some(([l]) => typeof l === "string" && l.includes(`"event":"${event}"`))).toBe(true);
      await stillServes();
    });
  }

  it("with no good copy ever loaded, a 503 catalog_unavailable in our shape", async () => {
    const { key } = await seedKey();
    await testEnv.KV.delete(CATALOG_KEY);
    resetCatalogCache();
    const res = await call("/v1/chat/completions", { method: "POST", key, json: chat() });
    expect(res.headers.get("retry-after")).toBe("5");
    await expectError(res, 503, "catalog_unavailable");
  });
});
