// One object per project and model: the authority for its request and token counters
// (built out by the rate-limit work). Here it owns its schema version.

import { DurableObject } from "cloudflare:workers";

export const LIMITER_SCHEMA_VERSION = 1;

export class LimiterObject extends DurableObject<Env> {
  constructor(state: DurableObjectState, env: Env) {
    super(state, env);
    state.blockConcurrencyWhile(async () => {
      state.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      state.storage.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", String(LIMITER_SCHEMA_VERSION));
    });
  }

  schemaVersion(): number {
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").one();
    return Number(row.value);
  }
}
