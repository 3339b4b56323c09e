import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { migrate, storedVersion, type Migration } from "../../src/storage/migrate.ts";

// Runs against a limiter object's storage, on tables of the test's own.
const stub = () => env.LIMITERS.get(env.LIMITERS.idFromName(`migrate_${crypto.randomUUID()}`));
const tables = (sql: SqlStorage): string[] =>
  sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't_%' ORDER BY name").toArray().map((r) => r.name);

const V1: Migration = { version: 1, statements: ["CREATE TABLE t_one (a INTEGER)"] };
const V2: Migration = { version: 2, statements: ["CREATE TABLE t_two (b INTEGER)", "INSERT INTO t_two (b) VALUES (2)"] };

describe("migrate", () => {
  it("applies only the versions above the stored one, in order, and stamps the newest", async () => {
    await runInDurableObject(stub(), async (_o, state) => {
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'schema_version'");
      expect(migrate(state.storage, [V1])).toBe(1);
      expect(tables(state.storage.sql)).toEqual(["t_one"]);
      // Version 1 is not run again (its CREATE TABLE would throw), version 2 is.
      expect(migrate(state.storage, [V1, V2])).toBe(2);
      expect(tables(state.storage.sql)).toEqual(["t_one", "t_two"]);
      expect(storedVersion(state.storage.sql)).toBe(2);
    });
  });

  it("never stamps a lower version than the stored one (older code after a roll-back)", async () => {
    await runInDurableObject(stub(), async (_o, state) => {
      state.storage.sql.exec("UPDATE meta SET value = '7' WHERE key = 'schema_version'");
      expect(migrate(state.storage, [V1, V2])).toBe(7);
      expect(storedVersion(state.storage.sql)).toBe(7);
      expect(tables(state.storage.sql)).toEqual([]);
    });
  });

  it("applies a failing migration not at all: its earlier statements and the stamp roll back", async () => {
    await runInDurableObject(stub(), async (_o, state) => {
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'schema_version'");
      const broken: Migration = { version: 2, statements: ["CREATE TABLE t_half (c INTEGER)", "THIS IS NOT SQL"] };
      expect(() => migrate(state.storage, [V1, broken])).toThrow();
      expect(tables(state.storage.sql)).toEqual([]);
      expect(storedVersion(state.storage.sql)).toBe(0);
    });
  });

  it("refuses a list out of order", async () => {
    await runInDurableObject(stub(), async (_o, state) => {
      expect(() => migrate(state.storage, [V2, V1])).toThrow(/out of order/);
    });
  });
});
