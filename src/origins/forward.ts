// Sends a request to one origin and maps every way it can fail to our error shape.
// Origin URLs, credentials and raw origin errors never reach the client.

import type { ModelEntry, OriginSpec } from "../catalog/types.ts";
import { ApiError } from "../openai/errors.ts";

export const DEFAULT_FIRST_BYTE_MS = 30_000;
export const DEFAULT_IDLE_MS = 30_000;

const PATHS = { chat: "/chat/completions", completion: "/completions", embedding: "/embeddings" } as const;
export type OriginPath = keyof typeof PATHS;

export interface OriginCall {
  origin: OriginSpec;
  model: ModelEntry;
  path: OriginPath;
  body: string;
  requestId: string;
  /** Aborts when the client goes away. */
  signal: AbortSignal | undefined;
}

const originError = (status: 502 | 503 | 504, code: string, message: string, retryAfter?: number): ApiError =>
  new ApiError({
    status,
    type: "server_error",
    code,
    message,
    headers: retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
  });

function credentialOf(env: Env, origin: OriginSpec): string | undefined {
  if (origin.credential === undefined) return undefined;
  const v = (env as unknown as Record<string, unknown>)[origin.credential];
  return typeof v === "string" ? v : undefined;
}

/** Returns the origin's successful response, or throws the ApiError the client should see. */
export async function callOrigin(env: Env, call: OriginCall): Promise<Response> {
  const firstByteMs = call.model.timeouts?.first_byte_ms ?? DEFAULT_FIRST_BYTE_MS;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), firstByteMs);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "x-request-id": call.requestId,
  };
  const credential = credentialOf(env, call.origin);
  if (credential !== undefined) headers.authorization = `Bearer ${credential}`;

  let res: Response;
  try {
    res = await fetch(call.origin.url.replace(/\/+$/, "") + PATHS[call.path], { method: "POST", headers, body: call.body, signal });
  } catch {
    if (timeout.signal.aborted) {
      throw originError(504, "origin_timeout", "The model origin did not answer in time.");
    }
    if (call.signal?.aborted) throw originError(502, "client_closed", "The client closed the request.");
    throw originError(502, "origin_unreachable", "The model origin could not be reached.");
  } finally {
    clearTimeout(timer);
  }
  if (res.ok) return res;
  throw await originFailure(res);
}

/** The caller's own mistakes, as the origin judged them, keep their message; the rest are ours. */
async function originFailure(res: Response): Promise<ApiError> {
  if (res.status === 400 || res.status === 413 || res.status === 422) {
    const detail = await readErrorMessage(res);
    return new ApiError({
      status: res.status === 413 ? 413 : 400,
      type: "invalid_request_error",
      code: detail.code,
      param: detail.param,
      message: detail.message ?? "The model rejected the request.",
    });
  }
  await res.body?.cancel();
  if (res.status === 429 || res.status === 503) {
    return originError(503, "model_overloaded", "The model is overloaded; retry shortly.", 1);
  }
  return originError(502, "origin_error", `The model origin failed (status ${res.status}).`);
}

async function readErrorMessage(res: Response): Promise<{ message: string | null; code: string | null; param: string | null }> {
  const none = { message: null, code: null, param: null };
  try {
    const text = (await res.text()).slice(0, 8192);
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const e = (typeof body.error === "object" && body.error !== null ? body.error : body) as Record<string, unknown>;
    const str = (v: unknown): string | null => (typeof v === "string" ? v.slice(0, 1000) : null);
    return { message: str(e.message), code: str(e.code), param: str(e.param) };
  } catch {
    return none;
  }
}
