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

  it("builds every table in an object that has none yet (schema version 0)", async () => {
    const id = `proj_v1_${Date.now()}`;
    const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(id));
    await runInDurableObject(stub, async (_instance: ProjectObject, state) => {
      const sql = state.storage.sql;
      for (const { name } of sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'sqlite_sequence') AND name NOT LIKE '_cf_%'").toArray()) sql.exec(`DROP TABLE ${name}`);
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'schema_version'");
      const fresh = new ProjectObject(state, env);
      await state.blockConcurrencyWhile(async () => {});
      expect(fresh.schemaVersion()).toBe(PROJECT_SCHEMA_VERSION);
      expect((await fresh.createProject({ id, name: "migrated", limits: {}, actor: admin })).ok).toBe(true);
      expect(fresh.getProject()).toMatchObject({ id, name: "migrated", status: "active" });
    });
  });
});
