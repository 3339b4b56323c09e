// The BudgetObject's spend tables: a row per (hour, key, model) priced as the usage API
// prices it, and per month and scope the sum of what the rows' prices grew by.

import { bookRow } from "../src/budget/book.ts";
import type { Month } from "../src/budget/month.ts";
import { monthOf } from "../src/budget/month.ts";
import { PROJECT_SCOPE } from "../src/budget/schema.ts";
import type { RowSum } from "../src/budget/settle-sum.ts";
import type { SetBudgetInput } from "../src/budget/types.ts";

const ADD_SPEND = "INSERT INTO spend (month, scope, micros) VALUES (?, ?, ?) ON CONFLICT (month, scope) DO UPDATE SET micros = micros + excluded.micros";
const PUT_ROW = "INSERT OR REPLACE INTO spend_rows (hour, key_id, model, month, prompt_tokens, completion_tokens, micros) VALUES (?, ?, ?, ?, ?, ?, ?)";

/** Adds a row's new tokens; the project's and the key's spend grow by the row's price change. */
export function bookSpend(sql: SqlStorage, r: RowSum): void {
  const month = monthOf(r.hour).id;
  const old = sql.exec<{ p: number; c: number; m: number }>(
    "SELECT prompt_tokens AS p, completion_tokens AS c, micros AS m FROM spend_rows WHERE hour = ? AND key_id = ? AND model = ?", r.hour, r.keyId, r.model,
  ).toArray()[0];
  const { row, delta } = bookRow(old && { promptTokens: old.p, completionTokens: old.c, micros: old.m }, r.usage, r.pricing);
  sql.exec(PUT_ROW, r.hour, r.keyId, r.model, month, row.promptTokens, row.completionTokens, row.micros);
  for (const scope of [PROJECT_SCOPE, r.keyId]) sql.exec(ADD_SPEND, month, scope, delta);
}

/** Spend was not tracked while the project had no budget: the month starts from the usage ledger. */
export function seedMonth(sql: SqlStorage, month: Month, rows: NonNullable<SetBudgetInput["seed"]>): void {
  sql.exec("DELETE FROM spend_rows WHERE month = ?", month.id);
  sql.exec("DELETE FROM spend WHERE month = ?", month.id);
  for (const r of rows) {
    if (monthOf(r.hour).id !== month.id) continue;
    sql.exec(PUT_ROW, r.hour, r.keyId, r.model, month.id, r.promptTokens, r.completionTokens, r.micros);
    for (const scope of [PROJECT_SCOPE, r.keyId]) sql.exec(ADD_SPEND, month.id, scope, r.micros);
  }
}
