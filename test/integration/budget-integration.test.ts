import { env } from "cloudflare:workers";
import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createApiKey, createProject, expectError, seedCatalog } from "./helpers.ts";
import type { SettleBatchInput } from "../../src/budget/types.ts";
import { sumEntries } from "../../src/budget/settle-sum.ts";

const receiver = (): string => (env as unknown as { WEBHOOK_RECEIVER_URL: string }).WEBHOOK_RECEIVER_URL;
const budgets = (env as unknown as Env).BUDGETS;
const PRICE = { input_per_million: 1, output_per_million: 2, currency: "EUR" };

beforeAll(() => seedCatalog());

const put = (path: string, json: unknown, key = ADMIN_TOKEN) => call(path, { method: "PUT", key, json });

/** Books usage straight at the project's BudgetObject, as a settle from the edge would. */
async function spend(projectId: string, keyId: string, promptTokens: number): Promise<void> {
  const entry = { keyId, model: "test-chat", hour: Math.floor(Date.now() / 3_600_000) * 3_600_000, usage: { prompt_tokens: promptTokens, completion_tokens: 0 }, pricing: PRICE, hold: { kind: "own" as const, id: `none_${crypto.randomUUID()}` } };
  const input: SettleBatchInput = { id: crypto.randomUUID(), projectId, ...sumEntries([entry]), returned: [] };
  await budgets.get(budgets.idFromName(projectId)).settleBatch(input);
}

async function deliveries(path: string, atLeast: number): Promise<Array<{ headers: Record<string, string>; body: string; status: number }>> {
  for (let i = 0; i < 200; i++) {
    const list = (await (await fetch(`${receiver()}/_deliveries${path}`)).json()) as Array<{ headers: Record<string, string>; body: string; status: number }>;
    if (list.length >= atLeast) return list;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fewer than ${atLeast} deliveries to ${path}`);
}

describe("budget management", () => {
  it("the admin sets the project's budget, a keys key its keys' (never above it); each change is audited", async () => {
    const p = await createProject();
    // The manager holds every scope of the key it budgets (the permission rule).
    const keysKey = await createApiKey(p.id, { scopes: ["keys", "inference"] });
    const narrow = await createApiKey(p.id, { scopes: ["keys"] });
    const other = await createApiKey(p.id);
    const base = `/v1/organization/projects/${p.id}`;

    await expectError(await put(`${base}/budget`, { amount: 10 }, keysKey.value), 403, "admin_only");
    await expectError(await put(`${base}/api_keys/${other.id}/budget`, { amount: 1 }, narrow.value), 403, "api_key_not_allowed");
    const set = await put(`${base}/budget`, { amount: 10, thresholds: [80] });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ object: "organization.project.budget", project_id: p.id, currency: "EUR", limit: 10, spent: 0, remaining: 10, thresholds: [80] });

    await expectError(await put(`${base}/api_keys/${other.id}/budget`, { amount: 10.5 }, keysKey.value), 400, "budget_above_project");
    const keyBudget = await put(`${base}/api_keys/${other.id}/budget`, { amount: 2.5 }, keysKey.value);
    expect(await keyBudget.json()).toMatchObject({ object: "organization.project.api_key.budget", api_key_id: other.id, limit: 2.5, spent: 0, remaining: 2.5 });
    await expectError(await put(`${base}/api_keys/key_nope/budget`, { amount: 1 }), 404, "api_key_not_found");
    await expectError(await put(`${base}/budget`, { amount: -1 }), 400);

    await spend(p.id, other.id, 1_250_000);
    const read = (await (await call(`${base}/budget`, { key: keysKey.value })).json()) as Record<string, unknown>;
    expect(read).toMatchObject({ limit: 10, spent: 1.25, remaining: 8.75, api_keys: [{ api_key_id: other.id, limit: 2.5, spent: 1.25, remaining: 1.25 }] });
    // The project and key objects show the same figures.
    expect(await (await call(base, { key: keysKey.value })).json()).toMatchObject({ id: p.id, budget: { limit: 10, spent: 1.25, remaining: 8.75, currency: "EUR" } });
    expect(await (await call(`${base}/api_keys/${other.id}`, { key: keysKey.value })).json()).toMatchObject({ id: other.id, budget: { limit: 2.5, spent: 1.25, remaining: 1.25 } });
    expect(await (await call(`${base}/api_keys/${keysKey.id}`, { key: keysKey.value })).json()).toMatchObject({ id: keysKey.id, budget: null });

    expect((await call(`${base}/api_keys/${other.id}/budget`, { method: "DELETE", key: keysKey.value })).status).toBe(200);
    const log = (await (await call(`${base}/audit_logs?event_types[]=budget.updated&event_types[]=budget.deleted`, { key: ADMIN_TOKEN })).json()) as { data: Array<{ type: string; actor: unknown }> };
    expect(log.data.map((e) => e.type)).toEqual(["budget.deleted", "budget.updated", "budget.updated"]);
    expect(log.data[0]!.actor).toEqual({ type: "api_key", api_key: { id: keysKey.id } });
  });

  it("another project's budget looks like it does not exist", async () => {
    const a = await createProject();
    const b = await createProject();
    const keysKey = await createApiKey(a.id, { scopes: ["keys"] });
    await expectError(await call(`/v1/organization/projects/${b.id}/budget`, { key: keysKey.value }), 404, "project_not_found");
  });
});

describe("budget alerts", () => {
  async function withWebhook(path: string, thresholds: number[]) {
    const p = await createProject();
    const k = await createApiKey(p.id);
    const base = `/v1/organization/projects/${p.id}`;
    const hook = await call(`${base}/budget/webhook`, { method: "POST", key: ADMIN_TOKEN, json: { url: `${receiver()}${path}` } });
    const created = (await hook.json()) as { secret: string; url: string };
    expect(created.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    // Shown once: reading the webhook never shows the secret again.
    expect(await (await call(`${base}/budget/webhook`, { key: ADMIN_TOKEN })).json()).not.toHaveProperty("secret");
    expect((await put(`${base}/budget`, { amount: 1, thresholds })).status).toBe(200);
    return { p, k, base, secret: created.secret };
  }

  const verify = (secret: string, d: { headers: Record<string, string>; body: string }): boolean =>
    d.headers["x-budget-signature"] === `sha256=${createHmac("sha256", secret).update(d.body).digest("hex")}`;

  it("each threshold fires once a month: an audit entry and one signed delivery", async () => {
    const path = `/ok-${crypto.randomUUID()}`;
    const { p, k, base, secret } = await withWebhook(path, [50, 80, 100]);
    await spend(p.id, k.id, 400_000);
    await spend(p.id, k.id, 200_000); // 60 %: 50 fires
    await spend(p.id, k.id, 100_000); // 70 %: nothing new
    await spend(p.id, k.id, 500_000); // 120 %: 80 and 100 fire together
    await spend(p.id, k.id, 10_000);
    const list = await deliveries(path, 3);
    await new Promise((r) => setTimeout(r, 1500));
    const all = await deliveries(path, 3);
    expect(all).toHaveLength(3);
    const bodies = list.map((d) => JSON.parse(d.body) as { threshold_percent: number; id: string; project_id: string; spent: { value: number } });
    expect(bodies.map((b) => b.threshold_percent).sort((a, b) => a - b)).toEqual([50, 80, 100]);
    for (const d of list) {
      expect(verify(secret, d)).toBe(true);
      expect(d.headers["x-budget-alert-id"]).toBe(JSON.parse(d.body).id);
    }
    expect(bodies.find((b) => b.threshold_percent === 50)).toMatchObject({ project_id: p.id, spent: { value: 0.6 } });
    const log = (await (await call(`${base}/audit_logs?event_types[]=budget.threshold_reached`, { key: ADMIN_TOKEN })).json()) as { data: Array<{ actor: unknown }> };
    expect(log.data).toHaveLength(3);
    expect(log.data[0]!.actor).toEqual({ type: "system" });
    // A changed limit is a new budget: 1.21 of 2 is past 50 % again, and it fires at once.
    expect((await put(`${base}/budget`, { amount: 2, thresholds: [50, 80, 100] })).status).toBe(200);
    const again = (await deliveries(path, 4)).map((d) => JSON.parse(d.body) as { threshold_percent: number; limit: { value: number } });
    expect(again.slice(3)).toMatchObject([{ threshold_percent: 50, limit: { value: 2 } }]);
  });

  it("a delivery the receiver refuses is retried with the same id and signature, and accepted once", async () => {
    const path = `/flaky-${crypto.randomUUID()}`;
    const { p, k, secret } = await withWebhook(path, [50]);
    await spend(p.id, k.id, 700_000);
    const list = await deliveries(path, 2);
    expect(list.map((d) => d.status)).toEqual([503, 200]);
    expect(list[0]!.headers["x-budget-alert-id"]).toBe(list[1]!.headers["x-budget-alert-id"]);
    expect(list.every((d) => verify(secret, d) && d.body === list[0]!.body)).toBe(true);
  });
});
