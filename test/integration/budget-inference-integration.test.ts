import { beforeAll, describe, expect, it } from "vitest";
import { resetBudgetCache } from "../../src/budget/admission.ts";
import { ADMIN_TOKEN, call, createApiKey, createProject, expectError, model, seedCatalog, testCatalog } from "./helpers.ts";

// Two chat models with their own prices and a small context, so a worst case is small too.
const A = "budget-a";
const B = "budget-b";
/** One request per ten seconds: shows whether a refused request took one. */
const SLOW = "budget-slow";

beforeAll(async () => {
  const catalog = testCatalog();
  catalog.models.push(
    model(A, { context_length: 400 }),
    model(SLOW, { context_length: 400, limits: { rpm: 6, tpm: 1_000_000 } }),
    model(B, { context_length: 400, pricing: { input_per_million: 3, output_per_million: 5, currency: "EUR" } }),
  );
  await seedCatalog(catalog);
});

const put = (path: string, json: unknown) => call(path, { method: "PUT", key: ADMIN_TOKEN, json });
const chat = (m: string, extra: Record<string, unknown> = {}) => ({ model: m, messages: [{ role: "user", content: "hello budget" }], ...extra });
const infer = (key: string, m: string, extra: Record<string, unknown> = {}) => call("/v1/chat/completions", { method: "POST", key, json: chat(m, extra) });

interface BudgetBody {
  limit: number | null;
  spent: number;
  held: number;
  remaining: number | null;
  api_keys: Array<{ api_key_id: string; spent: number; held: number }>;
}

/** The usage API's amount for the project this month, all models and keys. */
async function usageAmount(projectId: string): Promise<number> {
  const start = Math.floor(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1) / 1000);
  const page = (await (await call(`/v1/organization/usage/completions?project_id=${projectId}&start_time=${start}&bucket_width=1d&limit=31`, { key: ADMIN_TOKEN })).json()) as {
    data: Array<{ results: Array<{ amount: { value: number } }> }>;
  };
  return page.data.flatMap((b) => b.results).reduce((a, r) => Math.round((a + r.amount.value) * 1e6) / 1e6, 0);
}

/**
 * The budget once every settle has landed (they run after the responses, in waitUntil):
 * no request's own hold is left, and the spend is what the usage API bills. Requests
 * served from an edge lease hold inside it, so the two sides agreeing is the only sign.
 */
async function settled(projectId: string): Promise<BudgetBody & { usage: number }> {
  let last: unknown;
  for (let i = 0; i < 200; i++) {
    const b = (await (await call(`/v1/organization/projects/${projectId}/budget`, { key: ADMIN_TOKEN })).json()) as BudgetBody;
    const usage = await usageAmount(projectId);
    if (b.held === 0 && b.api_keys.every((k) => k.held === 0) && b.spent === usage) return { ...b, usage };
    last = { ...b, usage };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`budget and usage never agreed: ${JSON.stringify(last)}`);
}

async function project(amount: number) {
  const p = await createProject();
  const k1 = await createApiKey(p.id);
  const k2 = await createApiKey(p.id);
  expect((await put(`/v1/organization/projects/${p.id}/budget`, { amount })).status).toBe(200);
  resetBudgetCache();
  return { p, k1, k2 };
}

describe("budget enforcement", () => {
  it("refuses with 429 insufficient_quota and x-should-retry: false, names the budget, and costs nothing", async () => {
    const { p, k1 } = await project(0.001);
    for (let i = 0; i < 4; i++) {
      const res = await infer(k1.value, SLOW);
      expect(res.headers.get("x-should-retry")).toBe("false");
      expect(res.headers.get("x-budget-limit")).toBe("0.001");
      expect(res.headers.get("x-budget-remaining")).toBe("0.001");
      expect(res.headers.get("x-budget-reset")).toMatch(/^\d{4}-\d\d-01T00:00:00Z$/);
      expect(res.headers.get("x-budget-scope")).toBe("project");
      const err = await expectError(res, 429, "insufficient_quota");
      expect(err.type).toBe("insufficient_quota");
      expect(err.message).toMatch(/^This request could cost up to 0\.001201 EUR, more than is left of the project's monthly budget: 0 EUR of 0\.001 EUR spent in \d{4}-\d\d\. The budget resets at /);
    }
    // Refused requests took nothing: neither the budget, nor the model's 3 requests a minute.
    expect(await settled(p.id)).toMatchObject({ spent: 0, held: 0 });
    expect((await put(`/v1/organization/projects/${p.id}/budget`, { amount: 10 })).status).toBe(200);
    resetBudgetCache();
    // The model allows one request per ten seconds: had a refusal taken it, this would be 429.
    expect((await infer(k1.value, SLOW)).status).toBe(200);
    const after = await settled(p.id);
    expect(after.spent).toBeGreaterThan(0);
    expect(after.spent).toBe(after.usage);
  });

  it("holds a project and a key budget across models and keys, and its spend is the usage API's amount", async () => {
    const { p, k1, k2 } = await project(0.02);
    // Key 1 may spend 0.004. A request costs 0.000605 on A and 0.001515 on B, and could cost
    // up to 0.001201 and 0.003201: once B's worst case no longer fits, only A's does.
    expect((await put(`/v1/organization/projects/${p.id}/api_keys/${k1.id}/budget`, { amount: 0.004 })).status).toBe(200);
    resetBudgetCache();
    let ok = 0;
    for (let i = 0; i < 6; i++) {
      const res = await infer(k1.value, i % 2 === 0 ? A : B, { sim: { tokens: 300 } });
      if (res.status === 200) (ok++, await res.text());
      else {
        expect(res.headers.get("x-budget-scope")).toBe("key");
        expect((await expectError(res, 429, "insufficient_quota")).message).toContain("this API key's monthly budget");
      }
      await settled(p.id);
    }
    expect(ok).toBe(4);
    // Key 2 has no budget of its own: the project's binds it, across both models.
    let refused = 0;
    for (let i = 0; i < 40 && refused === 0; i++) {
      const res = await infer(k2.value, i % 2 === 0 ? A : B, { sim: { tokens: 300 } });
      if (res.status === 429) {
        refused++;
        expect(res.headers.get("x-budget-scope")).toBe("project");
        await expectError(res, 429, "insufficient_quota");
      } else await res.text();
      await settled(p.id);
    }
    expect(refused).toBe(1);
    const b = await settled(p.id);
    expect(b.spent).toBeLessThanOrEqual(0.02);
    expect(b.api_keys.find((k) => k.api_key_id === k1.id)!.spent).toBeLessThanOrEqual(0.004);
    expect(b.spent).toBe(b.usage);
  });

  it("50 concurrent requests against a nearly spent budget end at or under it", async () => {
    // 0.005 to spend; each request really costs 0.000785 (390 tokens out, half again what an
    // estimate of 256 would reserve, so estimates would admit about eight: 0.00628) and could
    // cost up to 0.001201.
    const { p, k1, k2 } = await project(0.005);
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await infer(i % 2 === 0 ? k1.value : k2.value, A, { stream: i % 3 === 0, sim: { tokens: 390, ttftMs: 100 } });
        await res.text();
        return res.status;
      }),
    );
    const b = await settled(p.id);
    expect(results.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(results.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(results.every((s) => s === 200 || s === 429)).toBe(true);
    expect(b.spent).toBeLessThanOrEqual(0.005);
    expect(b.spent).toBe(b.usage);
  });
});
