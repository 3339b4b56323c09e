// The project object's budget version (meta, no table of its own): whether the project has
// any budget, and a number that grows on every budget change, carried in every key record
// so that the edge asks the BudgetObject only for projects that have one (docs/design/budgets.md).

const read = (sql: SqlStorage, key: string): number => Number(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? 0);

/**
 * The key record's budget flag: the version while the project has a budget, absent when not.
 * A project created before budgets were announced here (no `budget_active` yet) may have one:
 * its records say version 0, so the edge asks once per key and isolate and then remembers.
 */
export function budgetFlag(sql: SqlStorage): { budget?: number } {
  const meta = new Map(sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key IN ('budget_active', 'budget_version')").toArray().map((r) => [r.key, r.value]));
  const active = meta.get("budget_active");
  if (active === undefined) return { budget: 0 };
  return active === "1" ? { budget: Number(meta.get("budget_version") ?? 0) } : {};
}

/** A new project has no budget: its requests pay nothing for budgets until one is set. */
export function initBudget(sql: SqlStorage): void {
  sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('budget_active', '0')");
}

/** Bumps the version and records whether any budget is (about to be) in force; returns the new version. */
export function markBudget(sql: SqlStorage, active: boolean): number {
  const version = read(sql, "budget_version") + 1;
  sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('budget_version', ?)", String(version));
  sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('budget_active', ?)", active ? "1" : "0");
  return version;
}
