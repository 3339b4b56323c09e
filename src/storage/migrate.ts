// One migration shape for every Durable Object: numbered lists of SQL statements, applied
// in order from the stored version inside one transaction, so an object never runs on a
// half-migrated schema. A stored version above the newest known (code rolled back) is
// left as it is: the code never stamps a lower version than the one it found.

export interface Migration {
  version: number;
  statements: readonly string[];
}

const META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

/** The stored schema version; 0 for an object that has none yet. */
export function storedVersion(sql: SqlStorage): number {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
  return row === undefined ? 0 : Number(row.value);
}

/** The newest version of a list of migrations, which must be in strictly ascending order. */
export function latestVersion(migrations: readonly Migration[]): number {
  let last = 0;
  for (const m of migrations) {
    if (m.version <= last) throw new Error(`migrations out of order at version ${m.version}`);
    last = m.version;
  }
  return last;
}

/** Brings the object's schema up to the newest migration; returns the version it runs on. */
export function migrate(storage: DurableObjectStorage, migrations: readonly Migration[]): number {
  latestVersion(migrations);
  return storage.transactionSync(() => {
    const sql = storage.sql;
    sql.exec(META);
    const from = storedVersion(sql);
    let version = from;
    for (const m of migrations) {
      if (m.version <= version) continue;
      for (const stmt of m.statements) sql.exec(stmt);
      version = m.version;
    }
    if (version > from) sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(version));
    return version;
  });
}
