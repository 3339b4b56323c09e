import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createApiKey, createProject, expectError, seedCatalog } from "./helpers.ts";

beforeAll(() => seedCatalog());

/** Who may do what on the management API: admin, management key, inference key, another project's key, no key. */
describe("management permissions", () => {
  async function setup() {
    const project = await createProject();
    const other = await createProject();
    // A key may grant only what it has: this manager may mint inference keys.
    const manager = await createApiKey(project.id, { name: "manager", scopes: ["keys", "inference"] });
    const inference = await createApiKey(project.id, { name: "inference", scopes: ["inference", "usage"] });
    const foreign = await createApiKey(other.id, { name: "foreign", scopes: ["keys", "inference"] });
    return { project, other, manager, inference, foreign };
  }
  const keys = (p: string) => `/v1/organization/projects/${p}/api_keys`;

  it("lets a management key manage its own project's keys", async () => {
    const { project, manager } = await setup();
    const k = await createApiKey(project.id, { name: "made-by-manager" }, manager.value);
    expect((await call(keys(project.id), { key: manager.value })).status).toBe(200);
    expect((await call(`${keys(project.id)}/${k.id}`, { method: "PATCH", key: manager.value, json: { name: "x" } })).status).toBe(200);
    expect((await call(`${keys(project.id)}/${k.id}/rotate`, { method: "POST", key: manager.value })).status).toBe(200);
    expect((await call(`${keys(project.id)}/${k.id}`, { method: "DELETE", key: manager.value })).status).toBe(200);
    expect((await call(`/v1/organization/projects/${project.id}`, { key: manager.value })).status).toBe(200);
    expect((await call("/v1/organization/audit_logs", { key: manager.value })).status).toBe(200);
  });

  it("keeps project administration to the admin", async () => {
    const { project, manager } = await setup();
    await expectError(await call("/v1/organization/projects", { method: "POST", key: manager.value, json: { name: "mine" } }), 403, "admin_only");
    await expectError(
      await call(`/v1/organization/projects/${project.id}`, { method: "PATCH", key: manager.value, json: { limits: { "test-chat": { rpm: 1e6, tpm: 1e9 } } } }),
      403,
      "admin_only",
    );
    await expectError(await call(keys(project.id), { method: "POST", key: manager.value, json: { name: "x", value: `sk-eir-${"a".repeat(30)}` } }), 400, "unknown_parameter");
  });

  it("lets an inference key manage nothing", async () => {
    const { project, inference } = await setup();
    await expectError(await call(keys(project.id), { key: inference.value }), 403, "insufficient_scope");
    await expectError(await call(keys(project.id), { method: "POST", key: inference.value, json: { name: "x" } }), 403, "insufficient_scope");
    await expectError(await call("/v1/organization/audit_logs", { key: inference.value }), 403, "insufficient_scope");
  });

  it("hides another project's resources as if they did not exist", async () => {
    const { project, other, manager, foreign } = await setup();
    await expectError(await call(keys(project.id), { key: foreign.value }), 404, "project_not_found");
    await expectError(await call(`${keys(project.id)}/${manager.id}`, { method: "DELETE", key: foreign.value }), 404, "project_not_found");
    await expectError(await call(`/v1/organization/projects/${project.id}`, { key: foreign.value }), 404, "project_not_found");
    await expectError(await call(`/v1/organization/audit_logs?project_ids[]=${project.id}`, { key: foreign.value }), 404, "project_not_found");
    // A key id from another project is unknown in one's own.
    await expectError(await call(`${keys(other.id)}/${manager.id}`, { key: foreign.value }), 404, "api_key_not_found");
  });

  it("answers 401 without a key or with a wrong one, never telling which part was wrong", async () => {
    const { project } = await setup();
    await expectError(await call(keys(project.id)), 401, "missing_api_key");
    await expectError(await call(keys(project.id), { key: "not-a-key" }), 401, "invalid_api_key");
    await expectError(await call(keys(project.id), { key: `sk-eir-${"x".repeat(40)}` }), 401, "invalid_api_key");
    await expectError(await call(keys(project.id), { key: `${ADMIN_TOKEN}x` }), 401, "invalid_api_key");
  });

  it("does not let a model-restricted manager mint a wider key", async () => {
    const { project } = await setup();
    const narrow = await createApiKey(project.id, { scopes: ["keys", "inference"], models: ["test-chat"] });
    await expectError(await call(keys(project.id), { method: "POST", key: narrow.value, json: { name: "wide" } }), 403, "model_not_allowed");
    expect((await call(keys(project.id), { method: "POST", key: narrow.value, json: { name: "ok", models: ["test-chat"] } })).status).toBe(200);
  });

  it("answers 405 with Allow for a wrong method on a management path", async () => {
    const { project } = await setup();
    const res = await call(keys(project.id), { method: "PUT", key: ADMIN_TOKEN });
    await expectError(res, 405, "method_not_allowed");
  });
});
