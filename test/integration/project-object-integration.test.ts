import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PROJECT_SCHEMA_VERSION, ProjectObject } from "../../durable-objects/project.ts";
import { testEnv } from "./helpers.ts";

const admin = { type: "admin" } as const;

describe("ProjectObject storage", () => {
  it("starts a new object at the current schema version", async () => {
    const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(`proj_schema_${Date.now()}`));
    expect(await stub.schemaVersion()).toBe(PROJECT_SCHEMA_VERSION);
  });

  it("migrates an object left at schema version 1 (the foundation's empty skeleton)", async () => {
    const id = `proj_v1_${Date.now()}`;
    const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(id));
    await runInDurableObject(stub, async (_instance: ProjectObject, state) => {
      // Put the storage back to what the foundation's object wrote.
      for (const t of ["project", "api_keys", "audit_log", "tracing"]) state.storage.sql.exec(`DROP TABLE ${t}`);
      state.storage.sql.exec("UPDATE meta SET value = '1' WHERE key = 'schema_version'");
      const fresh = new ProjectObject(state, env);
      await state.blockConcurrencyWhile(async () => {});
      expect(fresh.schemaVersion()).toBe(PROJECT_SCHEMA_VERSION);
      expect((await fresh.createProject({ id, name: "migrated", limits: {}, actor: admin })).ok).toBe(true);
      expect(fresh.getProject()).toMatchObject({ id, name: "migrated", status: "active" });
    });
  });
});
