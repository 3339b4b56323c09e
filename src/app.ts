// The router: every route, the one place errors become responses, and the per-request
// id and access log.

import { Router, type IRequest } from "itty-router";
import { newAccessLog, writeAccessLog } from "./http/access-log.ts";
import { pathOf } from "./http/path.ts";
import { requestIdFor } from "./http/request-id.ts";
import { ApiError, toApiError } from "./openai/errors.ts";
import type { RouterArgs, RouterRequest } from "./routes/context.ts";
import { fallbackRoute } from "./routes/fallback.ts";
import { createKey, deleteKey, getKey, listKeys, rotateKey, updateKey } from "./routes/api-keys.ts";
import { listAuditLogs } from "./routes/audit-logs.ts";
import { inferenceRoute } from "./routes/inference.ts";
import { getModel, listModels } from "./routes/models.ts";
import { createProject, getProject, listProjects, updateProject } from "./routes/projects.ts";
import { deleteTracing, getTracing, putTracing } from "./routes/tracing.ts";
import { usageCompletions } from "./routes/usage.ts";

function begin(request: RouterRequest): void {
  const requestId = requestIdFor(request);
  request.state = { requestId, startedAt: Date.now(), log: newAccessLog(requestId, request.method, pathOf(request.url)), logDeferred: false };
}

function toErrorResponse(err: unknown, req: IRequest): Response {
  const request = req as RouterRequest;
  const apiError = toApiError(err);
  if (!(err instanceof ApiError)) {
    console.log(JSON.stringify({ level: "error", event: "unhandled", request_id: request.state?.requestId, error: String(err) }));
  }
  if (request.state) request.state.log.error_code = apiError.code;
  request.state?.onError?.(apiError);
  return apiError.toResponse();
}

function finish(response: Response, request: RouterRequest): Response {
  const { state } = request;
  // A body handed over from a fetch has immutable headers; copy only then.
  let res = response;
  try {
    res.headers.set("x-request-id", state.requestId);
  } catch {
    res = new Response(res.body, res);
    res.headers.set("x-request-id", state.requestId);
  }
  state.log.status = res.status;
  if (!state.logDeferred) {
    state.log.total_ms = Date.now() - state.startedAt;
    writeAccessLog(state.log);
  }
  return res;
}

const ROUTES: ReadonlyArray<readonly [string, RegExp]> = [
  ["GET", /^\/v1\/models$/],
  ["GET", /^\/v1\/models\/.+$/],
  ["POST", /^\/v1\/chat\/completions$/],
  ["POST", /^\/v1\/completions$/],
  ["POST", /^\/v1\/embeddings$/],
  ...["GET", "POST"].map((m) => [m, /^\/v1\/organization\/projects$/] as const),
  ...["GET", "POST", "PATCH"].map((m) => [m, /^\/v1\/organization\/projects\/[^/]+$/] as const),
  ...["GET", "POST"].map((m) => [m, /^\/v1\/organization\/projects\/[^/]+\/api_keys$/] as const),
  ...["GET", "POST", "PATCH", "DELETE"].map((m) => [m, /^\/v1\/organization\/projects\/[^/]+\/api_keys\/[^/]+$/] as const),
  ["POST", /^\/v1\/organization\/projects\/[^/]+\/api_keys\/[^/]+\/rotate$/],
  ["GET", /^\/v1\/organization\/projects\/[^/]+\/audit_logs$/],
  ...["GET", "PUT", "DELETE"].map((m) => [m, /^\/v1\/organization\/projects\/[^/]+\/tracing$/] as const),
  ["GET", /^\/v1\/organization\/audit_logs$/],
  ["GET", /^\/v1\/organization\/usage\/completions$/],
];

export const router = Router<RouterRequest, RouterArgs>({
  before: [begin],
  catch: toErrorResponse,
  finally: [finish],
});

router
  .get("/v1/models", listModels)
  .get("/v1/models/:model+", getModel)
  .post("/v1/chat/completions", inferenceRoute("chat"))
  .post("/v1/completions", inferenceRoute("completion"))
  .post("/v1/embeddings", inferenceRoute("embedding"))
  // Management API (keys, projects, audit log), after OpenAI's Admin API.
  .get("/v1/organization/projects", listProjects)
  .post("/v1/organization/projects", createProject)
  .get("/v1/organization/projects/:project_id", getProject)
  .post("/v1/organization/projects/:project_id", updateProject)
  .patch("/v1/organization/projects/:project_id", updateProject)
  .get("/v1/organization/projects/:project_id/api_keys", listKeys)
  .post("/v1/organization/projects/:project_id/api_keys", createKey)
  .get("/v1/organization/projects/:project_id/api_keys/:key_id", getKey)
  .post("/v1/organization/projects/:project_id/api_keys/:key_id", updateKey)
  .patch("/v1/organization/projects/:project_id/api_keys/:key_id", updateKey)
  .delete("/v1/organization/projects/:project_id/api_keys/:key_id", deleteKey)
  .post("/v1/organization/projects/:project_id/api_keys/:key_id/rotate", rotateKey)
  .get("/v1/organization/projects/:project_id/audit_logs", listAuditLogs)
  .get("/v1/organization/projects/:project_id/tracing", getTracing)
  .put("/v1/organization/projects/:project_id/tracing", putTracing)
  .delete("/v1/organization/projects/:project_id/tracing", deleteTracing)
  .get("/v1/organization/audit_logs", listAuditLogs)
  .get("/v1/organization/usage/completions", usageCompletions)
  .all("*", fallbackRoute(ROUTES));
