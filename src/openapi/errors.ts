// Every error the API answers, by status: OpenAI's body with the codes each status carries.
// A code added in src/ without a line here fails error-codes-unit (and the OpenAPI integration test).

import { ref, type Response, type Schema } from "./types.ts";

/** The codes of each status, as the router sends them. */
export const ERROR_CODES = {
  // 400 also carries the code of an origin's own 400 (say, a prompt longer than the
  // context), or none: it is the one status whose code the schema leaves open.
  400: ["invalid_json", "missing_required_parameter", "unknown_parameter", "unsupported_model", "request_exceeds_limit", "invalid_scope", "model_not_found", "expiry_in_past", "budget_above_project"],
  401: ["missing_api_key", "invalid_api_key", "expired_api_key"],
  403: ["insufficient_scope", "model_not_allowed", "project_suspended", "admin_only", "api_key_not_allowed", "scope_not_allowed", "expiry_not_allowed"],
  404: ["model_not_found", "unknown_url", "project_not_found", "api_key_not_found", "webhook_not_found", "tracing_not_configured"],
  405: ["method_not_allowed", "cors_not_supported"],
  409: ["project_exists", "api_key_exists", "too_many_api_keys"],
  410: ["model_retired"],
  413: ["request_too_large"],
  429: ["rate_limit_exceeded", "insufficient_quota"],
  500: ["internal_error"],
  502: ["origin_error"],
  503: ["origin_unreachable", "model_overloaded", "no_healthy_origin", "catalog_unavailable", "key_check_unavailable", "rate_limiter_unavailable", "usage_unavailable", "api_key_store_unavailable", "budget_unavailable", "tracing_key_missing"],
  504: ["origin_timeout"],
} as const;
export type ErrorStatus = keyof typeof ERROR_CODES;

const TYPES = ["invalid_request_error", "authentication_error", "permission_error", "not_found_error", "rate_limit_error", "insufficient_quota", "server_error", "api_error"];

export const errorSchemas: Record<string, Schema> = {
  Error: {
    type: "object",
    description: "OpenAI's error body. `param` names the offending field when there is one.",
    required: ["error"],
    additionalProperties: false,
    properties: {
      error: {
        type: "object",
        required: ["message", "type", "param", "code"],
        additionalProperties: false,
        properties: {
          message: { type: "string", description: "For people; never holds an origin URL, a credential or a stack trace." },
          type: { type: "string", enum: TYPES },
          param: { type: ["string", "null"] },
          code: { type: ["string", "null"] },
        },
      },
    },
  },
};

const WHEN: Record<ErrorStatus, string> = {
  400: "The request is malformed: bad JSON or UTF-8, nesting deeper than 64 levels, a wrong type (`param` names the field), an embedding model on a chat route or the reverse, a request larger than the project's whole per-minute limit, a key budget above its project's, or an origin's own 400.",
  401: "No key, a malformed or unknown key, or an expired one.",
  403: "The key lacks the scope or may not use the model, its project is suspended, only the admin token may do this, or a key may not change a key wider than itself or grant more scopes, models or time than it has.",
  404: "Unknown model, path, project, key or budget webhook (another project's resources too).",
  405: "Known path, wrong method (`Allow` lists the right ones); CORS preflights.",
  409: "The project or the chosen key value exists already, or the project holds its maximum of keys.",
  410: "The model is past its sunset and has no successor.",
  413: "The body is larger than MAX_BODY_BYTES (64 KiB for management bodies).",
  429: "The project's RPM or TPM for the model is spent (rate_limit_exceeded, retry later), or a monthly budget is (insufficient_quota, with x-should-retry: false: not before the budget resets or is raised).",
  500: "A bug of the router: nothing about it is revealed.",
  502: "The last origin tried failed (5xx, an empty or cut answer).",
  503: "No origin could be reached, all are overloaded or known down, or the catalog, key check, limiter (in `closed` mode) usage ledger or budget is unavailable.",
  504: "No first byte from the origin within the model's `first_byte_ms`.",
};

/** The error of one status, its `code` held to that status's list (400: any or none). */
function errorResponse(status: ErrorStatus): Response {
  const codes = ERROR_CODES[status];
  const code: Schema = status === 400 ? { type: ["string", "null"], description: `Ours: ${codes.join(", ")}; or the origin's.` } : { type: "string", enum: [...codes] };
  const retry = status === 429 || status === 503;
  return {
    description: WHEN[status],
    ...(retry ? { headers: { "retry-after": ref("headers", "RetryAfter"), "retry-after-ms": ref("headers", "RetryAfterMs") } } : {}),
    content: {
      "application/json": {
        schema: { allOf: [ref("schemas", "Error"), { type: "object", properties: { error: { type: "object", properties: { code } } } }] },
      },
    },
  };
}

export const errorResponses: Record<string, Response> = Object.fromEntries(
  (Object.keys(ERROR_CODES) as unknown as ErrorStatus[]).map((s) => [`Error${s}`, errorResponse(Number(s) as ErrorStatus)]),
);

/** The responses entries of the given statuses, for an operation's `responses`. */
export const errors = (...statuses: ErrorStatus[]): Record<string, { $ref: string }> =>
  Object.fromEntries(statuses.map((s) => [String(s), ref("responses", `Error${s}`)]));
