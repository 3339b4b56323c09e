// The budget's response headers and its refusal: 429 insufficient_quota, not to be retried.

import { codedError, type ApiError } from "../openai/errors.ts";
import type { BudgetSnapshot } from "./lease-holder.ts";
import { monthOf } from "./month.ts";
import { fromMicros, MICROS } from "./price.ts";

/**
 * An amount as the API shows it: currency units, at most six decimals, no trailing zeros.
 * Built from the integer micro-units by hand: it runs for every budgeted response, and
 * toFixed with two regular expressions cost more than the rest of the lease path.
 */
export const amountText = (micros: number): string => {
  if (!Number.isSafeInteger(micros)) {
    const s = fromMicros(micros).toFixed(6);
    return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  }
  const m = Math.abs(micros);
  const whole = Math.floor(m / MICROS);
  let frac = m - whole * MICROS;
  const sign = micros < 0 ? "-" : "";
  if (frac === 0) return `${sign}${whole}`;
  let digits = 6;
  while (frac % 10 === 0) (frac /= 10, digits--);
  return `${sign}${whole}.${String(frac).padStart(digits, "0")}`;
};

/** A month's reset instant as text; there are only ever one or two in use. */
const resets = new Map<number, string>();
const resetText = (ms: number): string => {
  let t = resets.get(ms);
  if (t === undefined) {
    if (resets.size >= 8) resets.clear();
    t = new Date(ms).toISOString().replace(".000Z", "Z");
    resets.set(ms, t);
  }
  return t;
};

/** x-budget-*: the budget that binds this request (the key's or the project's), before it. */
export function budgetHeaders(s: BudgetSnapshot): Record<string, string> {
  return {
    "x-budget-limit": amountText(s.limit),
    "x-budget-remaining": amountText(Math.max(0, s.remaining)),
    "x-budget-reset": resetText(s.reset),
    "x-budget-scope": s.scope,
  };
}

export interface Refusal {
  scope: "project" | "key";
  limit: number;
  spent: number;
  held: number;
  worst: number;
  reset: number;
  currency: string;
}

export function insufficientQuota(r: Refusal): ApiError {
  const { held } = r;
  const whose = r.scope === "project" ? "the project's monthly budget" : "this API key's monthly budget";
  const month = monthOf(r.reset - 1).id;
  const c = r.currency;
  return codedError(
    "insufficient_quota",
    `This request could cost up to ${amountText(r.worst)} ${c}, more than is left of ${whose}: ` +
      `${amountText(r.spent)} ${c} of ${amountText(r.limit)} ${c} spent in ${month}` +
      (held > 0 ? ` and ${amountText(held)} ${c} held by requests in flight` : "") +
      `. The budget resets at ${resetText(r.reset)}. A lower max_tokens lowers what a request can cost.`,
    {
      headers: {
        "x-should-retry": "false",
        ...budgetHeaders({ scope: r.scope, limit: r.limit, remaining: r.limit - r.spent - held, reset: r.reset }),
      },
    },
  );
}
