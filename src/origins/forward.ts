// One attempt at one origin: send the request, wait for the first byte of the body (or,
// for a JSON answer of declared length within the buffering bound, for all of it), and
// say how it went. Failures are classified for the failover loop; nothing reaches the
// client from here, so origin URLs and raw origin errors never can.

import type { OriginSpec } from "../catalog/types.ts";
import type { ApiError } from "../openai/errors.ts";
import { originRejected } from "../openai/upstream-errors.ts";
import { MAX_BUFFERED_BYTES } from "../streaming/json-body.ts";
import { declaredLength } from "../streaming/json-body-end.ts";
import { isEventStream, type OriginBody } from "../streaming/origin-body.ts";

export const DEFAULT_FIRST_BYTE_MS = 30_000;
export const DEFAULT_IDLE_MS = 30_000;

const PATHS = { chat: "/chat/completions", completion: "/completions", embedding: "/embeddings" } as const;
export type OriginPath = keyof typeof PATHS;

export interface OriginCall {
  origin: OriginSpec;
  path: OriginPath;
  body: string;
  requestId: string;
  /** Connect to first body byte (to the last, for a body read whole), for this attempt. */
  timeoutMs: number;
  /** Aborts when the client goes away. */
  signal: AbortSignal | undefined;
  /** The client's copy of an event stream will be piped natively: tee() it before the first read. */
  teeEventStream: boolean;
}


export type FailReason = "unreachable" | "timeout" | "overloaded" | "bad_status" | "empty_body" | "cut_body";

export type AttemptResult =
  /** The first body bytes arrived: the origin's headers, and its body read whole or as first chunk + the rest. */
  | { kind: "ok"; res: Response; body: OriginBody }
  /** The origin could not serve it: try another. */
  | { kind: "failed"; reason: FailReason; status: number | null; retryAfter: number | null }
  /** The origin judged the request itself bad: another origin would too. */
  | { kind: "rejected"; error: ApiError }
  | { kind: "client_closed" };

function credentialOf(env: Env, origin: OriginSpec): string | undefined {
  if (origin.credential === undefined) return undefined;
  const v = (env as unknown as Record<string, unknown>)[origin.credential];
  return typeof v === "string" ? v : undefined;
}

export function originHeaders(env: Env, origin: OriginSpec, requestId: string | null): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  if (requestId !== null) headers["x-request-id"] = requestId;
  const credential = credentialOf(env, origin);
  if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
  return headers;
}

const failed = (reason: FailReason, status: number | null = null, retryAfter: number | null = null): AttemptResult => ({ kind: "failed", reason, status, retryAfter });

export async function attemptOrigin(env: Env, call: OriginCall): Promise<AttemptResult> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
  const whyAborted = (): AttemptResult | null =>
    call.signal?.aborted ? { kind: "client_closed" } : timeout.signal.aborted ? failed("timeout") : null;
  try {
    let res: Response;
    try {
      const url = call.origin.url.replace(/\/+$/, "") + PATHS[call.path];
      res = await fetch(url, { method: "POST", headers: originHeaders(env, call.origin, call.requestId), body: call.body, signal });
    } catch {
      return whyAborted() ?? failed("unreachable");
    }
    if (!res.ok) return await classifyStatus(res);
    if (res.body === null) return failed("empty_body", res.status);
    return await readAnswer(res, res.body, call.teeEventStream, signal, whyAborted);
  } finally {
    clearTimeout(timer);
  }
}

/** After good headers: the whole body, or its first bytes; anything else is a failed attempt. */
async function readAnswer(res: Response, body: ReadableStream<Uint8Array>, teeEventStream: boolean, signal: AbortSignal, whyAborted: () => AttemptResult | null): Promise<AttemptResult> {
  // A JSON answer is read whole before anything is sent (json-body.ts): when its length
  // is declared and bounded, one native read takes it, with no JavaScript read per chunk,
  // and an origin that breaks off half-way can still be replaced.
  if (readsWhole(res)) {
    let whole: Uint8Array;
    try {
      whole = new Uint8Array(await res.arrayBuffer());
    } catch {
      return whyAborted() ?? failed("cut_body", res.status);
    }
    return whyAborted() ?? (whole.length === 0 ? failed("empty_body", res.status) : { kind: "ok", res, body: { whole } });
  }
  // Headers alone commit nothing: wait for the first bytes, so an origin that dies before
  // producing any can still be replaced. An event stream whose client's copy is piped
  // natively is tee()d first and read on the accounting branch: the client's branch keeps
  // every byte for the pipe, so none has to be written back from JavaScript.
  const [client, read] = teeEventStream && isEventStream(res) ? body.tee() : [undefined, body];
  const reader = read.getReader();
  const drop = <T>(result: T): T => {
    reader.cancel().catch(() => {});
    client?.cancel().catch(() => {});
    return result;
  };
  const onAbort = (): void => void drop(null);
  signal.addEventListener("abort", onAbort, { once: true });
  let first: ReadableStreamReadResult<Uint8Array>;
  try {
    first = await reader.read();
  } catch {
    return drop(whyAborted() ?? failed("unreachable", res.status));
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  const aborted = whyAborted();
  if (aborted !== null) return drop(aborted);
  if (first.done || first.value.length === 0) return drop(failed("empty_body", res.status));
  // Handed over as is: wrapping it in another stream would cost a hop per chunk.
  return { kind: "ok", res, body: { first: first.value, reader, stream: read, client } };
}

function readsWhole(res: Response): boolean {
  const length = declaredLength(res);
  return length !== null && length <= MAX_BUFFERED_BYTES && !isEventStream(res);
}

/** The caller's own mistakes, as the origin judged them, keep their message; the rest is the origin's problem. */
async function classifyStatus(res: Response): Promise<AttemptResult> {
  if (res.status === 400 || res.status === 413 || res.status === 422) {
    const detail = await readErrorMessage(res);
    return {
      kind: "rejected",
      error: originRejected(res.status === 413 ? 413 : 400, detail),
    };
  }
  await res.body?.cancel();
  if (res.status === 429 || res.status === 503) {
    const ra = Number(res.headers.get("retry-after"));
    return failed("overloaded", res.status, Number.isFinite(ra) && ra > 0 ? Math.min(60, Math.ceil(ra)) : null);
  }
  return failed("bad_status", res.status);
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
