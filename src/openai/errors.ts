// The one error type of the router and its OpenAI-shaped wire form.

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "insufficient_quota"
  | "server_error"
  | "api_error";

export interface ErrorInit {
  status: number;
  message: string;
  type: ErrorType;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(init: ErrorInit) {
    super(init.message);
    this.name = "ApiError";
    this.status = init.status;
    this.type = init.type;
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.headers = init.headers ?? {};
  }

  toBody(): { error: { message: string; type: ErrorType; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  toResponse(extraHeaders?: HeadersInit): Response {
    const headers = new Headers(extraHeaders);
    headers.set("content-type", "application/json");
    for (const [k, v] of Object.entries(this.headers)) headers.set(k, v);
    return new Response(JSON.stringify(this.toBody()), { status: this.status, headers });
  }
}

/**
 * Every code the router sends, with its status and type: named constructors beside each
 * concern build their error from here, and error-codes-unit checks this table against the
 * API reference (src/openapi/errors.ts) and the README's error table. A status list names
 * a code sent with more than one status (the first is the usual one).
 */
export const ERRORS = {
  invalid_json: { status: 400, type: "invalid_request_error" },
  missing_required_parameter: { status: 400, type: "invalid_request_error" },
  unknown_parameter: { status: 400, type: "invalid_request_error" },
  unsupported_model: { status: 400, type: "invalid_request_error" },
  request_exceeds_limit: { status: 400, type: "invalid_request_error" },
  invalid_scope: { status: 400, type: "invalid_request_error" },
  expiry_in_past: { status: 400, type: "invalid_request_error" },
  budget_above_project: { status: 400, type: "invalid_request_error" },
  missing_api_key: { status: 401, type: "authentication_error" },
  invalid_api_key: { status: 401, type: "authentication_error" },
  expired_api_key: { status: 401, type: "authentication_error" },
  insufficient_scope: { status: 403, type: "permission_error" },
  model_not_allowed: { status: 403, type: "permission_error" },
  project_suspended: { status: 403, type: "permission_error" },
  admin_only: { status: 403, type: "permission_error" },
  api_key_not_allowed: { status: 403, type: "permission_error" },
  scope_not_allowed: { status: 403, type: "permission_error" },
  expiry_not_allowed: { status: 403, type: "permission_error" },
  // 404 for a model the request names, 400 for an unknown id in a key's or project's model list.
  model_not_found: { status: [404, 400], type: "invalid_request_error" },
  unknown_url: { status: 404, type: "invalid_request_error" },
  project_not_found: { status: 404, type: "invalid_request_error" },
  api_key_not_found: { status: 404, type: "invalid_request_error" },
  webhook_not_found: { status: 404, type: "invalid_request_error" },
  tracing_not_configured: { status: 404, type: "invalid_request_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  cors_not_supported: { status: 405, type: "invalid_request_error" },
  project_exists: { status: 409, type: "invalid_request_error" },
  api_key_exists: { status: 409, type: "invalid_request_error" },
  too_many_api_keys: { status: 409, type: "invalid_request_error" },
  model_retired: { status: 410, type: "invalid_request_error" },
  request_too_large: { status: 413, type: "invalid_request_error" },
  rate_limit_exceeded: { status: 429, type: "rate_limit_error" },
  insufficient_quota: { status: 429, type: "insufficient_quota" },
  // Logged only: the client has gone and never sees it, so the API reference omits it.
  client_closed: { status: 499, type: "invalid_request_error" },
  internal_error: { status: 500, type: "server_error" },
  origin_error: { status: 502, type: "server_error" },
  origin_unreachable: { status: 503, type: "server_error" },
  model_overloaded: { status: 503, type: "server_error" },
  no_healthy_origin: { status: 503, type: "server_error" },
  catalog_unavailable: { status: 503, type: "server_error" },
  key_check_unavailable: { status: 503, type: "server_error" },
  rate_limiter_unavailable: { status: 503, type: "server_error" },
  usage_unavailable: { status: 503, type: "server_error" },
  api_key_store_unavailable: { status: 503, type: "server_error" },
  budget_unavailable: { status: 503, type: "server_error" },
  tracing_key_missing: { status: 503, type: "server_error" },
  origin_timeout: { status: 504, type: "server_error" },
} as const satisfies Record<string, { status: number | readonly number[]; type: ErrorType }>;

export type ErrorCode = keyof typeof ERRORS;
type StatusOf<C extends ErrorCode> = (typeof ERRORS)[C]["status"] extends infer S ? (S extends readonly number[] ? S[number] : S) : never;

/** The one way to build a coded error; call it only from the code's named constructor. */
export function codedError<C extends ErrorCode>(
  code: C,
  message: string,
  more: { param?: string | null; headers?: Record<string, string>; status?: StatusOf<C> } = {},
): ApiError {
  const entry: { status: number | readonly number[]; type: ErrorType } = ERRORS[code];
  const status = (more.status as number | undefined) ?? (typeof entry.status === "number" ? entry.status : entry.status[0]!);
  return new ApiError({ status, type: entry.type, code, message, param: more.param ?? null, headers: more.headers });
}

/** Anything thrown that is not an ApiError is our bug: log it, answer a bare 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return codedError("internal_error", "The router hit an internal error.");
}

/** A 400 without a code (a field of the wrong type or range); coded 400s have their constructors. */
export const invalidRequest = (message: string, param: string | null = null): ApiError =>
  new ApiError({ status: 400, type: "invalid_request_error", message, param });
