// The budget as a gate in front of another admission step (the rate limiter): the worst
// case is reserved first, so a request the budget refuses never touches the limiter and
// is told `insufficient_quota` (not to be retried), never a retryable rate limit that a
// side-by-side refund would leave behind for a moment.

import type { AdmissionInput, AdmissionStep, Reservation } from "../inference/record.ts";
import { ApiError } from "../openai/errors.ts";
import { peekHeaders } from "../quota/peek.ts";
import { reserveBudget } from "./admission.ts";

export function withBudget(next: AdmissionStep): AdmissionStep {
  // A key whose record carries no budget version has no budget to reserve against: the
  // next step's reservation goes out as it is, with no frame, promise or copy around it.
  return (env, input) => (input.key.budget === undefined ? next(env, input) : budgetThen(next, env, input));
}

async function budgetThen(next: AdmissionStep, env: Env, input: AdmissionInput): Promise<Reservation> {
  const { key, model } = input;
  let budget;
  try {
    budget = await reserveBudget(env, {
      projectId: key.project_id,
      keyId: key.key_id,
      version: key.budget,
      model,
      req: input.req,
      promptEstimate: input.promptEstimate,
      startedAt: input.startedAt,
      requestId: input.requestId,
    });
  } catch (err) {
    // A refusal names a model, so it carries the limit headers too; it spent nothing there.
    if (err instanceof ApiError) Object.assign(err.headers, await peekHeaders(env, key.project_id, model, key.limits?.[model.id]), { ...err.headers });
    throw err;
  }
  let inner;
  try {
    inner = await next(env, input);
  } catch (err) {
    await budget.book(null);
    throw err;
  }
  return {
    headers: { ...inner.headers, ...budget.headers },
    book: (record) => Promise.all([inner.book(record), budget.book(record.usage)]).then(() => undefined),
  };
}
