import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { KEY_TRUST_MS } from "../../src/auth/authenticate.ts";
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { applyBudgetChange } from "../../src/budget/change.ts";
import { budgetStub, resetBudgetCache } from "../../src/budget/admission.ts";
import { resetKeyCache } from "../../src/auth/authenticate.ts";
import { eventually, sleep } from "../support/eventually.ts";
import { ADMIN_TOKEN, call, createApiKey, createProject, expectError, model, seedCatalog, testCatalog, testEnv } from "./helpers.ts";

// A model of its own with a small context, so a worst case is small and known.
const M = "budget-version";

beforeAll(async () => {
  const catalog = testCatalog();
  catalog.models.push(model(M, { context_length: 400 }));
  await seedCatalog(catalog);
});
afterEach(() => vi.restoreAllMocks());

const infer = (key: string) => call("/v1/chat/completions", { method: "POST", key, json: { model: M, messages: [{ role: "user", content: "hello version" }] } });
const elsewhere = { type: "admin" } as const;

/**
 * Sets a budget as another isolate's route does (the same change), but none of this
 * isolate's caches is reset by it. One micro-unit: any request is refused.
 */
async function setElsewhere(projectId: string, keyId: string | null): Promise<void> {
  const ctx = createExecutionContext();
  const outcome = await applyBudgetChange(testEnv, ctx, { projectId, keyId, limit: 1, thresholds: [], currency: "EUR", actor: elsewhere });
  await waitOnExecutionContext(ctx);
  expect(outcome.ok).toBe(true);
}

describe(`a budget set elsewhere reaches this isolate within KEY_TRUST_MS (${KEY_TRUST_MS} ms)`, () => {
  it("refuses a request once the trust window has passed after the budget was set", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    const warm = await infer(k.value);
    expect(warm.status).toBe(200);
    expect(warm.headers.get("x-budget-limit")).toBeNull();
    await warm.text();
    await setElsewhere(p.id, null);
    await sleep(KEY_TRUST_MS + 100);
    const res = await infer(k.value);
    expect(res.headers.get("x-budget-limit")).toBe("0.000001");
    await expectError(res, 429, "insufficient_quota");
  });

  it("enforces a key's budget set elsewhere on that key, while the project's other keys stay free", async () => {
    const p = await createProject();
    const capped = await createApiKey(p.id);
    const free = await createApiKey(p.id);
    for (const k of [capped, free]) expect((await (await infer(k.value)).text()).length).toBeGreaterThan(0);
    await setElsewhere(p.id, capped.id);
    await sleep(KEY_TRUST_MS + 100);
    await expectError(await infer(capped.value), 429, "insufficient_quota");
    const res = await infer(free.value);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-budget-limit")).toBeNull();
  });
});

describe("the order of a change", () => {
  it("does not trust a 'none' the BudgetObject gave between the version's bump and the budget's set", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    const version = await testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(p.id)).budgetChanged({ active: true });
    resetKeyCache();
    // The record already says "budget", the object has none yet: asked, it answers "none".
    const early = await infer(k.value);
    expect(early.status).toBe(200);
    expect(early.headers.get("x-budget-limit")).toBeNull();
    await early.text();
    expect((await budgetStub(testEnv, p.id).setBudget({ projectId: p.id, keyId: null, limit: 1, thresholds: [], currency: "EUR", actor: elsewhere, version, seed: [] })).ok).toBe(true);
    // No wait and no reset: that "none" was for the version before, so the object is asked again.
    await expectError(await infer(k.value), 429, "insufficient_quota");
  });

  it("leaves a project whose last budget was deleted paying nothing again", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    const path = `/v1/organization/projects/${p.id}/budget`;
    expect((await call(path, { method: "PUT", key: ADMIN_TOKEN, json: { amount: 1 } })).status).toBe(200);
    const budgeted = await infer(k.value);
    expect(budgeted.headers.get("x-budget-limit")).toBe("1");
    await budgeted.text();
    // Its settle goes to the object after the response: let it land before counting calls.
    const spent = await eventually(async () => ((await (await call(path, { key: ADMIN_TOKEN })).json()) as { spent: number }).spent, (n) => n > 0);
    expect(spent).toBeGreaterThan(0);
    expect((await call(path, { method: "DELETE", key: ADMIN_TOKEN })).status).toBe(200);
    resetBudgetCache();
    const get = vi.spyOn(testEnv.BUDGETS, "get");
    for (let i = 0; i < 3; i++) {
      const res = await infer(k.value);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-budget-limit")).toBeNull();
      await res.text();
    }
    expect(get).not.toHaveBeenCalled();
  });
});

describe("a project from before budget versions", () => {
  it("has its budget enforced: its records say version 0, so the edge asks", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(p.id));
    // As such a project's object is: nothing in meta says whether it has a budget.
    await runInDurableObject(stub, (_, state) => void state.storage.sql.exec("DELETE FROM meta WHERE key LIKE 'budget_%'"));
    expect((await budgetStub(testEnv, p.id).setBudget({ projectId: p.id, keyId: null, limit: 1, thresholds: [], currency: "EUR", actor: elsewhere, version: 0, seed: [] })).ok).toBe(true);
    resetKeyCache();
    await expectError(await infer(k.value), 429, "insufficient_quota");
  });
});

describe("what a project without a budget pays", () => {
  it("makes no BudgetObject call at all", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    const get = vi.spyOn(testEnv.BUDGETS, "get");
    for (let i = 0; i < 5; i++) expect((await infer(k.value)).status).toBe(200);
    expect(get).not.toHaveBeenCalled();
  });

  it("asks once for a key without a budget of its own in a project whose only budget is another key's", async () => {
    const p = await createProject();
    const capped = await createApiKey(p.id);
    const free = await createApiKey(p.id);
    expect((await call(`/v1/organization/projects/${p.id}/api_keys/${capped.id}/budget`, { method: "PUT", key: ADMIN_TOKEN, json: { amount: 1 } })).status).toBe(200);
    const get = vi.spyOn(testEnv.BUDGETS, "get");
    for (let i = 0; i < 5; i++) {
      const res = await infer(free.value);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-budget-limit")).toBeNull();
    }
    expect(get).toHaveBeenCalledTimes(1);
  });
});
