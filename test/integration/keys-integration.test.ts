import { beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/auth/api-key.ts";
import { keyIndexKey } from "../../src/storage/kv-keys.ts";
import { resetKeyCache } from "../../src/auth/authenticate.ts";
import { ADMIN_TOKEN, call, createApiKey, createProject, expectError, seedCatalog, testEnv } from "./helpers.ts";
import { chatBody } from "../support/chat-body.ts";
import { sleep } from "../support/eventually.ts";

beforeAll(() => seedCatalog());

const chat = (key: string, model = "test-chat") =>
  call("/v1/chat/completions", { method: "POST", key, json: chatBody({ model, max_tokens: 2 }) });
const keysPath = (p: string, k = "") => `/v1/organization/projects/${p}/api_keys${k ? `/${k}` : ""}`;

describe("API key lifecycle", () => {
  it("creates, uses, lists, updates, rotates and deletes a key", async () => {
    const project = await createProject();
    const created = await createApiKey(project.id, { name: "ci", scopes: ["inference"], models: ["test-chat"] });
    expect(created.value).toMatch(/^sk-eir-[A-Za-z0-9_-]{43}$/);
    expect(created.redacted_value).toMatch(/^sk-eir-.{4}\.\.\..{4}$/);
    expect(created.value.startsWith(created.redacted_value.slice(0, 11))).toBe(true);
    expect(created).toMatchObject({ object: "organization.project.api_key", name: "ci", scopes: ["inference"], models: ["test-chat"], expires_at: null, project_id: project.id });

    expect((await chat(created.value)).status).toBe(200);
    await expectError(await chat(created.value, "test-deprecated"), 403, "model_not_allowed");

    const list = await call(keysPath(project.id), { key: ADMIN_TOKEN });
    const page = (await list.json()) as { object: string; data: Array<Record<string, unknown>>; has_more: boolean; first_id: string };
    expect(page).toMatchObject({ object: "list", has_more: false, first_id: created.id });
    expect(page.data).toHaveLength(1);
    expect(JSON.stringify(page)).not.toContain(created.value);
    expect(page.data[0]).not.toHaveProperty("value");

    const upd = await call(keysPath(project.id, created.id), { method: "PATCH", key: ADMIN_TOKEN, json: { name: "ci-renamed", models: null } });
    expect(upd.status).toBe(200);
    expect(await upd.json()).toMatchObject({ name: "ci-renamed", models: null });
    resetKeyCache();
    expect((await chat(created.value, "test-deprecated")).status).toBe(200);

    const rot = await call(`${keysPath(project.id, created.id)}/rotate`, { method: "POST", key: ADMIN_TOKEN });
    expect(rot.status).toBe(200);
    const rotated = (await rot.json()) as { id: string; value: string; redacted_value: string };
    expect(rotated.id).toBe(created.id);
    expect(rotated.value).not.toBe(created.value);
    resetKeyCache(); // a fresh isolate; the bound itself is tested in revocation-integration
    await expectError(await chat(created.value), 401, "invalid_api_key");
    expect((await chat(rotated.value)).status).toBe(200);

    const del = await call(keysPath(project.id, created.id), { method: "DELETE", key: ADMIN_TOKEN });
    expect(await del.json()).toEqual({ object: "organization.project.api_key.deleted", id: created.id, deleted: true });
    resetKeyCache();
    await expectError(await chat(rotated.value), 401, "invalid_api_key");
    await expectError(await call(keysPath(project.id, created.id), { key: ADMIN_TOKEN }), 404, "api_key_not_found");
  });

  it("refuses a key once its expiry passes", async () => {
    const project = await createProject();
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const k = await createApiKey(project.id, { expires_at: expiresAt });
    expect((await chat(k.value)).status).toBe(200);
    await sleep(expiresAt * 1000 - Date.now() + 50);
    // No cache reset: expiry is checked against the clock on every request.
    await expectError(await chat(k.value), 401, "expired_api_key");
  });

  it("serves a key that expires after 2038, past what a KV expiration can hold", async () => {
    const project = await createProject();
    const k = await createApiKey(project.id, { expires_at: 2_208_988_800 }); // 2040-01-01
    expect(k.expires_at).toBe(2_208_988_800);
    expect((await chat(k.value)).status).toBe(200);
  });

  it("gives a new expiry through an update", async () => {
    const project = await createProject();
    const k = await createApiKey(project.id);
    const later = Math.floor(Date.now() / 1000) + 3600;
    const res = await call(keysPath(project.id, k.id), { method: "POST", key: ADMIN_TOKEN, json: { expires_at: later, scopes: ["inference", "usage"] } });
    expect(await res.json()).toMatchObject({ expires_at: later, scopes: ["inference", "usage"] });
    const got = await call(keysPath(project.id, k.id), { key: ADMIN_TOKEN });
    expect(await got.json()).toMatchObject({ id: k.id, expires_at: later, scopes: ["inference", "usage"] });
  });

  it("pages a long key list with limit and after", async () => {
    const project = await createProject();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createApiKey(project.id, { name: `k${i}` })).id);
    const seen: string[] = [];
    let after = "";
    for (let pageNo = 0; pageNo < 5; pageNo++) {
      const res = await call(`${keysPath(project.id)}?limit=2${after ? `&after=${after}` : ""}`, { key: ADMIN_TOKEN });
      const page = (await res.json()) as { data: Array<{ id: string }>; has_more: boolean; last_id: string };
      seen.push(...page.data.map((d) => d.id));
      if (!page.has_more) break;
      after = page.last_id;
    }
    expect(seen).toEqual(ids);
  });

  it("refuses every key of a suspended project, and serves them again once reactivated", async () => {
    const project = await createProject();
    const k = await createApiKey(project.id, { scopes: ["inference", "keys"] });
    expect((await chat(k.value)).status).toBe(200);
    const sus = await call(`/v1/organization/projects/${project.id}`, { method: "PATCH", key: ADMIN_TOKEN, json: { status: "suspended" } });
    expect(await sus.json()).toMatchObject({ id: project.id, status: "suspended" });
    resetKeyCache();
    await expectError(await chat(k.value), 403, "project_suspended");
    await expectError(await call(keysPath(project.id), { key: k.value }), 403, "project_suspended");
    await call(`/v1/organization/projects/${project.id}`, { method: "POST", key: ADMIN_TOKEN, json: { status: "active" } });
    resetKeyCache();
    expect((await chat(k.value)).status).toBe(200);
  });
});

describe("projects", () => {
  it("creates, reads and updates a project with per-model limit overrides", async () => {
    const created = await createProject({ name: "acme", limits: { "test-chat": { rpm: 5000, tpm: 2_000_000 } } });
    expect(created).toMatchObject({ object: "organization.project", name: "acme", status: "active", limits: { "test-chat": { rpm: 5000, tpm: 2_000_000 } } });
    expect(created.id).toMatch(/^proj_/);
    const upd = await call(`/v1/organization/projects/${created.id}`, { method: "PATCH", key: ADMIN_TOKEN, json: { name: "acme2", limits: {} } });
    expect(await upd.json()).toMatchObject({ name: "acme2", limits: {} });
    const got = await call(`/v1/organization/projects/${created.id}`, { key: ADMIN_TOKEN });
    expect(await got.json()).toMatchObject({ id: created.id, name: "acme2", status: "active", limits: {} });
  });

  it("puts the limit overrides in the record the edge reads", async () => {
    const project = await createProject({ limits: { "test-chat": { rpm: 7, tpm: 700 } } });
    const k = await createApiKey(project.id);
    const { authenticate } = await import("../../src/auth/authenticate.ts");
    const { env } = await import("cloudflare:workers");
    resetKeyCache();
    const record = await authenticate(new Request("https://x/", { headers: { authorization: `Bearer ${k.value}` } }), env);
    expect(record).toMatchObject({ project_id: project.id, key_id: k.id, project_status: "active", limits: { "test-chat": { rpm: 7, tpm: 700 } } });
  });

  it("lists projects for the admin, paged in id order", async () => {
    const made = [await createProject(), await createProject(), await createProject()].map((p) => p.id);
    const seen: string[] = [];
    let after = "";
    for (let i = 0; i < 100; i++) {
      const res = await call(`/v1/organization/projects?limit=2${after ? `&after=${after}` : ""}`, { key: ADMIN_TOKEN });
      const page = (await res.json()) as { data: Array<{ id: string; object: string }>; has_more: boolean; last_id: string };
      expect(page.data.every((p) => p.object === "organization.project")).toBe(true);
      seen.push(...page.data.map((p) => p.id));
      if (!page.has_more) break;
      after = page.last_id;
    }
    expect(seen).toEqual([...seen].sort());
    for (const id of made) expect(seen).toContain(id);
    const manager = await createApiKey(made[0]!, { scopes: ["keys"] });
    await expectError(await call("/v1/organization/projects", { key: manager.value }), 403, "admin_only");
  });

  it("takes a chosen id once, and 404s an unknown project", async () => {
    const id = `proj_chosen_${Date.now()}`;
    expect((await createProject({ id })).id).toBe(id);
    await expectError(await call("/v1/organization/projects", { method: "POST", key: ADMIN_TOKEN, json: { id, name: "again" } }), 409, "project_exists");
    await expectError(await call("/v1/organization/projects/proj_nope_404", { key: ADMIN_TOKEN }), 404, "project_not_found");
    await expectError(await call(keysPath("proj_nope_404"), { key: ADMIN_TOKEN }), 404, "project_not_found");
    const err = await expectError(await call(`/v1/organization/projects/${"x".repeat(5000)}`, { key: ADMIN_TOKEN }), 404, "project_not_found");
    expect(err.message.length).toBeLessThan(100);
  });
});

describe("bad input", () => {
  const bad = async (path: string, method: string, json: unknown, param: string | null, code?: string) => {
    const err = await expectError(await call(path, { method, key: ADMIN_TOKEN, json }), 400, code);
    expect(err.param).toBe(param);
  };

  it("names the field for every malformed key body", async () => {
    const p = (await createProject()).id;
    const past = Math.floor(Date.now() / 1000) - 10;
    await bad(keysPath(p), "POST", {}, "name");
    await bad(keysPath(p), "POST", { name: "x".repeat(129) }, "name");
    await bad(keysPath(p), "POST", { name: "" }, "name");
    await bad(keysPath(p), "POST", { name: 5 }, "name");
    await bad(keysPath(p), "POST", { name: "a", scopes: ["admin"] }, "scopes", "invalid_scope");
    await bad(keysPath(p), "POST", { name: "a", scopes: [] }, "scopes");
    await bad(keysPath(p), "POST", { name: "a", models: ["no-such-model"] }, "models", "model_not_found");
    await bad(keysPath(p), "POST", { name: "a", expires_at: past }, "expires_at", "expiry_in_past");
    await bad(keysPath(p), "POST", { name: "a", expires_at: "tomorrow" }, "expires_at");
    await bad(keysPath(p), "POST", { name: "a", owner: "me" }, "owner", "unknown_parameter");
    await bad(keysPath(p), "POST", [1, 2], null, "invalid_json");
    const res = await call(keysPath(p), { method: "POST", key: ADMIN_TOKEN, body: "{nope", headers: { "content-type": "application/json" } });
    await expectError(res, 400, "invalid_json");
    const k = await createApiKey(p);
    await bad(keysPath(p, k.id), "PATCH", { nickname: "x" }, "nickname", "unknown_parameter");
    await bad(keysPath(p, k.id), "PATCH", {}, null);
    await bad(keysPath(p, k.id), "PATCH", { expires_at: past }, "expires_at", "expiry_in_past");
    await bad(`${keysPath(p)}?limit=0`, "GET", undefined, "limit");
  });

  it("names the field for every malformed project body", async () => {
    await bad("/v1/organization/projects", "POST", { name: "a", limits: { "no-such-model": { rpm: 1, tpm: 1 } } }, "limits.no-such-model", "model_not_found");
    await bad("/v1/organization/projects", "POST", { name: "a", limits: { "test-chat": { rpm: 0, tpm: 1 } } }, "limits.test-chat.rpm");
    await bad("/v1/organization/projects", "POST", { name: "a", id: "not a project id" }, "id");
    const p = (await createProject()).id;
    await bad(`/v1/organization/projects/${p}`, "PATCH", { status: "archived" }, "status");
    await bad(`/v1/organization/projects/${p}`, "PATCH", { title: "x" }, "title", "unknown_parameter");
  });

  it("refuses a chosen secret that is malformed or already in use", async () => {
    const p = (await createProject()).id;
    await bad(keysPath(p), "POST", { name: "a", value: "sk-short" }, "value");
    const value = `sk-eir-chosen${crypto.randomUUID().replaceAll("-", "")}`;
    await createApiKey(p, { value });
    const again = await call(keysPath((await createProject()).id), { method: "POST", key: ADMIN_TOKEN, json: { name: "b", value } });
    await expectError(again, 409, "api_key_exists");
  });

  it("lets a chosen secret replace a stale index entry no object vouches for", async () => {
    const value = `sk-eir-stale${crypto.randomUUID().replaceAll("-", "")}`;
    // What an older start script wrote: a KV record with no project object behind it.
    await testEnv.KV.put(keyIndexKey(await hashKey(value)), JSON.stringify({ project_id: "proj_ghost", key_id: "key_ghost", scopes: ["inference"], models: null, expires_at: null }));
    resetKeyCache();
    await expectError(await chat(value), 401, "invalid_api_key");
    const p = (await createProject()).id;
    await createApiKey(p, { value });
    resetKeyCache();
    expect((await chat(value)).status).toBe(200);
  });
});
