// /v1/organization/projects: operators create, list, read and update projects; a key with the
// 'keys' scope may read its own project (its name, status and limits).

import { resetKeyCache } from "../auth/authenticate.ts";
import { actorOf, managementPrincipal, requireAdmin, requireProject } from "../projects/principal.ts";
import { jsonResponse } from "../http/json.ts";
import { listProjectIds } from "../projects/directory.ts";
import { parseAfter, parseLimit } from "../projects/query.ts";
import { readManagementBody, validationContext } from "../projects/management-input.ts";
import { parseProjectCreate, parseProjectPatch } from "../projects/validate.ts";
import { listObject, projectObject, projectStub, unwrap, visibleProject } from "../projects/wire.ts";
import { budgetSummary } from "../budget/summary.ts";
import type { RouterRequest } from "./context.ts";

const newProjectId = (): string => `proj_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;

export async function createProject(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const principal = await managementPrincipal(request, env, "project_read");
  requireAdmin(principal);
  const input = parseProjectCreate(await readManagementBody(request), await validationContext(env, ctx));
  const id = input.id ?? newProjectId();
  request.state.log.project_id = id;
  const project = unwrap(await projectStub(env, id).createProject({ id, name: input.name, limits: input.limits, actor: actorOf(principal) }), id);
  return jsonResponse(projectObject(project));
}

/** Admin only, in id order; OpenAI's list shape with limit/after. */
export async function listProjects(request: RouterRequest, env: Env): Promise<Response> {
  requireAdmin(await managementPrincipal(request, env, "project_read"));
  const params = new URL(request.url).searchParams;
  const { ids, has_more } = await listProjectIds(env.KV, parseAfter(params), parseLimit(params));
  const projects = await Promise.all(ids.map((id) => projectStub(env, id).getProject()));
  return jsonResponse(listObject(projects.filter((p) => p !== null).map(projectObject), has_more));
}

export async function getProject(request: RouterRequest, env: Env): Promise<Response> {
  const id = request.params.project_id ?? "";
  const principal = await managementPrincipal(request, env, "project_read");
  const project = await visibleProject(env, principal, id);
  return jsonResponse({ ...projectObject(project), budget: await budgetSummary(env, id, null) });
}

export async function updateProject(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const id = request.params.project_id ?? "";
  const principal = await managementPrincipal(request, env, "project_read");
  requireAdmin(principal);
  requireProject(principal, id);
  request.state.log.project_id = id;
  const patch = parseProjectPatch(await readManagementBody(request), await validationContext(env, ctx));
  const project = unwrap(await projectStub(env, id).updateProject({ patch, actor: actorOf(principal) }), id);
  resetKeyCache();
  return jsonResponse(projectObject(project));
}
