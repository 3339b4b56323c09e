// POST /v1/chat/completions, /v1/completions, /v1/embeddings: authenticate, resolve the
// model, forward to an origin, relay the answer, and account for it once it has ended.

import { authenticate, requireScope } from "../auth/authenticate.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import { lifecycleHeaders, resolveModel } from "../catalog/lifecycle.ts";
import { getCatalog } from "../catalog/store.ts";
import type { ModelEntry } from "../catalog/types.ts";
import { writeAccessLog } from "../http/access-log.ts";
import { parseJsonObject, readBody } from "../openai/body.ts";
import { ApiError, invalidRequest } from "../openai/errors.ts";
import { parseInferenceRequest, type Endpoint, type InferenceRequest } from "../openai/inference-request.ts";
import { forwardWithFailover } from "../origins/failover.ts";
import { DEFAULT_IDLE_MS } from "../origins/forward.ts";
import { callerLocation } from "../origins/location.ts";
import { admitRequest, peekHeaders } from "../quota/admission.ts";
import { settlementFromError, settlementFromRelay, type Settlement } from "../quota/settlement.ts";
import { collectJson } from "../streaming/json-body.ts";
import { relay, type RelayResult, type RelaySource } from "../streaming/relay.ts";
import type { RouterRequest } from "./context.ts";
import { modelNotFound } from "./models.ts";

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

function checkModelAccess(key: KeyRecord, req: InferenceRequest, model: ModelEntry): void {
  if (key.models !== null && !key.models.includes(req.model)) {
    throw new ApiError({
      status: 403,
      type: "permission_error",
      code: "model_not_allowed",
      param: "model",
      message: `This API key may not use the model '${req.model}'.`,
    });
  }
  const wants = req.endpoint === "embedding" ? "embedding" : "chat";
  if (model.type !== wants) {
    const route = req.endpoint === "embedding" ? "/v1/embeddings" : req.endpoint === "chat" ? "/v1/chat/completions" : "/v1/completions";
    throw invalidRequest(`The model '${req.model}' is a ${model.type} model and cannot be used with ${route}.`, "model", "unsupported_model");
  }
  if (req.maxTokens !== null && req.maxTokens > model.context_length) {
    const field = req.body.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens";
    throw invalidRequest(`'${field}' is ${req.maxTokens}, more than the model's context length of ${model.context_length} tokens.`, field);
  }
}

/** The body the origin gets: the client's, with the origin's model name and usage always on. */
function originBody(req: InferenceRequest, model: ModelEntry, originModel: string | undefined): string {
  const body: Record<string, unknown> = { ...req.body, model: originModel ?? model.id };
  if (req.stream) {
    const so = typeof req.body.stream_options === "object" && req.body.stream_options !== null ? req.body.stream_options : {};
    body.stream_options = { ...so, include_usage: true };
  }
  try {
    return JSON.stringify(body);
  } catch {
    throw invalidRequest("Request body is nested too deeply.", null, "invalid_json");
  }
}

export function inferenceRoute(endpoint: Endpoint) {
  return async function handleInference(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { state } = request;
    const log = state.log;
    const key = await authenticate(request, env);
    log.project_id = key.project_id;
    log.key_id = key.key_id;
    requireScope(key, "inference");

    const maxBody = Number(env.MAX_BODY_BYTES) || DEFAULT_MAX_BODY;
    const json = parseJsonObject(await readBody(request, maxBody));
    // The context-length check needs the model, so this first pass only bounds max_tokens loosely.
    const req = parseInferenceRequest(endpoint, json, Number.MAX_SAFE_INTEGER);
    log.model = req.model;
    log.stream = req.stream;

    const now = Date.now();
    const { byId } = await getCatalog(env, ctx, now);
    const resolved = resolveModel(byId, req.model, now);
    if (resolved.kind === "not_found") throw modelNotFound(req.model);
    if (resolved.kind === "gone") {
      throw new ApiError({
        status: 410,
        type: "invalid_request_error",
        code: "model_retired",
        param: "model",
        message: `The model '${req.model}' was retired on ${resolved.requested.lifecycle?.sunset} and has no successor.`,
      });
    }
    const found = resolved;
    const { model } = found;
    try {
      checkModelAccess(key, req, model);
    } catch (err) {
      if (err instanceof ApiError) Object.assign(err.headers, await peekHeaders(env, key.project_id, model, key.limits?.[model.id]));
      throw err;
    }
    log.served_model = model.id;
    const admission = await admitRequest(env, {
      projectId: key.project_id,
      keyId: key.key_id,
      model,
      req,
      startedAt: state.startedAt,
      override: key.limits?.[model.id],
    });
    // From here on a failure still answers with the limit headers and gives back the reservation.
    state.onError = (err) => {
      Object.assign(err.headers, admission.headers);
      ctx.waitUntil(admission.settle(settlementFromError(admission.promptEstimate, err.code)));
    };
    const whileWaiting = admission.settleIfClientLeaves(request.signal, ctx);

    const { res, body: fromOrigin, origin, settle } = await forwardWithFailover(env, ctx, {
      model,
      path: endpoint,
      bodyFor: (o) => originBody(req, model, o.model),
      requestId: state.requestId,
      location: callerLocation(request.cf),
      signal: request.signal,
    });
    log.origin_region = origin.region;

    const isStream = req.stream && (res.headers.get("content-type") ?? "").includes("text/event-stream");
    const idleTimeoutMs = model.timeouts?.idle_ms ?? DEFAULT_IDLE_MS;
    let source: RelaySource = fromOrigin;
    if (!isStream) {
      const collected = await collectJson(fromOrigin, { idleTimeoutMs, declaredLength: declaredLength(res), signal: request.signal });
      if (collected.kind === "failed") {
        settle(collected.end);
        log.end = collected.end;
        throw bodyFailed(collected.end);
      }
      if (collected.kind === "whole") {
        const result: RelayResult = { usage: collected.usage, deltaEvents: 0, end: "complete", firstByteAt: Date.now() };
        whileWaiting.handOver();
        const response = respond(collected.bytes, responseHeaders(false));
        ctx.waitUntil(ended(result));
        return response;
      }
      source = collected;
    }
    const { body, done } = relay(source, isStream ? "event-stream" : "json", { includeUsage: req.includeUsage, idleTimeoutMs });
    whileWaiting.handOver();
    const response = respond(body, responseHeaders(isStream));
    ctx.waitUntil(done.then(ended));
    return response;

    // A plain object: the Response takes it in one step, where Headers.set is a call each.
    function responseHeaders(eventStream: boolean): Record<string, string> {
      const headers: Record<string, string> = {
        "content-type": eventStream ? "text/event-stream; charset=utf-8" : "application/json",
        "x-origin-region": origin.region,
        "x-request-id": state.requestId,
        ...admission.headers,
      };
      if (eventStream) headers["cache-control"] = "no-cache";
      lifecycleHeaders(found.requested, now, headers);
      if (found.substituted) headers["x-model-substituted"] = `${found.requested.id} -> ${model.id}`;
      return headers;
    }
    function respond(b: BodyInit, headers: Record<string, string>): Response {
      state.logDeferred = true;
      log.status = 200;
      return new Response(b, { status: 200, headers });
    }
    // Once the body has ended: the breaker learns how, the log line is written, and the
    // real usage is settled against the reservation and booked.
    function ended(result: RelayResult): Promise<void> {
      settle(result.end);
      const billed = settlementFromRelay(req, admission.promptEstimate, result);
      account(request, result, billed.usage);
      return admission.settle(billed);
    }
  };
}

/** The origin's content-length, when it describes the bytes we read (no content-encoding). */
function declaredLength(res: Response): number | null {
  if (res.headers.has("content-encoding")) return null;
  const n = Number(res.headers.get("content-length") ?? Number.NaN);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** A non-streamed body that failed before any of it was sent: a clean error, not a cut 200. */
function bodyFailed(end: "origin_error" | "origin_stalled" | "client_closed"): ApiError {
  switch (end) {
    case "client_closed":
      return new ApiError({ status: 499, type: "invalid_request_error", code: "client_closed", message: "The client closed the request." });
    case "origin_stalled":
      return new ApiError({ status: 504, type: "server_error", code: "origin_timeout", message: "The model origin stopped sending its answer." });
    case "origin_error":
      return new ApiError({ status: 502, type: "server_error", code: "origin_error", message: "The model origin broke off its answer." });
  }
}

/** After the body has ended: the log shows exactly the tokens billed. */
function account(request: RouterRequest, result: RelayResult, usage: Settlement["usage"]): void {
  const { log, startedAt } = request.state;
  log.end = result.end;
  log.prompt_tokens = usage?.prompt_tokens ?? null;
  log.completion_tokens = usage?.completion_tokens ?? null;
  log.ttfb_ms = result.firstByteAt === null ? null : result.firstByteAt - startedAt;
  log.total_ms = Date.now() - startedAt;
  writeAccessLog(log);
}
