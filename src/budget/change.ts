// A budget change as the management API makes it: the project's budget version around the
// BudgetObject's change, and the month's ledger brought along when it is the first budget.

import { getCatalog } from "../catalog/store.ts";
import { projectStub } from "../projects/wire.ts";
import { limiterStub } from "../quota/limiter-stub.ts";
import { usageUnavailable } from "../usage/query.ts";
import { budgetStub } from "./admission.ts";
import { monthOf } from "./month.ts";
import { priceMicros } from "./price.ts";
import type { SetBudgetInput, SetBudgetOutcome } from "./types.ts";

/** This month's usage from the ledger, priced as the usage API prices it: where spend starts. */
async function ledgerSeed(env: Env, ctx: ExecutionContext, projectId: string): Promise<NonNullable<SetBudgetInput["seed"]>> {
  const { catalog } = await getCatalog(env, ctx);
  const month = monthOf(Date.now());
  try {
    const perModel = await Promise.all(
      catalog.models.map(async (m) => {
        const rows = await limiterStub(env, projectId, m.id).usage({ fromHour: month.start, toHour: month.reset });
        return rows.map((r) => ({ hour: r.hour, keyId: r.keyId, model: m.id, promptTokens: r.promptTokens, completionTokens: r.completionTokens, micros: priceMicros({ prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens }, m.pricing) }));
      }),
    );
    return perModel.flat();
  } catch {
    throw usageUnavailable();
  }
}

/**
 * One budget change, ordered so that a failure part-way errs on the enforcing side: the key
 * records announce a budget (a new version) before it is set, and say "none" only after the
 * last one is gone. The BudgetObject learns the version with the change, so a "none" it gave
 * before the change is never trusted for the new version.
 */
export async function applyBudgetChange(env: Env, ctx: ExecutionContext, change: Omit<SetBudgetInput, "version" | "seed">): Promise<SetBudgetOutcome> {
  const project = projectStub(env, change.projectId);
  const input: SetBudgetInput = { ...change, version: await project.budgetChanged({ active: true }) };
  const stub = budgetStub(env, change.projectId);
  let outcome = await stub.setBudget(input);
  if (!outcome.ok && outcome.reason === "needs_seed") outcome = await stub.setBudget({ ...input, seed: await ledgerSeed(env, ctx, change.projectId) });
  if (outcome.ok && outcome.view.project === null && outcome.view.keys.length === 0) await project.budgetChanged({ active: false });
  return outcome;
}
