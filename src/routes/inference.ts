// POST /v1/chat/completions, /v1/completions, /v1/embeddings: authenticate, parse,
// resolve the model, admit, forward to an origin and respond. From admission on, the
// request's InferenceOwner sees every way it ends.

import { authenticateAhead, requireScope, sameRecord } from "../auth/authenticate.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import { resolveModel } from "../catalog/lifecycle.ts";
import { checkModelAccess, modelNotFound, modelRetired } from "../catalog/model-access.ts";
import { getCatalog } from "../catalog/store.ts";
import { settingsOf } from "../config/settings.ts";
import { answer } from "../inference/answer.ts";
import { ADMISSION_STEPS, FINISHERS } from "../inference/hooks.ts";
import { InferenceOwner } from "../inference/owner.ts";
import { responseHeadersFor } from "../inference/response-headers.ts";
import { parseJsonObject, readBody } from "../openai/body.ts";
import { ApiError } from "../openai/errors.ts";
import { parseInferenceRequest, type Endpoint } from "../openai/inference-request.ts";
import { forwardWithFailover } from "../origins/failover.ts";
import { callerLocation } from "../origins/location.ts";
import { originRequestBody } from "../origins/request-body.ts";
import { peekHeaders } from "../quota/peek.ts";
import { RequestTrace } from "../tracing/request-trace.ts";
import type { RouterRequest } from "./context.ts";

/** The gate's failure when the object's record of the key differs from KV's: never reaches a client. */
const KEY_CHANGED = new Error("the key's record changed");

export function inferenceRoute(endpoint: Endpoint) {
  return (request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> => serve(endpoint, request, env, ctx, null);
}

/** A key that went ahead of its object's word: the record it goes on, the body read once, and the word as a gate. */
interface Ahead {
  key: KeyRecord;
  json: () => Promise<Record<string, unknown>>;
  gate: Promise<void> | undefined;
}

/**
 * A key KV knows but this isolate no longer trusts goes ahead while its object is asked:
 * the limiter's round trip then overlaps the confirmation's, and nothing goes to an origin
 * before the object's word (the admission's gate). Any failure waits for that word: a
 * refused key is told so first, and a record that changed meanwhile is served again on
 * the object's reading.
 */
async function serveAhead(endpoint: Endpoint, request: RouterRequest, env: Env, ctx: ExecutionContext, first: KeyRecord, confirmed: Promise<KeyRecord>): Promise<Response> {
  let body: Promise<Record<string, unknown>> | undefined;
  const json = (): Promise<Record<string, unknown>> => (body ??= readBody(request, settingsOf(env).maxBodyBytes).then(parseJsonObject));
  const gate = confirmed.then((real) => {
    if (!sameRecord(real, first)) throw KEY_CHANGED;
  });
  gate.catch(() => {});
  try {
    return await serve(endpoint, request, env, ctx, { key: first, json, gate });
  } catch (err) {
    const { state } = request;
    if (state.owner?.withdrawn) state.owner = undefined;
    const real = await confirmed;
    if (err !== KEY_CHANGED && sameRecord(real, first)) throw err;
    return serve(endpoint, request, env, ctx, { key: real, json, gate: undefined });
  }
}

/** One inference: the key checked here (`ahead` null) or gone ahead of its object's word. */
async function serve(endpoint: Endpoint, request: RouterRequest, env: Env, ctx: ExecutionContext, ahead: Ahead | null): Promise<Response> {
  const { state } = request;
  let key: KeyRecord;
  if (ahead === null) {
    const checked = await authenticateAhead(request, env, Date.now(), ctx);
    state.log.project_id = checked.key.project_id;
    state.log.key_id = checked.key.key_id;
    if (checked.confirmed !== null) return serveAhead(endpoint, request, env, ctx, checked.key, checked.confirmed);
    key = checked.key;
  } else key = ahead.key;
  requireScope(key, "inference");
  const body = ahead === null ? parseJsonObject(await readBody(request, settingsOf(env).maxBodyBytes)) : await ahead.json();
  // The context-length check needs the model, so this first pass only bounds max_tokens loosely.
  const req = parseInferenceRequest(endpoint, body, Number.MAX_SAFE_INTEGER);
  state.log.model = req.model;
  state.log.stream = req.stream;

  const now = Date.now();
  const resolved = resolveModel((await getCatalog(env, ctx, now)).byId, req.model, now);
  if (resolved.kind === "not_found") throw modelNotFound(req.model);
  if (resolved.kind === "gone") throw modelRetired(req.model, resolved.requested.lifecycle?.sunset);
  const { model } = resolved;
  try {
    checkModelAccess(key, req, model);
  } catch (err) {
    if (err instanceof ApiError) Object.assign(err.headers, await peekHeaders(env, key.project_id, model, key.limits?.[model.id]));
    throw err;
  }

  // Null unless the key's project traces: then its span is one more finisher.
  const trace = RequestTrace.begin(env, request, key, body);
  const finishers = trace === null ? FINISHERS : [...FINISHERS, trace.finisher(model)];
  const owner = new InferenceOwner({ env, ctx, requestId: state.requestId, startedAt: state.startedAt, log: state.log, signal: request.signal, req, key, model, prefer: request.headers.get("prefer") }, finishers);
  state.owner = owner;
  await owner.admit(ADMISSION_STEPS, ahead?.gate);
  try {
    const forwarded = await forwardWithFailover(env, ctx, {
      model,
      path: endpoint,
      bodyFor: (origin) => originRequestBody(req, model, origin),
      requestId: state.requestId,
      location: callerLocation(request.cf),
      signal: request.signal,
      // Nothing to strip from such a stream: its client's copy is piped natively (relay.ts).
      teeEventStream: req.stream && req.includeUsage,
    });
    owner.forwarded(forwarded);
    const headersFor = responseHeadersFor(resolved, now, state.requestId, forwarded.origin.region, owner.headers);
    const response = await answer(owner, forwarded, { ctx, req, model, signal: request.signal, headersFor });
    return trace === null ? response : await trace.observe(response);
  } catch (err) {
    throw owner.failed(err);
  }
}
