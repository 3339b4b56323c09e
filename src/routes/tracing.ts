// /v1/organization/projects/{project_id}/tracing: the project's MLflow destination, read,
// set and removed by the admin or a 'keys' key of the project. The credential is write-only.

import { resetKeyCache } from "../auth/authenticate.ts";
import { actorOf, managementPrincipal, requireProject } from "../projects/principal.ts";
import { jsonResponse } from "../http/json.ts";
import { codedError, type ApiError } from "../openai/errors.ts";
import { readManagementBody } from "../projects/management-input.ts";
import { projectStub, unwrap } from "../projects/wire.ts";
import { parseTracingInput, type TracingView } from "../tracing/destination.ts";
import { forgetDestination } from "../tracing/destination-cache.ts";
import type { RouterRequest } from "./context.ts";

const tracingObject = (projectId: string, v: TracingView) => ({ object: "organization.project.tracing", project_id: projectId, ...v });

const notConfigured = (): ApiError =>
  codedError("tracing_not_configured", "This project has no tracing destination.");

async function begin(request: RouterRequest, env: Env, action: "tracing_read" | "tracing_write") {
  const id = request.params.project_id ?? "";
  const principal = await managementPrincipal(request, env, action);
  requireProject(principal, id);
  request.state.log.project_id = id;
  return { id, principal, stub: projectStub(env, id) };
}

export async function getTracing(request: RouterRequest, env: Env): Promise<Response> {
  const { id, stub } = await begin(request, env, "tracing_read");
  const view = unwrap(await stub.getTracing(), id);
  if (view === null) throw notConfigured();
  return jsonResponse(tracingObject(id, view));
}

export async function putTracing(request: RouterRequest, env: Env): Promise<Response> {
  const { id, principal, stub } = await begin(request, env, "tracing_write");
  const input = parseTracingInput(await readManagementBody(request));
  if (input.credential && !env.TRACING_KEY) {
    throw codedError("tracing_key_missing", "The router cannot store credentials: its TRACING_KEY secret is not set.");
  }
  const view = unwrap(await stub.setTracing({ tracing: input, actor: actorOf(principal) }), id);
  resetKeyCache();
  forgetDestination(id);
  return jsonResponse(tracingObject(id, view));
}

export async function deleteTracing(request: RouterRequest, env: Env): Promise<Response> {
  const { id, principal, stub } = await begin(request, env, "tracing_write");
  const { deleted } = unwrap(await stub.deleteTracing({ actor: actorOf(principal) }), id);
  if (!deleted) throw notConfigured();
  resetKeyCache();
  forgetDestination(id);
  return jsonResponse({ object: "organization.project.tracing.deleted", project_id: id, deleted: true });
}
