import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ProjectObject } from "../../durable-objects/project.ts";
import { hashKey } from "../../src/auth/api-key.ts";
import { keyIndexKey } from "../../src/storage/kv-keys.ts";
import { eventually } from "../support/eventually.ts";
import { expectLogs, type ExpectedLogs } from "../support/expected-logs.ts";
import { call, createProject, seedCatalog, testEnv } from "./helpers.ts";

const admin = { type: "admin" } as const;

/** A KV whose writes fail until `heal()`: what the object sees when KV refuses after its commit. */
function flakyKv(real: KVNamespace) {
  let broken = true;
  const fail = (): Promise<never> => Promise.reject(new Error("KV write failed (injected)"));
  const kv = new Proxy(real, {
    get(target, prop) {
      if (broken && (prop === "put" || prop === "delete")) return fail;
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { kv, heal: () => void (broken = false) };
}

/** Swaps the object's KV binding for this test; the object reads it at every write. */
function useKv(instance: ProjectObject, kv: KVNamespace): void {
  (instance as unknown as { env: Env }).env = { ...env, KV: kv };
}

describe("the project object's KV index", () => {
  let logs: ExpectedLogs;
  beforeAll(() => seedCatalog());
  afterEach(() => logs.spy.mockRestore());

  it("converges when the KV write after the commit fails: the alarm writes the key record, and the key then works", async () => {
    logs = expectLogs(["kv_index_deferred"]);
    const project = await createProject();
    const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(project.id));
    const secret = `sk-eir-${crypto.randomUUID().replaceAll("-", "")}`;
    const hash = await hashKey(secret);
    const flaky = flakyKv(env.KV);
    await runInDurableObject(stub, async (instance: ProjectObject) => {
      useKv(instance, flaky.kv);
      const made = await instance.createKey({ id: `key_${crypto.randomUUID().slice(0, 8)}`, name: "after a KV failure", hash, redacted_value: "sk-eir-...x", scopes: ["inference"], models: null, expires_at: null, actor: admin });
      expect(made.ok).toBe(true);
      expect(instance.pendingIndex()).toEqual([keyIndexKey(hash)]);
    });
    // The SQL holds the key, KV does not: the edge refuses it as unknown for now.
    expect(await env.KV.get(keyIndexKey(hash))).toBeNull();
    expect((await call("/v1/models", { key: secret })).status).toBe(401);

    // Still failing: the alarm keeps it pending and tries again later.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.pendingIndex()).toEqual([keyIndexKey(hash)]);

    flaky.heal();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.pendingIndex()).toEqual([]);
    expect(JSON.parse((await env.KV.get(keyIndexKey(hash))) ?? "null")).toMatchObject({ project_id: project.id });
    // Once the edge forgets it saw the key unknown (UNKNOWN_KEY_MS), the key works.
    expect(await eventually(async () => (await call("/v1/models", { key: secret })).status, (s) => s === 200)).toBe(200);
    expect(logs.events("kv_index_deferred").length).toBeGreaterThanOrEqual(2);
  });

  it("rewrites what the SQL says at the retry, not what failed: a key deleted meanwhile is removed from KV", async () => {
    logs = expectLogs(["kv_index_deferred"]);
    const project = await createProject();
    const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(project.id));
    const hash = await hashKey(`sk-eir-${crypto.randomUUID().replaceAll("-", "")}`);
    const id = `key_${crypto.randomUUID().slice(0, 8)}`;
    await runInDurableObject(stub, async (instance: ProjectObject) => {
      expect((await instance.createKey({ id, name: "soon gone", hash, redacted_value: "sk-eir-...y", scopes: ["inference"], models: null, expires_at: null, actor: admin })).ok).toBe(true);
      const flaky = flakyKv(env.KV);
      useKv(instance, flaky.kv);
      expect((await instance.deleteKey({ id, actor: admin })).ok).toBe(true);
      expect(instance.pendingIndex()).toEqual([keyIndexKey(hash)]);
      useKv(instance, env.KV);
    });
    expect(await env.KV.get(keyIndexKey(hash))).not.toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await env.KV.get(keyIndexKey(hash))).toBeNull();
    expect(await stub.pendingIndex()).toEqual([]);
  });
});
