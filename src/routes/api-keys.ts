// /v1/organization/projects/{project_id}/api_keys: create, list, read, update, rotate and
// delete a project's keys. The secret is returned once, at creation or rotation.

import { generateKey, hashKey } from "../auth/api-key.ts";
import { resetKeyCache } from "../auth/authenticate.ts";
import { actorOf, managementPrincipal, requireProject, type Principal } from "../projects/principal.ts";
import type { Action } from "../auth/permissions.ts";
import { jsonResponse } from "../http/json.ts";
import { redact } from "../projects/changes.ts";
import { readManagementBody, validationContext } from "../projects/management-input.ts";
import { parseAfter, parseLimit } from "../projects/query.ts";
import { parseKeyCreate, parseKeyPatch } from "../projects/validate.ts";
import { keyObject, listObject, projectStub, unwrap } from "../projects/wire.ts";
import { budgetSummary } from "../budget/summary.ts";
import type { RouterRequest } from "./context.ts";

const newKeyId = (): string => `key_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;

/** The caller and the target; whether a key may change another is decided in the project's object. */
async function begin(request: RouterRequest, env: Env, action: Action): Promise<{ principal: Principal; projectId: string; keyId: string }> {
  const projectId = request.params.project_id ?? "";
  const keyId = request.params.key_id ?? "";
  const principal = await managementPrincipal(request, env, action);
  requireProject(principal, projectId);
  request.state.log.project_id = projectId;
  if (principal.kind === "key") request.state.log.key_id = principal.record.key_id;
  return { principal, projectId, keyId };
}

export async function createKey(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { principal, projectId } = await begin(request, env, "create");
  const input = parseKeyCreate(await readManagementBody(request), { ...(await validationContext(env, ctx)), admin: principal.kind === "admin" });
  const secret = input.value ?? generateKey();
  const hash = await hashKey(secret);
  const key = unwrap(
    await projectStub(env, projectId).createKey({
      id: newKeyId(),
      hash,
      redacted_value: redact(secret),
      name: input.name,
      scopes: input.scopes,
      models: input.models,
      expires_at: input.expires_at,
      actor: actorOf(principal),
    }),
    projectId,
  );
  return jsonResponse({ ...keyObject(projectId, key), value: secret });
}

export async function listKeys(request: RouterRequest, env: Env): Promise<Response> {
  const { projectId } = await begin(request, env, "list");
  const params = new URL(request.url).searchParams;
  const input = { limit: parseLimit(params), after: parseAfter(params) };
  const page = unwrap(await projectStub(env, projectId).listKeys(input), projectId, input.after);
  return jsonResponse(listObject(page.keys.map((k) => keyObject(projectId, k)), page.has_more));
}

export async function getKey(request: RouterRequest, env: Env): Promise<Response> {
  const { projectId, keyId } = await begin(request, env, "get");
  const key = unwrap(await projectStub(env, projectId).getKey(keyId), projectId, keyId);
  return jsonResponse({ ...keyObject(projectId, key), budget: await budgetSummary(env, projectId, keyId) });
}

export async function updateKey(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { principal, projectId, keyId } = await begin(request, env, "update");
  const patch = parseKeyPatch(await readManagementBody(request), await validationContext(env, ctx));
  const key = unwrap(await projectStub(env, projectId).updateKey({ id: keyId, patch, actor: actorOf(principal) }), projectId, keyId);
  resetKeyCache();
  return jsonResponse(keyObject(projectId, key));
}

export async function rotateKey(request: RouterRequest, env: Env): Promise<Response> {
  const { principal, projectId, keyId } = await begin(request, env, "rotate");
  const secret = generateKey();
  const input = { id: keyId, hash: await hashKey(secret), redacted_value: redact(secret), actor: actorOf(principal) };
  const key = unwrap(await projectStub(env, projectId).rotateKey(input), projectId, keyId);
  resetKeyCache();
  return jsonResponse({ ...keyObject(projectId, key), value: secret });
}

export async function deleteKey(request: RouterRequest, env: Env): Promise<Response> {
  const { principal, projectId, keyId } = await begin(request, env, "delete");
  unwrap(await projectStub(env, projectId).deleteKey({ id: keyId, actor: actorOf(principal) }), projectId, keyId);
  resetKeyCache();
  return jsonResponse({ object: "organization.project.api_key.deleted", id: keyId, deleted: true });
}
