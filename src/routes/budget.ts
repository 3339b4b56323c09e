// /v1/organization/projects/{project_id}/budget and .../api_keys/{key_id}/budget: read,
// set and delete monthly budgets. The admin sets the project's; the admin or a `keys` key
// of the project sets its keys' (never above the project's). Reading: both.

import { actorOf, requireAdmin } from "../projects/principal.ts";
import { budgetTarget } from "../budget/target.ts";
import { budgetStub } from "../budget/admission.ts";
import { resetKeyCache } from "../auth/authenticate.ts";
import { fromMicros } from "../budget/price.ts";
import type { BudgetLine, BudgetView, SetBudgetInput } from "../budget/types.ts";
import { applyBudgetChange } from "../budget/change.ts";
import { parseBudgetPut } from "../budget/validate.ts";
import { getCatalog } from "../catalog/store.ts";
import { jsonResponse } from "../http/json.ts";
import { codedError } from "../openai/errors.ts";
import type { RouterRequest } from "./context.ts";
import { readManagementBody } from "../projects/management-input.ts";


const amount = (micros: number | null): number | null => (micros === null ? null : fromMicros(micros));

function lineObject(l: BudgetLine | null, spent: number) {
  return {
    limit: amount(l?.limit ?? null),
    spent: fromMicros(spent),
    held: fromMicros(l?.held ?? 0),
    leased: fromMicros(l?.leased ?? 0),
    remaining: l === null ? null : fromMicros(Math.max(0, l.limit - spent)),
    thresholds: l?.thresholds ?? [],
  };
}

function projectBudgetObject(projectId: string, v: BudgetView, currency: string) {
  return {
    object: "organization.project.budget",
    project_id: projectId,
    month: v.month,
    resets_at: Math.floor(v.reset / 1000),
    currency: v.project?.currency ?? currency,
    ...lineObject(v.project, v.spent),
    api_keys: v.keys.map((k) => ({ api_key_id: k.api_key_id, ...lineObject(k, v.spentByKey[k.api_key_id ?? ""] ?? 0) })),
  };
}

function keyBudgetObject(projectId: string, keyId: string, v: BudgetView, currency: string) {
  const line = v.keys.find((k) => k.api_key_id === keyId) ?? null;
  return {
    object: "organization.project.api_key.budget",
    project_id: projectId,
    api_key_id: keyId,
    month: v.month,
    resets_at: Math.floor(v.reset / 1000),
    currency: line?.currency ?? currency,
    ...lineObject(line, v.spentByKey[keyId] ?? 0),
  };
}

async function currencyOf(env: Env, ctx: ExecutionContext): Promise<string> {
  const { catalog } = await getCatalog(env, ctx);
  return catalog.models[0]?.pricing.currency ?? "EUR";
}

const respond = async (env: Env, ctx: ExecutionContext, projectId: string, keyId: string | null, v: BudgetView): Promise<Response> => {
  const currency = await currencyOf(env, ctx);
  return jsonResponse(keyId === null ? projectBudgetObject(projectId, v, currency) : keyBudgetObject(projectId, keyId, v, currency));
};

export async function getBudget(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { projectId, keyId } = await budgetTarget(request, env);
  return respond(env, ctx, projectId, keyId, await budgetStub(env, projectId).view());
}

type Wanted = { limit: SetBudgetInput["limit"]; thresholds: number[] };

/** Who may change it is settled before the body is read: strangers learn nothing from its errors. */
async function change(request: RouterRequest, env: Env, ctx: ExecutionContext, wanted: () => Promise<Wanted>): Promise<Response> {
  const { principal, projectId, keyId } = await budgetTarget(request, env);
  if (keyId === null) requireAdmin(principal);
  const { limit, thresholds } = await wanted();
  const currency = await currencyOf(env, ctx);
  const outcome = await applyBudgetChange(env, ctx, { projectId, keyId, limit, thresholds, currency, actor: actorOf(principal) });
  // This isolate reads its keys' new budget version at once; every other within KEY_TRUST_MS.
  resetKeyCache();
  if (!outcome.ok) {
    throw codedError("budget_above_project", `A key's budget cannot be above its project's budget of ${fromMicros(outcome.limit ?? 0)} per month.`, { param: "amount" });
  }
  return respond(env, ctx, projectId, keyId, outcome.view);
}

export const putBudget = (request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> =>
  change(request, env, ctx, async () => parseBudgetPut(await readManagementBody(request)));

export const deleteBudget = (request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> =>
  change(request, env, ctx, () => Promise.resolve({ limit: null, thresholds: [] }));
