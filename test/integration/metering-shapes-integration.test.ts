import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { chatPromptTokens } from "../../sim/origin.ts";
import type { UsageShape } from "../../sim/protocol.ts";
import type { SettleBatch } from "../../src/quota/settle-sum.ts";
import { ADMIN_TOKEN, call, model, seedCatalog, seedKey, testCatalog } from "./helpers.ts";
import { app } from "./limits-fixtures.ts";

// What the origin reports is what is booked and what the TPM limit is settled with, in the
// usage shapes real servers send (details objects, usage before the choices), and a stream's
// garbled events are not billed as tokens.
const MODEL = "shapes-chat";
beforeAll(async () => {
  const catalog = testCatalog();
  catalog.models.push(model(MODEL, { limits: { rpm: 10_000, tpm: 100_000_000 } }));
  await seedCatalog(catalog);
});

const MESSAGES = [{ role: "user", content: "count the tokens of this answer exactly" }];
const PROMPT = chatPromptTokens(MESSAGES);

/** One request through the Worker, with the limiter's grant and settle calls watched. */
async function serve(body: Record<string, unknown>) {
  const { key, record } = await seedKey();
  const grants: number[] = [];
  const nets: number[] = [];
  const watched = {
    idFromName: (name: string) => env.LIMITERS.idFromName(name),
    get: (id: DurableObjectId) => {
      const real = env.LIMITERS.get(id);
      return {
        acquire: async (input: Parameters<typeof real.acquire>[0]) => {
          const d = await real.acquire(input);
          if (d.kind === "granted") grants.push(d.granted.tokens);
          return d;
        },
        settleBatch: (batch: SettleBatch) => {
          nets.push(batch.net.tokens);
          return real.settleBatch(batch);
        },
        peek: (l: Parameters<typeof real.peek>[0]) => real.peek(l),
        usage: (r: Parameters<typeof real.usage>[0]) => real.usage(r),
      };
    },
  };
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request("https://router.test/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 2000, ...body }),
    }),
    { ...env, LIMITERS: watched } as unknown as Env,
    ctx,
  );
  expect(res.status).toBe(200);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  // One request in a fresh project: one grant and one settle, so used = granted - net.
  expect(grants).toHaveLength(1);
  expect(nets).toHaveLength(1);
  return { text, project: record.project_id, tpmUsed: grants[0]! - nets[0]! };
}

/** The project's booked usage, as the usage API reports it. */
async function booked(project: string): Promise<{ input: number; output: number; requests: number }> {
  const start = Math.floor(Date.now() / 86_400_000) * 86_400;
  const res = await call(`/v1/organization/usage/completions?project_id=${project}&start_time=${start}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  const page = (await res.json()) as { data: Array<{ results: Array<{ input_tokens: number; output_tokens: number; num_model_requests: number }> }> };
  const results = page.data.flatMap((b) => b.results);
  return {
    input: results.reduce((n, r) => n + r.input_tokens, 0),
    output: results.reduce((n, r) => n + r.output_tokens, 0),
    requests: results.reduce((n, r) => n + r.num_model_requests, 0),
  };
}

describe("the origin's own usage is booked and settled", () => {
  it.each<[UsageShape, boolean, number]>([
    ["openai", false, 9],
    ["vllm", false, 9],
    // Enough tokens that the choices run far past the usage object placed before them.
    ["first", false, 1500],
    ["openai", true, 9],
    ["vllm", true, 9],
  ])("with usage shaped as %s (stream: %s), %i completion tokens", async (usageShape, stream, tokens) => {
    const { text, project, tpmUsed } = await serve({ stream, sim: { tokens, usageShape } });
    if (!stream) expect(text.indexOf('"usage"')).toBeLessThan(usageShape === "first" ? 10 : text.length);
    expect(await booked(project)).toEqual({ input: PROMPT, output: tokens, requests: 1 });
    // TPM units: prompt + 5 x completion.
    expect(tpmUsed).toBe(PROMPT + 5 * tokens);
  });
});

describe("a stream's events that are not JSON", () => {
  it("are not billed as completion tokens", async () => {
    // The origin sends two tokens, then `data: {not json` twice, and ends without [DONE].
    const { text, project, tpmUsed } = await serve({ stream: true, sim: { tokens: 10, fail: "malformed" } });
    expect(text.match(/"content":" t\d"/g)).toHaveLength(2);
    const b = await booked(project);
    expect(b.output).toBe(2);
    expect(b.requests).toBe(1);
    expect(tpmUsed).toBe(b.input + 5 * 2);
  });
});
