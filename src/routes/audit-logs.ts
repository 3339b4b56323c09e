// GET /v1/organization/audit_logs and /v1/organization/projects/{project_id}/audit_logs:
// a project's changes, newest first, paged and filtered like OpenAI's audit-log API.

import { managementPrincipal, requireProject } from "../auth/principal.ts";
import { jsonResponse } from "../http/json.ts";
import { invalidRequest } from "../openai/errors.ts";
import { parseAuditQuery } from "../projects/query.ts";
import { auditObject, listObject, projectStub, unwrap } from "../projects/wire.ts";
import type { RouterRequest } from "./context.ts";

export async function listAuditLogs(request: RouterRequest, env: Env): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const principal = await managementPrincipal(request, env, "audit_read");
  const named = [...params.getAll("project_ids[]"), ...params.getAll("project_ids")];
  let projectId = request.params.project_id;
  if (projectId === undefined) {
    // Each project keeps its own log; a key reads its own without naming it.
    if (named.length > 1) throw invalidRequest("Give one project in 'project_ids[]'.", "project_ids[]");
    projectId = named[0] ?? (principal.kind === "key" ? principal.record.project_id : undefined);
    if (projectId === undefined) throw invalidRequest("Name the project with 'project_ids[]'.", "project_ids[]");
  }
  requireProject(principal, projectId);
  request.state.log.project_id = projectId;
  const query = parseAuditQuery(params);
  const stub = projectStub(env, projectId);
  const { entries, has_more } = unwrap(await stub.auditLog(query), projectId);
  const project = await stub.getProject();
  if (project === null) return unwrap({ ok: false, reason: "project_not_found" }, projectId);
  return jsonResponse(listObject(entries.map((e) => auditObject(project, e)), has_more));
}
