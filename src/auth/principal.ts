// Who is calling the management API: the operators' admin credential, or a project key
// with the 'keys' scope, which sees its own project only.

import { ApiError } from "../openai/errors.ts";
import type { Actor } from "../projects/types.ts";
import { PROJECT_ID } from "../projects/validate.ts";
import { isAdmin } from "./admin.ts";
import { authenticate, requireScope } from "./authenticate.ts";
import type { KeyRecord } from "./key-record.ts";

export type Principal = { kind: "admin" } | { kind: "key"; record: KeyRecord };

export async function managementPrincipal(request: Request, env: Env): Promise<Principal> {
  if (await isAdmin(request, env)) return { kind: "admin" };
  const record = await authenticate(request, env);
  requireScope(record, "keys");
  return { kind: "key", record };
}

export const projectNotFound = (id: string): ApiError =>
  new ApiError({
    status: 404,
    type: "invalid_request_error",
    code: "project_not_found",
    param: "project_id",
    message: PROJECT_ID.test(id) ? `No project '${id}'.` : "No such project.",
  });

/** Another project's resources look like they do not exist; a malformed id never reaches an object. */
export function requireProject(p: Principal, projectId: string): void {
  if (!PROJECT_ID.test(projectId)) throw projectNotFound(projectId);
  if (p.kind === "key" && p.record.project_id !== projectId) throw projectNotFound(projectId);
}

export function requireAdmin(p: Principal): void {
  if (p.kind !== "admin") {
    throw new ApiError({ status: 403, type: "permission_error", code: "admin_only", message: "Only an operator's admin token may do this." });
  }
}

export const actorOf = (p: Principal): Actor => (p.kind === "admin" ? { type: "admin" } : { type: "api_key", api_key: { id: p.record.key_id } });
