import { beforeAll, describe, expect, it } from "vitest";
import type { SimStats } from "../../sim/origin.ts";
import { call, seedKey } from "./helpers.ts";
import { ledger, limitsCatalog, METER } from "./limits-fixtures.ts";
import { chatBody } from "../support/chat-body.ts";
import { eventually } from "../support/eventually.ts";

beforeAll(() => limitsCatalog());

const stats = async (): Promise<SimStats> => (await fetch(`${METER()}/_sim/stats`)).json();

/** The origin hears about a closed socket a moment after the client closes it. */
const settledStats = (): Promise<SimStats> => eventually(stats, (s) => s.inFlight === 0, 200, 10);

const chat = (extra: Record<string, unknown> = {}) =>
  chatBody({ model: "meter-chat", messages: [{ role: "system", content: "count for me" }, { role: "user", content: "please count slowly from one to a hundred" }], ...extra });

async function consume(res: Response, chunks = Infinity): Promise<void> {
  const reader = res.body!.getReader();
  for (let i = 0; i < chunks; i++) {
    const { done } = await reader.read();
    if (done) return;
  }
  await reader.cancel();
}

describe("usage totals equal what the origin generated", () => {
  it("for non-stream, stream, cut, disconnected and embedding requests of one project", async () => {
    await settledStats();
    const before = await stats();
    const a = await seedKey();
    const b = await seedKey({ project_id: a.record.project_id, key_id: "key_meter_b" });
    const send = (key: string, path: string, json: unknown) => call(path, { method: "POST", key, json });
    let requests = 0;
    const run = async (key: string, json: unknown, chunks = Infinity, path = "/v1/chat/completions"): Promise<void> => {
      requests++;
      const res = await send(key, path, json);
      expect(res.status).toBe(200);
      await consume(res, chunks);
    };

    await run(a.key, chat({ max_tokens: 7 }));
    await run(b.key, chat({ n: 2, sim: { tokens: 11 } }));
    await run(a.key, chat({ stream: true, sim: { tokens: 9 } }));
    await run(b.key, chat({ stream: true, stream_options: { include_usage: true }, max_tokens: 13 }));
    // The origin cuts the stream after 3 tokens: no usage chunk, the deltas are counted.
    await run(a.key, chat({ stream: true, sim: { tokens: 50, fail: "cut", cutAfter: 3 } }));
    // The client leaves after a few chunks; the origin is cancelled mid-generation.
    await run(b.key, chat({ stream: true, sim: { tokens: 1000, itlMs: 300 } }), 4);
    await run(a.key, chat({ stream: true, n: 2, sim: { tokens: 1000, itlMs: 300 } }), 5);
    await run(a.key, { model: "meter-chat", prompt: ["one two three", "four"], stream: true, sim: { tokens: 5 } }, Infinity, "/v1/completions");
    await run(b.key, { model: "meter-embed", input: ["an embedding input", "another one"] }, Infinity, "/v1/embeddings");

    const after = await settledStats();
    const chatRows = await ledger(a.record.project_id, "meter-chat", requests - 1);
    const embedRows = await ledger(a.record.project_id, "meter-embed", 1);
    const rows = [...chatRows, ...embedRows];
    const sum = (f: (r: (typeof rows)[number]) => number): number => rows.reduce((n, r) => n + f(r), 0);
    expect(after.requests - before.requests).toBe(requests);
    expect(after.cancelled - before.cancelled).toBe(2);
    // 7 + 22 + 9 + 13 + 3 + at least 2 + 2 x 2 + 2 x 5: the disconnected ones add what they got to.
    expect(after.completionTokens - before.completionTokens).toBeGreaterThanOrEqual(7 + 22 + 9 + 13 + 3 + 2 + 4 + 10);
    expect(sum((r) => r.requests)).toBe(requests);
    expect(sum((r) => r.promptTokens)).toBe(after.promptTokens - before.promptTokens);
    expect(sum((r) => r.completionTokens)).toBe(after.completionTokens - before.completionTokens);
    // Both keys of the project appear, each with its own rows.
    expect(new Set(rows.map((r) => r.keyId))).toEqual(new Set([a.record.key_id, "key_meter_b"]));
  });
});

describe("a client that leaves before a non-stream answer", () => {
  it("is billed the prompt the origin read, and nothing more", async () => {
    await settledStats();
    const before = await stats();
    const { key, record } = await seedKey();
    const abort = new AbortController();
    const pending = call("/v1/chat/completions", { method: "POST", key, json: chat({ max_tokens: 50, sim: { itlMs: 100 } }), signal: abort.signal });
    // The origin has the request (its prompt counted) and is generating.
    await eventually(stats, (s) => s.inFlight !== before.inFlight, 200, 10);
    abort.abort();
    await pending.then((r) => r.text()).catch(() => {});
    const after = await settledStats();
    expect(after.cancelled - before.cancelled).toBe(1);
    const rows = await ledger(record.project_id, "meter-chat", 1);
    expect(rows.map((r) => [r.requests, r.promptTokens, r.completionTokens])).toEqual([[1, after.promptTokens - before.promptTokens, 0]]);
    expect(after.completionTokens - before.completionTokens).toBe(0);
  });
});
