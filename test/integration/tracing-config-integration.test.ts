import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/auth/api-key.ts";
import { keyIndexKey } from "../../src/storage/kv-keys.ts";
import { ADMIN_TOKEN, call, createApiKey, createProject, expectError, seedCatalog, testEnv } from "./helpers.ts";

beforeAll(() => seedCatalog());

const SECRET = "mlflow-token-s3cr3t-9d2f";
const path = (id: string): string => `/v1/organization/projects/${id}/tracing`;
const put = (id: string, json: unknown, key = ADMIN_TOKEN) => call(path(id), { method: "PUT", key, json });
const dest = { tracking_uri: "https://mlflow.example.com/", experiment_id: "17", credential: { type: "bearer", token: SECRET } };

async function indexed(value: string): Promise<Record<string, unknown>> {
  return (await testEnv.KV.get(keyIndexKey(await hashKey(value)), "json")) as Record<string, unknown>;
}

describe("a project's tracing destination", () => {
  it("is set, read without its credential, and removed; the key record carries only a version", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    expect((await indexed(k.value)).tracing).toBeUndefined();
    await expectError(await call(path(p.id), { key: ADMIN_TOKEN }), 404, "tracing_not_configured");

    const res = await put(p.id, dest);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({
      object: "organization.project.tracing",
      project_id: p.id,
      tracking_uri: "https://mlflow.example.com",
      experiment_id: "17",
      capture: "metadata",
      credential: { type: "bearer" },
    });
    const v1 = (await indexed(k.value)).tracing as number;
    expect(typeof v1).toBe("number");
    const got = await call(path(p.id), { key: ADMIN_TOKEN });
    expect(await got.text()).not.toContain(SECRET);

    // Without a credential field the stored one is kept; the version moves on.
    const kept = await (await put(p.id, { tracking_uri: "https://mlflow.example.com", experiment_id: "18", capture: "full" })).json();
    expect(kept).toMatchObject({ experiment_id: "18", capture: "full", credential: { type: "bearer" } });
    expect((await indexed(k.value)).tracing).toBeGreaterThan(v1);

    const del = await call(path(p.id), { method: "DELETE", key: ADMIN_TOKEN });
    expect(await del.json()).toMatchObject({ deleted: true });
    expect((await indexed(k.value)).tracing).toBeUndefined();
    await expectError(await call(path(p.id), { method: "DELETE", key: ADMIN_TOKEN }), 404, "tracing_not_configured");
  });

  it("a new key of a tracing project carries the flag too", async () => {
    const p = await createProject();
    await put(p.id, { tracking_uri: "https://m.example.com", experiment_id: "1" });
    const k = await createApiKey(p.id);
    expect(typeof (await indexed(k.value)).tracing).toBe("number");
  });

  it("lands in the audit log with the credential redacted", async () => {
    const p = await createProject();
    await put(p.id, dest);
    await put(p.id, { ...dest, credential: null });
    await call(path(p.id), { method: "DELETE", key: ADMIN_TOKEN });
    const res = await call(`/v1/organization/audit_logs?project_ids[]=${p.id}`, { key: ADMIN_TOKEN });
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    const events = (JSON.parse(text) as { data: Record<string, unknown>[] }).data;
    expect(events.map((e) => e.type).slice(0, 3)).toEqual(["tracing.deleted", "tracing.updated", "tracing.updated"]);
    expect(events[2]!["tracing.updated"]).toEqual({
      id: p.id,
      changes_requested: { tracking_uri: "https://mlflow.example.com", experiment_id: "17", capture: "metadata", credential: { type: "bearer", value: "[redacted]" } },
    });
    expect((events[1]!["tracing.updated"] as { changes_requested: { credential: unknown } }).changes_requested.credential).toBeNull();
  });

  it("the credential is stored sealed, not as written", async () => {
    const p = await createProject();
    await put(p.id, { ...dest, credential: { type: "basic", username: "alice", password: SECRET } });
    const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(p.id));
    const { runInDurableObject } = await import("cloudflare:test");
    const rows = await runInDurableObject(stub, (_o, state) => state.storage.sql.exec("SELECT * FROM tracing").toArray());
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    const edge = await stub.tracingForEdge();
    expect(edge?.authorization).toBe(`Basic ${btoa(`alice:${SECRET}`)}`);
  });

  it("a keys-scope key manages its own project only; an inference key may not", async () => {
    const p = await createProject();
    const other = await createProject();
    const manager = await createApiKey(p.id, { scopes: ["keys"] });
    const plain = await createApiKey(p.id, { scopes: ["inference"] });
    expect((await put(p.id, dest, manager.value)).status).toBe(200);
    await expectError(await put(other.id, dest, manager.value), 404, "project_not_found");
    await expectError(await put(p.id, dest, plain.value), 403, "insufficient_scope");
    const res = await call(`/v1/organization/audit_logs?project_ids[]=${p.id}`, { key: ADMIN_TOKEN });
    const first = ((await res.json()) as { data: { actor: unknown }[] }).data[0];
    expect(first?.actor).toEqual({ type: "api_key", api_key: { id: manager.id } });
  });

  it.each([
    [{ ...dest, tracking_uri: "http://mlflow.example.com" }, "tracking_uri"],
    [{ ...dest, tracking_uri: "https://user:pw@mlflow.example.com" }, "tracking_uri"],
    [{ ...dest, tracking_uri: "https://m.example.com/?x=1" }, "tracking_uri"],
    [{ ...dest, tracking_uri: "not a url" }, "tracking_uri"],
    [{ ...dest, experiment_id: "" }, "experiment_id"],
    [{ ...dest, experiment_id: "a b" }, "experiment_id"],
    [{ ...dest, capture: "everything" }, "capture"],
    [{ ...dest, credential: { type: "digest" } }, "credential.type"],
    [{ ...dest, credential: { type: "bearer", token: "a\nb" } }, "credential.token"],
    [{ ...dest, extra: 1 }, "extra"],
  ])("refuses %j (param %s)", async (body, param) => {
    const p = await createProject();
    const e = await expectError(await put(p.id, body), 400);
    expect(e.param).toBe(param);
  });

  it("http is allowed on loopback, for a local MLflow", async () => {
    const p = await createProject();
    expect((await put(p.id, { tracking_uri: "http://127.0.0.1:5000", experiment_id: "0" })).status).toBe(200);
    expect((await put(p.id, { tracking_uri: "http://localhost:5000/mlflow/", experiment_id: "0" })).status).toBe(200);
  });

  it("an object at schema version 2 (before tracing) migrates and keeps its keys", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(p.id));
    const { runInDurableObject } = await import("cloudflare:test");
    const { ProjectObject, PROJECT_SCHEMA_VERSION } = await import("../../durable-objects/project.ts");
    await runInDurableObject(stub, async (_o, state) => {
      state.storage.sql.exec("DROP TABLE tracing");
      state.storage.sql.exec("UPDATE meta SET value = '2' WHERE key = 'schema_version'");
      const fresh = new ProjectObject(state, env as Env);
      await state.blockConcurrencyWhile(async () => {});
      expect(fresh.schemaVersion()).toBe(PROJECT_SCHEMA_VERSION);
      expect(fresh.listKeys({ limit: 10, after: null })).toMatchObject({ ok: true, value: { keys: [{ id: k.id }] } });
      expect(fresh.getTracing()).toEqual({ ok: true, value: null });
    });
    expect((await put(p.id, dest)).status).toBe(200);
  });

  it("the binding TRACING_KEY is set in tests", () => {
    expect((env as unknown as { TRACING_KEY: string }).TRACING_KEY.length).toBeGreaterThan(10);
  });
});
