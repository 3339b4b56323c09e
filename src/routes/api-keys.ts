// /v1/organization/projects/{project_id}/api_keys: create, list, read, update, rotate and
// delete a project's keys. The secret is returned once, at creation or rotation.

import { generateKey, hashKey, keyIndexKey } from "../auth/api-key.ts";
import { resetKeyCache } from "../auth/authenticate.ts";
import { parseKeyRecord } from "../auth/key-record.ts";
import { actorOf, managementPrincipal, requireProject, type Principal } from "../auth/principal.ts";
import { jsonResponse } from "../http/json.ts";
import { ApiError } from "../openai/errors.ts";
import { redact } from "../projects/changes.ts";
import { readManagementBody, validationContext } from "../projects/management-input.ts";
import { parseAfter, parseLimit } from "../projects/query.ts";
import { parseKeyCreate, parseKeyPatch } from "../projects/validate.ts";
import { keyObject, listObject, projectStub, unwrap } from "../projects/wire.ts";
import type { RouterRequest } from "./context.ts";

const newKeyId = (): string => `key_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;

/** A key restricted to some models cannot mint or widen a key beyond them. */
function checkModelsWithin(p: Principal, models: string[] | null | undefined): void {
  if (p.kind === "admin" || p.record.models === null || models === undefined) return;
  const allowed = p.record.models;
  if (models === null || models.some((m) => !allowed.includes(m))) {
    throw new ApiError({
      status: 403,
      type: "permission_error",
      code: "model_not_allowed",
      param: "models",
      message: `This API key may only grant its own models: ${allowed.join(", ")}.`,
    });
  }
}

/** A chosen secret must not take over a live key's index entry; a stale entry may be replaced. */
async function refuseTakenSecret(env: Env, hash: string, projectId: string): Promise<void> {
  const indexed = parseKeyRecord(await env.KV.get(keyIndexKey(hash), "json"));
  if (indexed === null) return;
  if ((await projectStub(env, indexed.project_id).confirmKey(hash)) !== null) unwrap({ ok: false, reason: "key_exists" }, projectId);
}

async function begin(request: RouterRequest, env: Env): Promise<{ principal: Principal; projectId: string; keyId: string }> {
  const projectId = request.params.project_id ?? "";
  const keyId = request.params.key_id ?? "";
  const principal = await managementPrincipal(request, env);
  requireProject(principal, projectId);
  request.state.log.project_id = projectId;
  if (principal.kind === "key") request.state.log.key_id = principal.record.key_id;
  return { principal, projectId, keyId };
}

export async function createKey(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { principal, projectId } = await begin(request, env);
  const input = parseKeyCreate(await readManagementBody(request), { ...(await validationContext(env, ctx)), admin: principal.kind === "admin" });
  checkModelsWithin(principal, input.models);
  const secret = input.value ?? generateKey();
  const hash = await hashKey(secret);
  if (input.value !== null) await refuseTakenSecret(env, hash, projectId);
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
  const { projectId } = await begin(request, env);
  const params = new URL(request.url).searchParams;
  const input = { limit: parseLimit(params), after: parseAfter(params) };
  const page = unwrap(await projectStub(env, projectId).listKeys(input), projectId, input.after);
  return jsonResponse(listObject(page.keys.map((k) => keyObject(projectId, k)), page.has_more));
}

export async function getKey(request: RouterRequest, env: Env): Promise<Response> {
  const { projectId, keyId } = await begin(request, env);
  return jsonResponse(keyObject(projectId, unwrap(await projectStub(env, projectId).getKey(keyId), projectId, keyId)));
}

export async function updateKey(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { principal, projectId, keyId } = await begin(request, env);
  const patch = parseKeyPatch(await readManagementBody(request), await validationContext(env, ctx));
  checkModelsWithin(principal, patch.models);
  const key = unwrap(await projectStub(env, projectId).updateKey({ id: keyId, patch, actor: actorOf(principal) }), projectId, keyId);
  resetKeyCache();
  return jsonResponse(keyObject(projectId, key));
}

export async function rotateKey(request: RouterRequest, env: Env): Promise<Response> {
  const { principal, projectId, keyId } = await begin(request, env);
  const secret = generateKey();
  const input = { id: keyId, hash: await hashKey(secret), redacted_value: redact(secret), actor: actorOf(principal) };
  const key = unwrap(await projectStub(env, projectId).rotateKey(input), projectId, keyId);
  resetKeyCache();
  return jsonResponse({ ...keyObject(projectId, key), value: secret });
}

export async function deleteKey(request: RouterRequest, env: Env): Promise<Response> {
  const { principal, projectId, keyId } = await begin(request, env);
  unwrap(await projectStub(env, projectId).deleteKey({ id: keyId, actor: actorOf(principal) }), projectId, keyId);
  resetKeyCache();
  return jsonResponse({ object: "organization.project.api_key.deleted", id: keyId, deleted: true });
}
