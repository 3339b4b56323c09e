import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createApiKey, createProject, seedCatalog, testEnv } from "./helpers.ts";

beforeAll(() => seedCatalog());

/**
 * The whole permission matrix over the real Worker: every management action, by every kind
 * of caller, on a key within the caller's grant, outside its models, and wider in scopes.
 * Each cell gets its own project, so deletes and rotations do not leak between cells.
 */
type ActorKind = "admin" | "restricted" | "allModels" | "inferenceOnly" | "usageOnly";
type Target = "within" | "outside" | "wider";
type Action = "create" | "list" | "get" | "update" | "widen" | "rotate" | "delete" | "audit_read" | "usage_read";

const ACTORS: Record<Exclude<ActorKind, "admin">, Record<string, unknown>> = {
  restricted: { scopes: ["keys", "inference"], models: ["test-chat"] },
  allModels: { scopes: ["keys", "inference"], models: null },
  inferenceOnly: { scopes: ["inference"] },
  usageOnly: { scopes: ["usage"] },
};
const TARGETS: Record<Target, Record<string, unknown>> = {
  within: { scopes: ["inference"], models: ["test-chat"] },
  outside: { scopes: ["inference"], models: null },
  wider: { scopes: ["inference", "keys", "usage"], models: null },
};

/** Expected status, or status and code, per actor, action and target. */
function expected(actor: ActorKind, action: Action, target: Target): [number, string?] {
  if (actor === "admin") return [200];
  const needs = action === "usage_read" ? "usage" : "keys";
  const scopes = ACTORS[actor].scopes as string[];
  if (!scopes.includes(needs)) return [403, "insufficient_scope"];
  if (action === "list" || action === "get" || action === "audit_read" || action === "usage_read") return [200];
  const covered = target === "within" || (target === "outside" && actor === "allModels");
  if (action === "create") return covered ? [200] : [403, target === "wider" ? "scope_not_allowed" : "model_not_allowed"];
  if (!covered) return [403, "api_key_not_allowed"];
  // widen: the covered target patched to the wider grant.
  if (action === "widen") return [403, "scope_not_allowed"];
  return [200];
}

async function cell(actor: ActorKind, action: Action, target: Target): Promise<Response> {
  const project = await createProject();
  const auth = actor === "admin" ? ADMIN_TOKEN : (await createApiKey(project.id, { name: actor, ...ACTORS[actor] })).value;
  const base = `/v1/organization/projects/${project.id}/api_keys`;
  if (action === "create") return call(base, { method: "POST", key: auth, json: { name: "new", ...TARGETS[target] } });
  if (action === "list") return call(base, { key: auth });
  if (action === "audit_read") return call(`/v1/organization/projects/${project.id}/audit_logs`, { key: auth });
  if (action === "usage_read") return call(`/v1/organization/usage/completions?start_time=${Math.floor(Date.now() / 1000) - 3600}&project_id=${project.id}`, { key: auth });
  const t = await createApiKey(project.id, { name: "target", ...TARGETS[target] });
  const path = `${base}/${t.id}`;
  switch (action) {
    case "get":
      return call(path, { key: auth });
    case "update":
      return call(path, { method: "PATCH", key: auth, json: { name: "renamed" } });
    case "widen":
      return call(path, { method: "PATCH", key: auth, json: { scopes: TARGETS.wider.scopes, models: null } });
    case "rotate":
      return call(`${path}/rotate`, { method: "POST", key: auth });
    case "delete":
      return call(path, { method: "DELETE", key: auth });
  }
}

const ACTIONS: Action[] = ["create", "list", "get", "update", "widen", "rotate", "delete", "audit_read", "usage_read"];
const KINDS: ActorKind[] = ["admin", "restricted", "allModels", "inferenceOnly", "usageOnly"];

describe("management permission matrix", () => {
  for (const actor of KINDS) {
    for (const action of ACTIONS) {
      const targets: Target[] = ["list", "audit_read", "usage_read"].includes(action) ? ["within"] : ["within", "outside", "wider"];
      it(`${actor} ${action} (${targets.join(", ")})`, async () => {
        const got: string[] = [];
        const want: string[] = [];
        for (const target of targets) {
          const res = await cell(actor, action, target);
          const body = (await res.json()) as { error?: { code: string } };
          const [status, code] = expected(actor, action, target);
          got.push(`${target}: ${res.status} ${res.status === 200 ? "" : body.error?.code}`);
          want.push(`${target}: ${status} ${code ?? ""}`);
        }
        expect(got).toEqual(want);
      });
    }
  }

  it("refuses the reported escalation: a restricted key rotating, deleting or widening an all-models key", async () => {
    const project = await createProject();
    const r = await createApiKey(project.id, { name: "R", scopes: ["keys", "inference"], models: ["test-chat"] });
    const u = await createApiKey(project.id, { name: "U", scopes: ["inference"] });
    const base = `/v1/organization/projects/${project.id}/api_keys`;
    expect((await call(`${base}/${u.id}/rotate`, { method: "POST", key: r.value })).status).toBe(403);
    expect((await call(`${base}/${u.id}`, { method: "PATCH", key: r.value, json: { scopes: ["inference", "keys", "usage"] } })).status).toBe(403);
    expect((await call(`${base}/${u.id}`, { method: "DELETE", key: r.value })).status).toBe(403);
    // U is untouched: its secret still works on a model R may not use.
    const chat = await call("/v1/chat/completions", { method: "POST", key: u.value, json: { model: "test-embed-missing", messages: [] } });
    expect(chat.status).not.toBe(401);
    const after = (await (await call(`${base}/${u.id}`, { key: ADMIN_TOKEN })).json()) as { scopes: string[]; redacted_value: string };
    expect(after).toMatchObject({ scopes: ["inference"], redacted_value: u.redacted_value });
  });

  it("keeps an expiring key from granting a longer life", async () => {
    const project = await createProject();
    const soon = Math.floor(Date.now() / 1000) + 3600;
    const m = await createApiKey(project.id, { name: "M", scopes: ["keys", "inference"], expires_at: soon });
    const base = `/v1/organization/projects/${project.id}/api_keys`;
    const forever = await call(base, { method: "POST", key: m.value, json: { name: "x" } });
    expect([forever.status, ((await forever.json()) as { error: { code: string } }).error.code]).toEqual([403, "expiry_not_allowed"]);
    expect((await call(base, { method: "POST", key: m.value, json: { name: "y", expires_at: soon } })).status).toBe(200);
  });

  it("lets a key manage itself (it is within its own grant)", async () => {
    const project = await createProject();
    const m = await createApiKey(project.id, { name: "self", scopes: ["keys", "inference"], models: ["test-chat"] });
    const res = await call(`/v1/organization/projects/${project.id}/api_keys/${m.id}/rotate`, { method: "POST", key: m.value });
    expect(res.status).toBe(200);
  });

  it("decides with the actor's grant as the project's object holds it now, not as the edge cached it", async () => {
    const project = await createProject();
    const m = await createApiKey(project.id, { name: "M", scopes: ["keys", "inference"] });
    const u = await createApiKey(project.id, { name: "U", scopes: ["inference"] });
    const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(project.id));
    const actor = { type: "api_key", api_key: { id: m.id } } as const;
    // Narrowed by the admin: the object refuses what M could do a moment ago.
    expect((await stub.updateKey({ id: m.id, patch: { models: ["test-chat"] }, actor: { type: "admin" } })).ok).toBe(true);
    expect(await stub.deleteKey({ id: u.id, actor })).toEqual({ ok: false, reason: "api_key_not_allowed" });
    // Deleted: it may do nothing at all, not even on keys it covered.
    const within = await createApiKey(project.id, { name: "W", scopes: ["inference"], models: ["test-chat"] });
    expect((await stub.deleteKey({ id: m.id, actor: { type: "admin" } })).ok).toBe(true);
    expect(await stub.deleteKey({ id: within.id, actor })).toEqual({ ok: false, reason: "api_key_not_allowed" });
  });
});
