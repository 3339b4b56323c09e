// The console's one way to the API: same-origin fetches with the signed-in credential, and
// every failure turned into an ApiFailure whose kind the pages explain to a person.

export type Credential = { kind: "admin" | "key"; token: string };

export type FailureKind =
  | "network" | "invalid_key" | "expired_key" | "suspended" | "forbidden" | "rate_limited" | "budget_spent" | "not_found" | "invalid" | "server";

export class ApiFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly param: string | null = null,
    readonly retryAfterS: number | null = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { message?: unknown; code?: unknown; param?: unknown };
}

function kindOf(status: number, code: string | null): FailureKind {
  if (status === 401) return code === "expired_api_key" ? "expired_key" : "invalid_key";
  if (code === "project_suspended") return "suspended";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (code === "insufficient_quota") return "budget_spent";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server";
  return "invalid";
}

/** Builds the failure from a response that is not ok; never trusts the body to be JSON. */
export async function failureFrom(res: Response): Promise<ApiFailure> {
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    // A proxy's HTML page or an empty body: the status alone must do.
  }
  const e = body.error ?? {};
  const code = typeof e.code === "string" ? e.code : null;
  const message = typeof e.message === "string" ? e.message : `The router answered HTTP ${res.status}.`;
  const retry = Number(res.headers.get("retry-after"));
  return new ApiFailure(
    kindOf(res.status, code), message, res.status, code,
    typeof e.param === "string" ? e.param : null,
    Number.isFinite(retry) && res.headers.has("retry-after") ? retry : null,
    res.headers.get("x-request-id"),
  );
}

/** Called when a credential that worked stops working (rotated, deleted, expired, suspended). */
let onCredentialLost: (f: ApiFailure) => void = () => {};
export const setCredentialLostHandler = (fn: (f: ApiFailure) => void): void => {
  onCredentialLost = fn;
};

export interface CallOptions {
  body?: unknown;
  /** Sign-in probes report a refused credential to the form, not to the session. */
  probe?: boolean;
  signal?: AbortSignal;
}

/** One request, whatever its status; only a network failure throws. */
export async function send(cred: Credential, method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  if (!path.startsWith("/v1/")) throw new Error("the console only calls its own /v1 API");
  const headers: Record<string, string> = { authorization: `Bearer ${cred.token}` };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiFailure("network", "The router cannot be reached. Check your connection and try again.", 0, null);
  }
  return res;
}

/** One request; resolves with the Response when it is ok, else throws an ApiFailure. */
export async function request(cred: Credential, method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  const res = await send(cred, method, path, opts);
  if (res.ok) return res;
  const failure = await failureFrom(res);
  if (!opts.probe && (failure.kind === "invalid_key" || failure.kind === "expired_key" || failure.kind === "suspended")) {
    onCredentialLost(failure);
  }
  throw failure;
}

export async function getJson<T>(cred: Credential, path: string, opts: CallOptions = {}): Promise<T> {
  return (await (await request(cred, "GET", path, opts)).json()) as T;
}

export async function sendJson<T>(cred: Credential, method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
  return (await (await request(cred, method, path, body === undefined ? {} : { body })).json()) as T;
}

/** Query strings built from plain values; arrays repeat the name (`event_types[]=a&event_types[]=b`). */
export function query(params: Record<string, string | number | null | undefined | readonly string[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    if (Array.isArray(v)) for (const item of v) q.append(k, item);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}
