import { beforeAll, describe, expect, it } from "vitest";
import { parseSseEvents } from "../../sim/protocol.ts";
import { call, expectError, seedCatalog, seedKey, simStats } from "./helpers.ts";
import { chatBody } from "../support/chat-body.ts";
import { eventually } from "../support/eventually.ts";

beforeAll(() => seedCatalog());

const chat = (extra: Record<string, unknown> = {}) => chatBody({ content: "hello there", ...extra });

describe("POST /v1/chat/completions", () => {
  it("forwards a non-stream completion and returns the origin's answer", async () => {
    const { key } = await seedKey();
    const res = await call("/v1/chat/completions", { method: "POST", key, json: chat({ max_tokens: 5 }) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("x-origin-region")).toBe("eu-central");
    const body = (await res.json()) as { object: string; choices: Array<{ message: { content: string } }>; usage: { completion_tokens: number } };
    expect(body.object).toBe("chat.completion");
    expect(body.usage.completion_tokens).toBe(5);
    expect(body.choices[0]!.message.content.trim().split(/\s+/)).toHaveLength(5);
  });

  it("streams deltas and strips the usage chunk the client did not ask for", async () => {
    const { key } = await seedKey();
    const res = await call("/v1/chat/completions", { method: "POST", key, json: chat({ stream: true, max_tokens: 4 }) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const events = parseSseEvents(text) as Array<{ choices: unknown[]; usage?: unknown }>;
    expect(events.every((e) => e.choices.length > 0)).toBe(true);
    expect(events.filter((e) => e.usage)).toHaveLength(0);
  });

  it("keeps the usage chunk when the client asked for it", async () => {
    const { key } = await seedKey();
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key,
      json: chat({ stream: true, max_tokens: 3, stream_options: { include_usage: true } }),
    });
    const events = parseSseEvents(await res.text()) as Array<{ choices: unknown[]; usage?: { completion_tokens: number } | null }>;
    const last = events.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage?.completion_tokens).toBe(3);
  });

  it("passes unknown fields through to the origin", async () => {
    const { key } = await seedKey();
    // The simulated origin reads the pass-through field `sim` to pick its behaviour: only an
    // origin that received it answers with its own failure, or with exactly 2 tokens (not 16).
    const res = await call("/v1/chat/completions", { method: "POST", key, json: chat({ sim: { fail: "status", status: 400 } }) });
    expect((await expectError(res, 400)).message).toBe("simulated upstream failure (400)");
    const shaped = await call("/v1/chat/completions", { method: "POST", key, json: chat({ sim: { tokens: 2 } }) });
    expect(((await shaped.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(2);
  });

  it("gives a 503 in our shape, with Retry-After, when the origin refuses connections", async () => {
    const { key } = await seedKey();
    const res = await call("/v1/chat/completions", { method: "POST", key, json: chat({ model: "test-dead-origin" }) });
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    const err = await expectError(res, 503, "origin_unreachable");
    expect(err.message).not.toContain("127.0.0.1");
  });

  it("ends a stream cut by the origin with an explicit error event", async () => {
    const { key } = await seedKey();
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key,
      json: chat({ stream: true, max_tokens: 10, sim: { fail: "cut", cutAfter: 2 } }),
    });
    expect(res.status).toBe(200);
    const events = parseSseEvents(await res.text()) as Array<{ error?: { code: string } }>;
    expect(events.at(-1)?.error?.code).toBe("origin_stream_error");
  });

  it("cancels the origin request when the client disconnects mid-stream", async () => {
    const { key } = await seedKey();
    const before = await simStats();
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key,
      json: chat({ stream: true, max_tokens: 1000, sim: { itlMs: 20 } }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    const after = await eventually(simStats, (s) => s.cancelled !== before.cancelled, 50);
    expect(after.cancelled).toBe(before.cancelled + 1);
  });
});
