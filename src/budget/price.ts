// What a request costs in micro-units of the catalog's currency: the usage API's own
// pricing function (usage/report.ts `cost`), and the most a request can cost before it runs.

import type { ModelEntry } from "../catalog/types.ts";
import type { InferenceRequest } from "../openai/inference-request.ts";
import { choicesOf } from "../quota/estimate.ts";
import type { Usage } from "../streaming/usage.ts";
import { cost, type Pricing } from "../usage/report.ts";

export const MICROS = 1_000_000;

/** Micro-units for an amount the usage API would show (it rounds to a millionth). */
export const toMicros = (amount: number): number => Math.round(amount * MICROS);
export const fromMicros = (micros: number): number => micros / MICROS;

/** Exactly the usage API's amount for these tokens, in micro-units. */
export const priceMicros = (u: Usage, p: Pricing): number => toMicros(cost({ promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens }, p));

/**
 * An upper bound on what one request adds to the month's spend once it is booked. The
 * ledger rounds per (hour, key, model) row, so adding a request to a row can move the
 * row's rounded cost by up to one micro more than the request's own exact price.
 */
export const upperMicros = (u: Usage, p: Pricing): number =>
  Math.ceil(u.prompt_tokens * p.input_per_million + u.completion_tokens * p.output_per_million) + 1;

/** Prompt items an origin counts separately: each one may fill the context on its own. */
function promptItems(req: InferenceRequest): number {
  if (req.endpoint === "chat") return 1;
  const v = req.endpoint === "completion" ? req.body.prompt : req.body.input;
  if (!Array.isArray(v) || v.length === 0 || v.every((t) => typeof t === "number")) return 1;
  return v.length;
}

/**
 * The most the request can be billed, in tokens: every prompt item as long as the context,
 * every choice as long as max_tokens allows (or the context), and never less than what the
 * router bills from its own estimate when the origin sends no usage.
 */
export function worstCaseTokens(req: InferenceRequest, model: Pick<ModelEntry, "context_length">, promptEstimate: number): Usage {
  const ctx = model.context_length;
  const perChoice = Math.min(req.maxTokens ?? ctx, ctx);
  return { prompt_tokens: Math.max(ctx * promptItems(req), promptEstimate), completion_tokens: perChoice * choicesOf(req) };
}
