// The edge's side of budgets: reserve a request's worst-case cost (from this isolate's
// lease, or at the project's BudgetObject), and book its real cost when it has ended.
// A key whose record carries no budget version costs nothing; "none" for a key without a
// budget of its own is remembered per (key, version), as any change bumps the version.

import type { ModelEntry } from "../catalog/types.ts";
import { codedError, type ApiError } from "../openai/errors.ts";
import type { InferenceRequest } from "../openai/inference-request.ts";
import { withTimeout } from "../quota/limiter-timeout.ts";
import type { Usage } from "../streaming/usage.ts";
import { hourOf } from "../usage/ledger.ts";
import { budgetHeaders, insufficientQuota } from "./headers.ts";
import { BudgetLeaseHolder, type BudgetSnapshot } from "./lease-holder.ts";
import { upperMicros, worstCaseTokens } from "./price.ts";
import { settleBudgetBatched } from "./settle-batch.ts";
import type { ReserveAnswer, SettleEntry } from "./types.ts";

const BUDGET_TIMEOUT_MS = 2_000;
const CACHE_MAX = 10_000;

/** "project/key" -> the budget version under which the BudgetObject said no budget applies. */
const noBudget = new Map<string, number>();
const holder = new BudgetLeaseHolder(() => `lease_${crypto.randomUUID()}`);

/** Forgets every "no budget" answer in this isolate (tests; a change needs no reset: it bumps the version). */
export function resetBudgetCache(): void {
  noBudget.clear();
}

export const budgetStub = (env: Env, projectId: string): ReturnType<Env["BUDGETS"]["get"]> => env.BUDGETS.get(env.BUDGETS.idFromName(projectId));

export interface BudgetInput {
  projectId: string;
  keyId: string;
  /** The key record's budget version; undefined: the project has no budget. */
  version: number | undefined;
  model: ModelEntry;
  req: InferenceRequest;
  promptEstimate: number;
  /** The request's arrival: its billing hour, and so its month. */
  startedAt: number;
  requestId: string;
}

export interface BudgetReservation {
  /** x-budget-*, once the key or its project has a budget. */
  headers: Record<string, string>;
  /** Books the real cost and gives back the rest of the hold; only the first call counts. */
  book(usage: Usage | null): Promise<void>;
}

const NOTHING: BudgetReservation = { headers: {}, book: () => Promise.resolve() };

const unavailable = (): ApiError =>
  codedError("budget_unavailable", "The project's budget could not be checked right now; try again shortly.", { headers: { "retry-after": "1" } });

/** Reserves the request's worst case, or throws 429 insufficient_quota (503 if the budget cannot be asked). */
export async function reserveBudget(env: Env, input: BudgetInput): Promise<BudgetReservation> {
  const { projectId, keyId, model, version } = input;
  if (version === undefined) return NOTHING;
  const name = `${projectId}/${keyId}`;
  if (noBudget.get(name) === version) return NOTHING;
  const now = Date.now();
  const worst = upperMicros(worstCaseTokens(input.req, model, input.promptEstimate), model.pricing);

  const fromLease = holder.take(name, worst, now);
  if (fromLease !== null) {
    return reservation(env, input, worst, budgetHeaders(fromLease.snapshot), { kind: "lease", id: fromLease.leaseId });
  }
  const ask = holder.beforeReserve(name, `${projectId}/`, now);
  const holdId = `hold_${input.requestId}_${crypto.randomUUID()}`;
  const call = async (): Promise<ReserveAnswer> =>
    (await budgetStub(env, projectId).reserve({ projectId, keyId, holdId, worst, returned: ask.returned, ...(ask.lease ? { lease: ask.lease } : {}) })) as ReserveAnswer;
  let answer: ReserveAnswer;
  try {
    answer = await withTimeout(call(), BUDGET_TIMEOUT_MS, "budget");
  } catch (err) {
    // A lease the object granted to a call that timed out stays held there until HOLD_MS.
    holder.askFailed(name);
    console.log(JSON.stringify({ level: "error", event: "budget_unavailable", project_id: projectId, error: String(err) }));
    throw unavailable();
  }
  if (answer.kind !== "granted") holder.askFailed(name);
  if (answer.kind === "none") {
    if (noBudget.size >= CACHE_MAX) noBudget.clear();
    noBudget.set(name, answer.version);
    return NOTHING;
  }
  if (answer.kind === "refused") throw insufficientQuota(answer);
  holder.afterReserve(name, `${projectId}/`, ask, answer.lease, answer.snapshot, Date.now());
  const seen: BudgetSnapshot = { ...answer.snapshot, remaining: answer.snapshot.remaining + worst + answer.lease };
  return reservation(env, input, worst, budgetHeaders(seen), { kind: "own", id: holdId });
}

function reservation(env: Env, input: BudgetInput, worst: number, headers: Record<string, string>, held: { kind: "own" | "lease"; id: string }): BudgetReservation {
  let booked = false;
  return {
    headers,
    book(usage) {
      if (booked) return Promise.resolve();
      booked = true;
      const { projectId, keyId, model } = input;
      const name = `${projectId}/${keyId}`;
      const now = Date.now();
      let hold: SettleEntry["hold"] = { kind: "own", id: held.id };
      if (held.kind === "lease") {
        // What the booking can add to the spend, at most; the rest of the worst case is free again.
        const used = usage === null ? 0 : Math.min(worst, upperMicros(usage, model.pricing));
        hold = { kind: "lease", id: held.id, release: holder.refund(name, held.id, worst - used, now) ? used : worst };
      }
      const entry: SettleEntry = { keyId, model: model.id, hour: hourOf(input.startedAt), usage, pricing: model.pricing, hold };
      return settleBudgetBatched(projectId, entry, () => budgetStub(env, projectId), (p) => holder.expired(`${p}/`, Date.now()));
    },
  };
}
