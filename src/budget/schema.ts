// The BudgetObject's SQLite schema, one list of statements per version (docs/design/budgets.md).

export const BUDGET_SCHEMA_VERSION = 2;
/** The `scope` of the project's own budget; every other scope is a key id. */
export const PROJECT_SCOPE = "";

export const BUDGET_SCHEMA: readonly (readonly string[])[] = [
  ["CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"],
  [
    "CREATE TABLE budgets (scope TEXT PRIMARY KEY, limit_micros INTEGER NOT NULL, thresholds TEXT NOT NULL, currency TEXT NOT NULL)",
    `CREATE TABLE spend_rows (hour INTEGER NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, month TEXT NOT NULL,
       prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, micros INTEGER NOT NULL, PRIMARY KEY (hour, key_id, model))`,
    "CREATE INDEX spend_rows_by_month ON spend_rows (month)",
    "CREATE TABLE spend (month TEXT NOT NULL, scope TEXT NOT NULL, micros INTEGER NOT NULL, PRIMARY KEY (month, scope))",
    "CREATE TABLE holds (id TEXT PRIMARY KEY, month TEXT NOT NULL, key_id TEXT NOT NULL, micros INTEGER NOT NULL, lease INTEGER NOT NULL, until INTEGER NOT NULL)",
    `CREATE TABLE alerts (id TEXT PRIMARY KEY, month TEXT NOT NULL, scope TEXT NOT NULL, threshold INTEGER NOT NULL, body TEXT NOT NULL,
       audited INTEGER NOT NULL, queued INTEGER NOT NULL, UNIQUE (month, scope, threshold))`,
    "CREATE TABLE applied (id TEXT PRIMARY KEY, at INTEGER NOT NULL)",
    "CREATE INDEX applied_by_time ON applied (at)",
    "CREATE TABLE webhook (id INTEGER PRIMARY KEY CHECK (id = 1), url TEXT NOT NULL, secret TEXT NOT NULL, created_at INTEGER NOT NULL)",
  ],
];
