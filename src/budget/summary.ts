// A budget as it shows in a project or key object: the month's limit, what was spent and
// what remains, priced exactly as the usage API's `amount` (the budget endpoints say more).

import { budgetStub } from "./admission.ts";
import { fromMicros } from "./price.ts";
import type { BudgetView } from "./types.ts";

export interface BudgetSummary {
  limit: number;
  spent: number;
  remaining: number;
  currency: string;
  /** The first instant of next month (UTC), unix seconds. */
  resets_at: number;
}

/** The project's budget (keyId null) or one key's, from a view; null where none is set. */
export function summaryOf(v: BudgetView, keyId: string | null): BudgetSummary | null {
  const line = keyId === null ? v.project : (v.keys.find((k) => k.api_key_id === keyId) ?? null);
  if (line === null) return null;
  const spent = keyId === null ? v.spent : (v.spentByKey[keyId] ?? 0);
  return { limit: fromMicros(line.limit), spent: fromMicros(spent), remaining: fromMicros(Math.max(0, line.limit - spent)), currency: line.currency, resets_at: Math.floor(v.reset / 1000) };
}

/** One read of the project's budget object; a single project or key read pays it, lists do not. */
export async function budgetSummary(env: Env, projectId: string, keyId: string | null): Promise<BudgetSummary | null> {
  return summaryOf(await budgetStub(env, projectId).view(), keyId);
}
