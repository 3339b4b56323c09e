// The Worker as `npm run deploy` uploads it (wrangler's bundle, then terser) is not the code
// the other tests run: vitest bundles the source itself. So the deployed artifact gets its
// own run here, in workerd beside the shared simulated origin, through the official client:
// every path that bills (a JSON answer read whole, both stream relays, embeddings) answers
// and lands in the usage API. Served as the bench serves it (bench/targets.ts).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BENCH_KEY, BENCH_MODEL, routerWorker, seedRouter, startWorkerd, type MiniflareInstance } from "../../bench/targets.ts";
import { DEMO_PROJECT_ID } from "../../scripts/demo-project.ts";
import { buildWorker } from "../../scripts/build-worker.ts";

const dir = mkdtempSync(join(tmpdir(), "deploy-bundle-"));
let mf: MiniflareInstance | undefined;
let router = "";
let client: OpenAI;

beforeAll(async () => {
  const file = await buildWorker(join(dir, "worker"));
  ({ mf } = await startWorkerd([routerWorker(file)]));
  // With a monthly budget, so the budget object's lease is on the path too.
  router = await seedRouter(mf, "router", inject("simUrl"), 1000);
  client = new OpenAI({ apiKey: BENCH_KEY, baseURL: `${router}/v1`, maxRetries: 0 });
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function streamed(includeUsage: boolean): Promise<{ text: string; usage: OpenAI.CompletionUsage | null }> {
  const stream = await client.chat.completions.create({
    model: BENCH_MODEL,
    messages: [{ role: "user", content: "Count." }],
    max_tokens: 7,
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });
  let text = "";
  let usage: OpenAI.CompletionUsage | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? "";
    usage = chunk.usage ?? usage;
  }
  return { text, usage };
}

/** The project's usage today, as the usage API reads the ledger (embeddings included), once `ok` holds or after ~10 s. */
async function booked(ok: (u: { requests: number; output: number }) => boolean): Promise<{ requests: number; output: number }> {
  const start = Math.floor(Date.now() / 86_400_000) * 86_400;
  // The admin token bench/targets.ts gave this router (it sets ADMIN_TOKEN when unset).
  const headers = { authorization: `Bearer ${process.env.ADMIN_TOKEN}` };
  let u = { requests: 0, output: 0 };
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${router}/v1/organization/usage/completions?project_id=${DEMO_PROJECT_ID}&start_time=${start}`, { headers });
    const results = ((await res.json()) as { data: Array<{ results: Array<{ num_model_requests: number; output_tokens: number }> }> }).data.flatMap((b) => b.results);
    u = { requests: results.reduce((n, r) => n + r.num_model_requests, 0), output: results.reduce((n, r) => n + r.output_tokens, 0) };
    if (ok(u)) break;
    // Settling is batched: what was answered is booked a moment later.
    await new Promise((r) => setTimeout(r, 200));
  }
  return u;
}

describe("the Worker as npm run deploy builds it", () => {
  it("answers a chat read whole, both stream relays and embeddings, under a budget, and bills each", async () => {
    // Seeding the budget sent one request: what this test sends comes on top.
    const before = await booked((u) => u.requests >= 1);
    const { data: chat, response } = await client.chat.completions.create({ model: BENCH_MODEL, messages: [{ role: "user", content: "Say something." }], max_tokens: 5 }).withResponse();
    expect(response.headers.get("x-budget-limit")).toBe("1000");
    expect(chat.choices[0]?.message.content?.trim().split(/\s+/)).toHaveLength(5);
    expect(chat.usage?.completion_tokens).toBe(5);

    // With include_usage: the native relay, whose usage chunk the client gets as sent.
    const native = await streamed(true);
    expect(native.text.trim().split(/\s+/)).toHaveLength(7);
    expect(native.usage?.completion_tokens).toBe(7);
    // Without: the JS relay, which strips the usage chunk the client did not ask for.
    const js = await streamed(false);
    expect(js.text.trim().split(/\s+/)).toHaveLength(7);
    expect(js.usage).toBeNull();

    const emb = await client.embeddings.create({ model: "e5-mistral-7b-instruct", input: ["one", "two"] });
    expect(emb.data).toHaveLength(2);

    // Every answer was metered: four requests, 5 + 7 + 7 completion tokens (embeddings have none).
    const after = await booked((u) => u.requests >= before.requests + 4);
    expect({ requests: after.requests - before.requests, output: after.output - before.output }).toEqual({ requests: 4, output: 5 + 7 + 7 });
  });
});
