// Who is calling the management and usage API: the operators' admin credential, or a
// project key, which sees its own project only. Every check goes through auth/permissions.ts.
// It lives with the projects: it authorizes over them, and auth/ stays below this folder.

import { ApiError } from "../openai/errors.ts";
import { isAdmin } from "../auth/admin.ts";
import { authenticate } from "../auth/authenticate.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import { authorize, type Action, type Authority, type Denial } from "../auth/permissions.ts";
import type { Actor } from "./types.ts";
import { PROJECT_ID } from "./validate.ts";

export type Principal = { kind: "admin" } | { kind: "key"; record: KeyRecord };

/** The wire error of each denial of the permission rule. */
export function denied(d: Denial): ApiError {
  const forbid = (code: string, message: string, param: string | null = null): ApiError => new ApiError({ status: 403, type: "permission_error", code, param, message });
  switch (d.reason) {
    case "insufficient_scope":
      return forbid("insufficient_scope", `This API key lacks the '${d.scope}' scope.`);
    case "api_key_not_allowed":
      return forbid("api_key_not_allowed", "This API key may only change keys whose scopes, models and expiry are within its own.", "api_key_id");
    case "scope_not_allowed":
      return forbid("scope_not_allowed", "This API key may only grant scopes it has itself.", "scopes");
    case "model_not_allowed":
      return forbid("model_not_allowed", "This API key may only grant models it may use itself.", "models");
    case "expiry_not_allowed":
      return forbid("expiry_not_allowed", "This API key may only grant an expiry no later than its own ('expires_at').", "expires_at");
  }
}

export const authorityOf = (p: Principal): Authority => (p.kind === "admin" ? p : { kind: "key", grant: p.record });

/** The caller, checked for the scope `action` needs; key writes are checked again where the key is stored. */
export async function managementPrincipal(request: Request, env: Env, action: Action): Promise<Principal> {
  if (await isAdmin(request, env)) return { kind: "admin" };
  const record = await authenticate(request, env);
  const denial = authorize({ kind: "key", grant: record }, action, null, null);
  if (denial !== null) throw denied(denial);
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
