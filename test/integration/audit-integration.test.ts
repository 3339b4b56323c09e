import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createApiKey, createProject, expectError, seedCatalog } from "./helpers.ts";

beforeAll(() => seedCatalog());

interface Event {
  id: string;
  type: string;
  effective_at: number;
  project: { id: string; name: string };
  actor: { type: string; api_key?: { id: string } };
  [k: string]: unknown;
}
interface Page {
  object: string;
  data: Event[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

const audit = async (projectId: string, query = "", key = ADMIN_TOKEN): Promise<Page> => {
  const res = await call(`/v1/organization/audit_logs?project_ids[]=${projectId}${query}`, { key });
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return res.json();
};

describe("audit log", () => {
  it("records every change, newest first, with actor, target and what changed, never a secret", async () => {
    const project = await createProject({ name: "audited" });
    // The manager holds every scope it grants (a key never grants more than it has).
    const manager = await createApiKey(project.id, { name: "manager", scopes: ["keys", "inference", "usage"] });
    const k = await createApiKey(project.id, { name: "worker" }, manager.value);
    const base = `/v1/organization/projects/${project.id}`;
    await call(`${base}/api_keys/${k.id}`, { method: "PATCH", key: manager.value, json: { name: "worker-2", scopes: ["inference", "usage"] } });
    const rotated = (await (await call(`${base}/api_keys/${k.id}/rotate`, { method: "POST", key: manager.value })).json()) as { value: string };
    await call(`${base}/api_keys/${k.id}`, { method: "DELETE", key: ADMIN_TOKEN });
    await call(base, { method: "PATCH", key: ADMIN_TOKEN, json: { limits: { "test-chat": { rpm: 9, tpm: 90 } } } });
    await call(base, { method: "PATCH", key: ADMIN_TOKEN, json: { status: "suspended" } });
    await call(base, { method: "PATCH", key: ADMIN_TOKEN, json: { status: "active" } });

    const page = await audit(project.id);
    expect(page.object).toBe("list");
    expect(page.data.map((e) => e.type)).toEqual([
      "project.activated",
      "project.suspended",
      "project.updated",
      "api_key.deleted",
      "api_key.rotated",
      "api_key.updated",
      "api_key.created",
      "api_key.created",
      "project.created",
    ]);
    const [activated, suspended, updated, deleted, rot, upd, created] = page.data;
    expect(activated!["project.activated"]).toEqual({ id: project.id, changes_requested: { status: "active" }, previous: { status: "suspended" } });
    expect(suspended!.actor).toEqual({ type: "admin" });
    expect(updated!["project.updated"]).toMatchObject({ changes_requested: { limits: { "test-chat": { rpm: 9, tpm: 90 } } }, previous: { limits: {} } });
    expect(deleted).toMatchObject({ actor: { type: "admin" }, "api_key.deleted": { id: k.id } });
    expect(rot).toMatchObject({ actor: { type: "api_key", api_key: { id: manager.id } }, "api_key.rotated": { id: k.id } });
    expect(upd!["api_key.updated"]).toEqual({
      id: k.id,
      changes_requested: { name: "worker-2", scopes: ["inference", "usage"] },
      previous: { name: "worker", scopes: ["inference"] },
    });
    expect(created).toMatchObject({
      actor: { type: "api_key", api_key: { id: manager.id } },
      project: { id: project.id, name: "audited" },
      "api_key.created": { id: k.id, data: { name: "worker", scopes: ["inference"], models: null, expires_at: null } },
    });
    expect(page.first_id).toBe(activated!.id);
    expect(page.last_id).toBe(page.data.at(-1)!.id);
    const text = JSON.stringify(page);
    for (const secret of [manager.value, k.value, rotated.value, ADMIN_TOKEN]) expect(text).not.toContain(secret);
  });

  it("records nothing for an update that changes nothing", async () => {
    const project = await createProject();
    const k = await createApiKey(project.id, { name: "same" });
    await call(`/v1/organization/projects/${project.id}/api_keys/${k.id}`, { method: "PATCH", key: ADMIN_TOKEN, json: { name: "same" } });
    expect((await audit(project.id)).data.map((e) => e.type)).toEqual(["api_key.created", "project.created"]);
  });

  it("pages with limit and after, and filters by time and type", async () => {
    const project = await createProject();
    for (let i = 0; i < 4; i++) await createApiKey(project.id, { name: `k${i}` });
    const all = (await audit(project.id)).data;
    expect(all).toHaveLength(5);
    const first = await audit(project.id, "&limit=2");
    expect(first.has_more).toBe(true);
    const second = await audit(project.id, `&limit=2&after=${first.last_id}`);
    const third = await audit(project.id, `&limit=2&after=${second.last_id}`);
    expect(third.has_more).toBe(false);
    expect([...first.data, ...second.data, ...third.data].map((e) => e.id)).toEqual(all.map((e) => e.id));

    const t = all[0]!.effective_at;
    expect((await audit(project.id, `&effective_at[gt]=${t}`)).data).toEqual([]);
    expect((await audit(project.id, `&effective_at[gte]=${all.at(-1)!.effective_at}`)).data).toHaveLength(5);
    expect((await audit(project.id, `&effective_at[lt]=${all.at(-1)!.effective_at}`)).data).toEqual([]);
    expect((await audit(project.id, "&event_types[]=project.created")).data.map((e) => e.type)).toEqual(["project.created"]);
  });

  it("serves a key's own project without naming it, and the per-project path too", async () => {
    const project = await createProject();
    const manager = await createApiKey(project.id, { scopes: ["keys"] });
    const own = await call("/v1/organization/audit_logs", { key: manager.value });
    expect(((await own.json()) as Page).data[0]?.project.id).toBe(project.id);
    const byPath = await call(`/v1/organization/projects/${project.id}/audit_logs?limit=1`, { key: ADMIN_TOKEN });
    expect(((await byPath.json()) as Page).data).toHaveLength(1);
  });

  it("names the bad parameter", async () => {
    const project = await createProject();
    const bad = async (q: string, param: string) => {
      const err = await expectError(await call(`/v1/organization/audit_logs?${q}`, { key: ADMIN_TOKEN }), 400);
      expect(err.param).toBe(param);
    };
    await bad(`project_ids[]=${project.id}&limit=1000`, "limit");
    await bad(`project_ids[]=${project.id}&after=nope`, "after");
    await bad(`project_ids[]=${project.id}&effective_at[gte]=yesterday`, "effective_at[gte]");
    await bad(`project_ids[]=${project.id}&event_types[]=api_key.exploded`, "event_types[]");
  });
});
