// GET /v1/organization/audit_logs and /v1/organization/projects/{project_id}/audit_logs:
// changes, newest first, paged (after/before) and filtered like OpenAI's audit-log API. The
// admin reads every project, or those named; a key reads its own project's.

import { managementPrincipal, type Principal } from "../projects/principal.ts";
import { jsonResponse } from "../http/json.ts";
import { invalidRequest } from "../openai/errors.ts";
import { listProjectIds } from "../projects/directory.ts";
import { mergeAuditSlices, sliceBound, type AuditItem, type AuditSplit } from "../projects/audit-page.ts";
import { LIMIT_MAX, parseAuditQuery } from "../projects/query.ts";
import type { AuditQuery, Project } from "../projects/types.ts";
import { auditObject, listObject, projectStub, unwrap, visibleProject } from "../projects/wire.ts";
import type { RouterRequest } from "./context.ts";

/** The projects whose logs this request reads, each one the caller may see. */
async function projectsInView(env: Env, principal: Principal, pathProject: string | undefined, params: URLSearchParams): Promise<Project[]> {
  const named = pathProject !== undefined ? [pathProject] : [...new Set([...params.getAll("project_ids[]"), ...params.getAll("project_ids")])];
  if (named.length > LIMIT_MAX) throw invalidRequest(`Name at most ${LIMIT_MAX} projects in 'project_ids[]'.`, "project_ids[]");
  if (named.length === 0 && principal.kind === "key") named.push(principal.record.project_id);
  if (named.length > 0) return Promise.all(named.map((id) => visibleProject(env, principal, id)));
  // The admin naming none: every project of the directory (KV lists lag a new project by up to a minute).
  const { ids } = await listProjectIds(env.KV, null, Number.MAX_SAFE_INTEGER);
  const projects = await Promise.all(ids.map((id) => projectStub(env, id).getProject()));
  return projects.filter((p) => p !== null);
}

/** Where the cursor splits every log: its event's time comes from its own project. */
async function splitOf(env: Env, projects: Project[], q: AuditQuery): Promise<AuditSplit | null> {
  const cursor = q.after ?? q.before;
  if (cursor === null) return null;
  const param = q.after !== null ? "after" : "before";
  const bad = () => invalidRequest(`'${param}' must be an audit log id from a previous page of this list.`, param);
  if (!projects.some((p) => p.id === cursor.project_id)) throw bad();
  const effective_at = await projectStub(env, cursor.project_id).auditTime(cursor.seq);
  if (effective_at === null) throw bad();
  return { ...cursor, effective_at, direction: q.after !== null ? "older" : "newer" };
}

export async function listAuditLogs(request: RouterRequest, env: Env): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const principal = await managementPrincipal(request, env, "audit_read");
  if (principal.kind === "key") request.state.log.key_id = principal.record.key_id;
  const query = parseAuditQuery(params);
  const projects = await projectsInView(env, principal, request.params.project_id, params);
  if (projects.length === 1) request.state.log.project_id = projects[0]!.id;
  const split = await splitOf(env, projects, query);
  // Each project gives one more than a page, nearest the cursor: enough to know has_more.
  const slices = await Promise.all(
    projects.map(async (project): Promise<AuditItem[]> => {
      const slice = { limit: query.limit + 1, bound: split && sliceBound(split, project.id), since: query.since, until: query.until, types: query.types };
      return unwrap(await projectStub(env, project.id).auditSlice(slice), project.id).map((entry) => ({ project, entry }));
    }),
  );
  const { items, has_more } = mergeAuditSlices(slices, query.limit, split?.direction ?? "older");
  return jsonResponse(listObject(items.map((i) => auditObject(i.project, i.entry)), has_more));
}
