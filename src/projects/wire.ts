// The management API's wire objects (after OpenAI's Admin API), the typed stub of a
// project's object, and the one mapping from its refusals to wire errors.

import { denied, projectNotFound, requireProject, type Principal } from "./principal.ts";
import type { ApiError } from "../openai/errors.ts";
import { auditId } from "./audit-page.ts";
import { apiKeyExists, apiKeyNotFound, apiKeyStoreUnavailable, projectExists, tooManyApiKeys } from "./errors.ts";
import type { AuditDetails, AuditEntry, Outcome, Project, Refusal, StoredKey } from "./types.ts";

export const projectStub = (env: Env, projectId: string): ReturnType<Env["PROJECTS"]["get"]> =>
  env.PROJECTS.get(env.PROJECTS.idFromName(projectId));

/**
 * The project a caller names, if it may see it: the one rule for every management and usage
 * read. Another project and a project that does not exist both answer 404 project_not_found.
 */
export async function visibleProject(env: Env, principal: Principal, projectId: string): Promise<Project> {
  requireProject(principal, projectId);
  const project = await projectStub(env, projectId).getProject();
  if (project === null) throw projectNotFound(projectId);
  return project;
}

export const projectObject = (p: Project) => ({ object: "organization.project", ...p });

export const keyObject = (projectId: string, k: StoredKey) => ({ object: "organization.project.api_key", ...k, project_id: projectId });

export function auditObject(project: Project, e: AuditEntry): { id: string } & Record<string, unknown> {
  return {
    id: auditId(project.id, e.seq),
    type: e.type,
    effective_at: e.effective_at,
    project: { id: project.id, name: project.name },
    actor: e.actor,
    [e.type]: JSON.parse(e.details) as AuditDetails,
  };
}

export function listObject<T extends { id: string }>(data: T[], hasMore: boolean) {
  return { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

function refusal(reason: Refusal, projectId: string, keyId: string | null): ApiError {
  switch (reason) {
    case "project_not_found":
      return projectNotFound(projectId);
    case "key_not_found":
      return apiKeyNotFound(keyId);
    case "project_exists":
      return projectExists(projectId);
    case "key_exists":
      return apiKeyExists();
    case "insufficient_scope":
      // Only key writes are decided in the object, and they all need 'keys'.
      return denied({ reason, scope: "keys" });
    case "api_key_not_allowed":
    case "scope_not_allowed":
    case "model_not_allowed":
    case "expiry_not_allowed":
      return denied({ reason });
    case "claim_unavailable":
      return apiKeyStoreUnavailable();
    case "too_many_keys":
      return tooManyApiKeys();
  }
}

export function unwrap<T>(outcome: Outcome<T>, projectId: string, keyId: string | null = null): T {
  if (outcome.ok) return outcome.value;
  throw refusal(outcome.reason, projectId, keyId);
}
