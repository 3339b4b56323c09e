// Who is calling the management and usage API: the operators' admin credential, or a
// project key, which sees its own project only. Every check goes through auth/permissions.ts.
// It lives with the projects: it authorizes over them, and auth/ stays below this folder.

import { codedError, type ApiError } from "../openai/errors.ts";
import { isAdmin } from "../auth/admin.ts";
import { authenticate } from "../auth/authenticate.ts";
import { adminOnly, apiKeyNotAllowed, expiryNotAllowed, insufficientScope, modelNotAllowed, scopeNotAllowed } from "../auth/errors.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import { authorize, type Action, type Authority, type Denial } from "../auth/permissions.ts";
import type { Actor } from "./types.ts";
import { PROJECT_ID } from "./validate.ts";

export type Principal = { kind: "admin" } | { kind: "key"; record: KeyRecord };

/** The wire error of each denial of the permission rule. */
export function denied(d: Denial): ApiError {
  switch (d.reason) {
    case "insufficient_scope":
      return insufficientScope(d.scope);
    case "api_key_not_allowed":
      return apiKeyNotAllowed();
    case "scope_not_allowed":
      return scopeNotAllowed();
    case "model_not_allowed":
      return modelNotAllowed("This API key may only grant models it may use itself.", "models");
    case "expiry_not_allowed":
      return expiryNotAllowed();
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
  codedError("project_not_found", PROJECT_ID.test(id) ? `No project '${id}'.` : "No such project.", { param: "project_id" });

/** Another project's resources look like they do not exist; a malformed id never reaches an object. */
export function requireProject(p: Principal, projectId: string): void {
  if (!PROJECT_ID.test(projectId)) throw projectNotFound(projectId);
  if (p.kind === "key" && p.record.project_id !== projectId) throw projectNotFound(projectId);
}

export function requireAdmin(p: Principal): void {
  if (p.kind !== "admin") {
    throw adminOnly();
  }
}

export const actorOf = (p: Principal): Actor => (p.kind === "admin" ? { type: "admin" } : { type: "api_key", api_key: { id: p.record.key_id } });
