// The BudgetObject's SQLite schema in the shared migration shape (docs/design/budgets.md has
// each table's meaning and units).

import type { Migration } from "../storage/migrate.ts";

/** The `scope` of the project's own budget; every other scope is a key id. */
export const PROJECT_SCOPE = "";

/**
 * Tables (money in micro-units of the catalog's currency, times in unix ms):
 * - budgets: one per scope (the project "" or a key id): limit, alert thresholds, currency.
 * - spend_rows: what was booked per (hour, key, model), priced as the usage API prices it.
 * - spend: this month's total per scope, the sum of its rows.
 * - holds: worst cases held by requests in flight and leases, until they settle or expire.
 * - alerts: thresholds reached, once per month and scope, with their delivery state.
 * - applied: settle batch ids already booked (an hour), so a retry books nothing.
 * - webhook: at most one alert destination and its signing secret.
 */
export const BUDGET_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
    "CREATE TABLE budgets (scope TEXT PRIMARY KEY, limit_micros INTEGER NOT NULL, thresholds TEXT NOT NULL, currency TEXT NOT NULL)",
    "CREATE TABLE spend_rows (hour INTEGER NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, month TEXT NOT NULL," +
       " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, micros INTEGER NOT NULL, PRIMARY KEY (hour, key_id, model))",
    "CREATE INDEX spend_rows_by_month ON spend_rows (month)",
    "CREATE TABLE spend (month TEXT NOT NULL, scope TEXT NOT NULL, micros INTEGER NOT NULL, PRIMARY KEY (month, scope))",
    "CREATE TABLE holds (id TEXT PRIMARY KEY, month TEXT NOT NULL, key_id TEXT NOT NULL, micros INTEGER NOT NULL, lease INTEGER NOT NULL, until INTEGER NOT NULL)",
    "CREATE TABLE alerts (id TEXT PRIMARY KEY, month TEXT NOT NULL, scope TEXT NOT NULL, threshold INTEGER NOT NULL, body TEXT NOT NULL," +
       " audited INTEGER NOT NULL, queued INTEGER NOT NULL, UNIQUE (month, scope, threshold))",
    "CREATE TABLE applied (id TEXT PRIMARY KEY, at INTEGER NOT NULL)",
    "CREATE INDEX applied_by_time ON applied (at)",
    "CREATE TABLE webhook (id INTEGER PRIMARY KEY CHECK (id = 1), url TEXT NOT NULL, secret TEXT NOT NULL, created_at INTEGER NOT NULL)",
    ],
  },
];
