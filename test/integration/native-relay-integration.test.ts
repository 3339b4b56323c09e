// The relay's native path (the client asked for usage, so the client's copy bypasses
// JavaScript) keeps every promise of the JS relay: every token the origin sent, an explicit
// error event on a cut or a stall, the origin dropped when the client leaves.

import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance } from "vitest";
import { parseSseEvents } from "../../sim/origin.ts";
import { call, isolatedModel, seedCatalog, seedKey, simStats } from "./helpers.ts";
import { chatBody } from "../support/chat-body.ts";
import { eventually } from "../support/eventually.ts";
import { expectLogs } from "../support/expected-logs.ts";

let logs: MockInstance<(...args: unknown[]) => void>;
beforeAll(() => {
  logs = expectLogs([]).spy;
});
afterAll(() => logs.mockRestore());
beforeEach(() => seedCatalog());

const usage = { stream: true, stream_options: { include_usage: true } };

async function accessLog(requestId: string): Promise<Record<string, unknown>> {
  const find = async () => logs.mock.calls.map(([line]) => line).find((l) => typeof l === "string" && l.includes('"event":"request"') && l.includes(`"request_id":"${requestId}"`));
  const line = await eventually(find, (l) => l !== undefined);
  if (typeof line !== "string") throw new Error(`no access log for ${requestId}`);
  return JSON.parse(line) as Record<string, unknown>;
}

async function send(json: Record<string, unknown>): Promise<{ res: Response; id: string }> {
  const { key } = await seedKey();
  const id = `native-${crypto.randomUUID()}`;
  const model = await isolatedModel(typeof json.model === "string" ? json.model : "test-chat");
  const res = await call("/v1/chat/completions", { method: "POST", key, json: chatBody({ max_tokens: 50, ...json, model }), headers: { "x-request-id": id } });
  return { res, id };
}

type Event = { choices?: Array<{ delta?: { content?: string } }>; usage?: { completion_tokens: number } | null; error?: { code: string } };

describe("the native relay (stream_options.include_usage: true)", () => {
  it("relays the whole stream with the usage chunk, and meters the origin's usage", async () => {
    const before = await simStats();
    const { res, id } = await send({ ...usage, max_tokens: 9 });
    const text = await res.text();
    const events = parseSseEvents(text) as Event[];
    expect(events.filter((e) => e.choices?.[0]?.delta?.content).length).toBe(9);
    expect(events.find((e) => e.usage)?.usage?.completion_tokens).toBe(9);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect((await simStats()).completionTokens - before.completionTokens).toBe(9);
    expect(await accessLog(id)).toMatchObject({ end: "complete", completion_tokens: 9 });
  });

  it("a cut stream: every token sent, then an error event", async () => {
    const before = await simStats();
    const { res, id } = await send({ ...usage, sim: { fail: "cut", cutAfter: 7 } });
    const events = parseSseEvents(await res.text()) as Event[];
    const tokens = events.filter((e) => e.choices?.[0]?.delta?.content).length;
    expect(tokens).toBe(7);
    expect(tokens).toBe((await simStats()).completionTokens - before.completionTokens);
    expect(events.at(-1)?.error?.code).toBe("origin_stream_error");
    expect(await accessLog(id)).toMatchObject({ status: 200, end: "origin_error" });
  });

  it("a stalled stream: an origin_timeout event, and the origin request dropped", async () => {
    const before = await simStats();
    const { res, id } = await send({ ...usage, model: "test-timeouts", sim: { fail: "stall_mid", cutAfter: 3 } });
    const events = parseSseEvents(await res.text()) as Event[];
    expect(events.at(-1)?.error?.code).toBe("origin_timeout");
    expect(await accessLog(id)).toMatchObject({ end: "origin_stalled" });
    expect((await eventually(simStats, (s) => s.inFlight === 0)).cancelled).toBe(before.cancelled + 1);
  });

  it("a client that leaves mid-stream cancels the origin", async () => {
    const before = await simStats();
    const { res, id } = await send({ ...usage, max_tokens: 4000, sim: { tokens: 4000, itlMs: 5 } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect((await eventually(simStats, (s) => s.inFlight === 0)).cancelled).toBe(before.cancelled + 1);
    expect(await accessLog(id)).toMatchObject({ end: "client_closed" });
  });

  it("a slow client is not mistaken for a stalled origin: pauses longer than idle_ms still end in [DONE]", async () => {
    // test-timeouts has idle_ms 300; the origin sends briskly, the client dawdles between reads,
    // so the client's copy holds the tee back while the accounting copy waits.
    const { res, id } = await send({ ...usage, model: "test-timeouts", max_tokens: 6, sim: { itlMs: 5 } });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text += dec.decode(r.value);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect(text).not.toContain("origin_timeout");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(await accessLog(id)).toMatchObject({ end: "complete", completion_tokens: 6 });
  });

  it("a client that stops reading for longer than idle_ms while the origin sends a lot is not a stall", async () => {
    // Far more than any buffer between the tee and the client holds: the client's copy
    // stops the tee, so the accounting copy sees nothing for a whole second.
    const { res, id } = await send({ ...usage, model: "test-timeouts", max_tokens: 3000, sim: { tokens: 3000 } });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = dec.decode((await reader.read()).value);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += dec.decode(r.value);
    expect(text).not.toContain("origin_timeout");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(await accessLog(id)).toMatchObject({ end: "complete", completion_tokens: 3000 });
  });
});
