import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { KeyClaimObject } from "../../durable-objects/key-claim.ts";
import { hashKey } from "../../src/auth/api-key.ts";
import { CLAIM_SETTLE_MS } from "../../src/auth/key-claim.ts";
import { ADMIN_TOKEN, call, createProject, seedCatalog, testEnv } from "./helpers.ts";

beforeAll(() => seedCatalog());

/** A chosen secret belongs to one key in all projects, whatever the timing. */
describe("chosen secrets are unique across projects", () => {
  const chosen = (): string => `sk-eir-uniq${crypto.randomUUID().replaceAll("-", "")}`;
  const create = (projectId: string, value: string) =>
    call(`/v1/organization/projects/${projectId}/api_keys`, { method: "POST", key: ADMIN_TOKEN, json: { name: "chosen", value, scopes: ["keys", "inference"] } });
  /** The project a secret authenticates as: only its own project's key list answers 200. */
  const listsAs = async (value: string, projectId: string): Promise<number> => (await call(`/v1/organization/projects/${projectId}/api_keys`, { key: value })).status;

  it("accepts exactly one of two concurrent creates with the same value in two projects", async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 10; round++) {
      const [a, b] = await Promise.all([createProject(), createProject()]);
      const value = chosen();
      const [ra, rb] = await Promise.all([create(a.id, value), create(b.id, value)]);
      outcomes.push([ra.status, rb.status].sort().join("/"));
      const winner = ra.status === 200 ? a.id : b.id;
      await Promise.all([ra.text(), rb.text()]);
      expect(await listsAs(value, winner)).toBe(200);
    }
    expect(outcomes).toEqual(Array(10).fill("200/409"));
  });

  it("accepts exactly one of two concurrent creates with the same value in one project", async () => {
    const a = await createProject();
    const value = chosen();
    const statuses = (await Promise.all([create(a.id, value), create(a.id, value)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
  });

  it("frees a secret when its key is deleted or rotated, so another project may take it", async () => {
    const [a, b, c] = await Promise.all([createProject(), createProject(), createProject()]);
    const value = chosen();
    const first = (await (await create(a.id, value)).json()) as { id: string };
    expect((await create(b.id, value)).status).toBe(409);
    expect((await call(`/v1/organization/projects/${a.id}/api_keys/${first.id}`, { method: "DELETE", key: ADMIN_TOKEN })).status).toBe(200);
    const second = (await (await create(b.id, value)).json()) as { id: string };
    expect(second.id).toBeDefined();
    expect(await listsAs(value, b.id)).toBe(200);
    // Rotating gives the key a new secret; the old one is free again.
    expect((await call(`/v1/organization/projects/${b.id}/api_keys/${second.id}/rotate`, { method: "POST", key: ADMIN_TOKEN })).status).toBe(200);
    expect((await create(c.id, value)).status).toBe(200);
    expect(await listsAs(value, c.id)).toBe(200);
    expect(await listsAs(value, b.id)).toBe(404);
  });

  it("answers 409 naming 'value' when the secret is taken", async () => {
    const [a, b] = await Promise.all([createProject(), createProject()]);
    const value = chosen();
    expect((await create(a.id, value)).status).toBe(200);
    const res = await create(b.id, value);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: "api_key_exists", param: "value" });
  });
});

describe("the claim object's recovery", () => {
  const chosen = (): string => `sk-eir-claim${crypto.randomUUID().replaceAll("-", "")}`;
  const claims = (hash: string) => testEnv.KEY_CLAIMS.get(testEnv.KEY_CLAIMS.idFromName(hash));
  const create = (projectId: string, value: string) =>
    call(`/v1/organization/projects/${projectId}/api_keys`, { method: "POST", key: ADMIN_TOKEN, json: { name: "chosen", value } });
  const plant = (hash: string, holder: { project_id: string; key_id: string; claimed_at: number }) =>
    runInDurableObject(claims(hash), (_o: KeyClaimObject, state) => {
      state.storage.sql.exec("INSERT OR REPLACE INTO holder (one, project_id, key_id, claimed_at) VALUES (1, ?, ?, ?)", holder.project_id, holder.key_id, holder.claimed_at);
    });

  it("takes over an old claim whose project never committed the key, but not a young one", async () => {
    const [a, b] = await Promise.all([createProject(), createProject()]);
    const young = chosen();
    await plant(await hashKey(young), { project_id: b.id, key_id: "key_never_committed", claimed_at: Date.now() });
    expect((await create(a.id, young)).status).toBe(409);
    const old = chosen();
    await plant(await hashKey(old), { project_id: b.id, key_id: "key_never_committed", claimed_at: Date.now() - CLAIM_SETTLE_MS - 1 });
    const res = await create(a.id, old);
    expect(res.status).toBe(200);
    expect(await claims(await hashKey(old)).holder()).toMatchObject({ project_id: a.id, key_id: ((await res.json()) as { id: string }).id });
  });

  it("keeps a key from before claims existed: its secret stays taken", async () => {
    const [a, b] = await Promise.all([createProject(), createProject()]);
    const value = chosen();
    expect((await create(a.id, value)).status).toBe(200);
    const hash = await hashKey(value);
    // What a key created before this object existed looks like: no claim at all.
    await runInDurableObject(claims(hash), (_o: KeyClaimObject, state) => void state.storage.sql.exec("DELETE FROM holder"));
    expect((await create(b.id, value)).status).toBe(409);
    expect(await claims(hash).holder()).toMatchObject({ project_id: a.id });
  });
});
