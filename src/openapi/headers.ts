// The response headers of the API: rate limits in OpenAI's formats, retry hints, the
// model lifecycle (RFC 9745 / RFC 8594), monthly budgets and the request id.

import { ref, type Header } from "./types.ts";

const GO_DURATION = "^(0s|([0-9]+h)?([0-9]+m)?([0-9]+(\\.[0-9]+)?(ms|s))?)$";
const AMOUNT = "^[0-9]+(\\.[0-9]{1,6})?$";
const int = (description: string): Header => ({ description, required: true, schema: { type: "string", pattern: "^[0-9]+$" } });
const reset = (what: string): Header => ({ description: `Time until the ${what} bucket is full again, Go-style: 0s, 120ms, 8.64s, 1m0s.`, required: true, schema: { type: "string", pattern: GO_DURATION } });

export const headers: Record<string, Header> = {
  RequestId: { description: "The client's own x-request-id if it sent a safe one ([A-Za-z0-9._:-]{1,128}), otherwise a fresh req_…; also sent to the origin.", required: true, schema: { type: "string", minLength: 1, maxLength: 128 } },
  LimitRequests: int("Requests per minute the project may make to this model."),
  LimitTokens: int("TPM units (prompt + 5 x completion tokens) per minute for this model."),
  RemainingRequests: int("Whole requests that could be made right now (at most the burst)."),
  RemainingTokens: int("Whole TPM units that could be spent right now (at most the burst)."),
  ResetRequests: reset("request"),
  ResetTokens: reset("token"),
  RetryAfter: { description: "Seconds to wait before retrying (at least 1).", schema: { type: "string", pattern: "^[0-9]+$" } },
  RetryAfterMs: { description: "Milliseconds to wait before retrying; the openai client prefers it.", schema: { type: "string", pattern: "^[0-9]+$" } },
  Deprecation: { description: "RFC 9745: when the model was deprecated, as @<unix seconds>. Only on a deprecated model.", schema: { type: "string", pattern: "^@[0-9]+$" } },
  Sunset: { description: "RFC 8594: when the model retires (HTTP date). Only on a deprecated model.", schema: { type: "string" } },
  Link: { description: "The successor model: </v1/models/{id}>; rel=\"successor-version\".", schema: { type: "string" } },
  ModelSubstituted: { description: "`<requested> -> <served>` when a retired model's successor served the request.", schema: { type: "string" } },
  BudgetLimit: { description: "Once a budget applies: the monthly limit of the budget that binds (the one with the least headroom), in currency units.", schema: { type: "string", pattern: AMOUNT } },
  BudgetRemaining: { description: "What could still be reserved when the request was admitted: limit − spent − held, before this request.", schema: { type: "string", pattern: AMOUNT } },
  BudgetReset: { description: "When the budget resets: the first instant of next month, RFC 3339 UTC.", schema: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-01T00:00:00Z$" } },
  BudgetScope: { description: "Whose budget binds: the project's or the key's.", schema: { type: "string", enum: ["project", "key"] } },
  ShouldRetry: { description: "false on insufficient_quota: the openai client does not retry it.", schema: { type: "string", enum: ["true", "false"] } },
  OriginRegion: { description: "The region of the origin that answered.", schema: { type: "string" } },
};

/** Every response that names a model: the six x-ratelimit-* headers. */
export const rateLimitHeaders = {
  "x-ratelimit-limit-requests": ref("headers", "LimitRequests"),
  "x-ratelimit-limit-tokens": ref("headers", "LimitTokens"),
  "x-ratelimit-remaining-requests": ref("headers", "RemainingRequests"),
  "x-ratelimit-remaining-tokens": ref("headers", "RemainingTokens"),
  "x-ratelimit-reset-requests": ref("headers", "ResetRequests"),
  "x-ratelimit-reset-tokens": ref("headers", "ResetTokens"),
};

/** Every inference of a project with a budget (its own or its key's): x-budget-*. */
export const budgetHeaders = {
  "x-budget-limit": ref("headers", "BudgetLimit"),
  "x-budget-remaining": ref("headers", "BudgetRemaining"),
  "x-budget-reset": ref("headers", "BudgetReset"),
  "x-budget-scope": ref("headers", "BudgetScope"),
};

/** A served inference: rate limits, budget, request id, origin region and the model's lifecycle. */
export const inferenceHeaders = {
  ...rateLimitHeaders,
  ...budgetHeaders,
  "x-request-id": ref("headers", "RequestId"),
  "x-origin-region": ref("headers", "OriginRegion"),
  "x-model-substituted": ref("headers", "ModelSubstituted"),
  deprecation: ref("headers", "Deprecation"),
  sunset: ref("headers", "Sunset"),
  link: ref("headers", "Link"),
};
