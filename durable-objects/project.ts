// One object per project: the authority for its keys and audit log (built out by the
// key-management work). Here it owns its schema version so later migrations have a base.

import { DurableObject } from "cloudflare:workers";

export const PROJECT_SCHEMA_VERSION = 1;

export class ProjectObject extends DurableObject<Env> {
  constructor(state: DurableObjectState, env: Env) {
    super(state, env);
    state.blockConcurrencyWhile(async () => {
      state.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      state.storage.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", String(PROJECT_SCHEMA_VERSION));
    });
  }

  schemaVersion(): number {
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").one();
    return Number(row.value);
  }
}
