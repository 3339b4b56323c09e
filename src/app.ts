// The router: every route, the one place errors become responses, and the per-request
// id and access log.

import type { IRequest } from "itty-router";
// The subpath: the package index also brings its response helpers, which nothing here uses.
import { Router } from "itty-router/Router";
import { newAccessLog, writeAccessLog } from "./http/access-log.ts";
import { pathOf } from "./http/path.ts";
import { routePattern } from "./http/route-pattern.ts";
import { requestIdFor } from "./http/request-id.ts";
import { ApiError, toApiError } from "./openai/errors.ts";
import type { RouterArgs, RouterRequest } from "./routes/context.ts";
import { fallbackRoute } from "./routes/fallback.ts";
import { createKey, deleteKey, getKey, listKeys, rotateKey, updateKey } from "./routes/api-keys.ts";
import { listAuditLogs } from "./routes/audit-logs.ts";
import { deleteBudget, getBudget, putBudget } from "./routes/budget.ts";
import { deleteBudgetWebhook, getBudgetWebhook, setBudgetWebhook } from "./routes/budget-webhook.ts";
import { inferenceRoute } from "./routes/inference.ts";
import { getModel, listModels } from "./routes/models.ts";
import { getOpenApiDocument } from "./routes/openapi.ts";
import { createProject, getProject, listProjects, updateProject } from "./routes/projects.ts";
import { deleteTracing, getTracing, putTracing } from "./routes/tracing.ts";
import { usageCompletions } from "./routes/usage.ts";

function begin(request: RouterRequest): void {
  const requestId = requestIdFor(request);
  request.state = { requestId, startedAt: Date.now(), log: newAccessLog(requestId, request.method, pathOf(request.url)) };
}

function toErrorResponse(err: unknown, req: IRequest): Response {
  const request = req as RouterRequest;
  const apiError = toApiError(err);
  if (!(err instanceof ApiError)) {
    console.log(JSON.stringify({ level: "error", event: "unhandled", request_id: request.state?.requestId, error: String(err) }));
  }
  if (request.state) request.state.log.error_code = apiError.code;
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
  // An inference's owner writes its own line, when the inference has ended.
  if (state.owner === undefined) {
    state.log.total_ms = Date.now() - state.startedAt;
    writeAccessLog(state.log);
  }
  return res;
}

type Handler = (request: RouterRequest, ...args: RouterArgs) => Response | Promise<Response>;
type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Where every route of one project starts. */
const PROJECT = "/v1/organization/projects/:project_id";

/** Every route, once: the router's registrations and the fallback's 405 table come from it. */
const ROUTES: ReadonlyArray<readonly [Method, string, Handler]> = [
  ["GET", "/v1/openapi.json", getOpenApiDocument],
  ["GET", "/v1/models", listModels],
  ["GET", "/v1/models/:model+", getModel],
  ["POST", "/v1/chat/completions", inferenceRoute("chat")],
  ["POST", "/v1/completions", inferenceRoute("completion")],
  ["POST", "/v1/embeddings", inferenceRoute("embedding")],
  // Management API (keys, projects, audit log), after OpenAI's Admin API.
  ["GET", "/v1/organization/projects", listProjects],
  ["POST", "/v1/organization/projects", createProject],
  ["GET", PROJECT, getProject],
  ["POST", PROJECT, updateProject],
  ["PATCH", PROJECT, updateProject],
  ["GET", `${PROJECT}/api_keys`, listKeys],
  ["POST", `${PROJECT}/api_keys`, createKey],
  ["GET", `${PROJECT}/api_keys/:key_id`, getKey],
  ["POST", `${PROJECT}/api_keys/:key_id`, updateKey],
  ["PATCH", `${PROJECT}/api_keys/:key_id`, updateKey],
  ["DELETE", `${PROJECT}/api_keys/:key_id`, deleteKey],
  ["POST", `${PROJECT}/api_keys/:key_id/rotate`, rotateKey],
  ["GET", `${PROJECT}/audit_logs`, listAuditLogs],
  ["GET", `${PROJECT}/budget`, getBudget],
  ["PUT", `${PROJECT}/budget`, putBudget],
  ["DELETE", `${PROJECT}/budget`, deleteBudget],
  ["GET", `${PROJECT}/budget/webhook`, getBudgetWebhook],
  ["POST", `${PROJECT}/budget/webhook`, setBudgetWebhook],
  ["DELETE", `${PROJECT}/budget/webhook`, deleteBudgetWebhook],
  ["GET", `${PROJECT}/api_keys/:key_id/budget`, getBudget],
  ["PUT", `${PROJECT}/api_keys/:key_id/budget`, putBudget],
  ["DELETE", `${PROJECT}/api_keys/:key_id/budget`, deleteBudget],
  ["GET", `${PROJECT}/tracing`, getTracing],
  ["PUT", `${PROJECT}/tracing`, putTracing],
  ["DELETE", `${PROJECT}/tracing`, deleteTracing],
  ["GET", "/v1/organization/audit_logs", listAuditLogs],
  ["GET", "/v1/organization/usage/completions", usageCompletions],
];

/** Routes with path parameters, and every request the exact table misses (trailing slashes, 404s, 405s). */
const patterns = Router<RouterRequest, RouterArgs>();

for (const [method, path, handler] of ROUTES) patterns[method.toLowerCase() as Lowercase<Method>](path, handler);
patterns.all("*", fallbackRoute(ROUTES.map(([method, path]) => [method, routePattern(path)] as const)));

/**
 * Routes without path parameters (the inference endpoints among them), by method and exact
 * path: one map look-up, where the pattern router parses the URL, walks its patterns and
 * sets its properties on the request (0.03 ms per request in bench:ab: docs/benchmarks.md).
 */
const EXACT = new Map(ROUTES.filter(([, path]) => !path.includes(":")).map(([method, path, handler]) => [`${method} ${path}`, handler]));

/** The Worker's HTTP entry: one begin, error hook and finish, whichever table finds the route. */
export const router = {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const req = request as RouterRequest;
    begin(req);
    const exact = EXACT.get(`${req.method} ${req.state.log.path}`);
    let response: Response;
    // An exact route has no parameters: what the pattern router would have found.
    if (exact !== undefined) req.params = {};
    try {
      response = await (exact ?? patterns.fetch)(req, env, ctx);
    } catch (err) {
      response = toErrorResponse(err, req);
    }
    return finish(response, req);
  },
};
