// GET /v1/models and /v1/models/{model}: the catalog as the caller's key may see it.

import { authenticate } from "../auth/authenticate.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import { authorize } from "../auth/permissions.ts";
import { denied } from "../projects/principal.ts";
import { lifecycleStatus } from "../catalog/lifecycle.ts";
import { modelNotFound } from "../catalog/model-access.ts";
import { modelCard } from "../catalog/model-card.ts";
import { getCatalog } from "../catalog/store.ts";
import { jsonResponse } from "../http/json.ts";
import type { RouterRequest } from "./context.ts";

/** A malformed escape such as `%E0%A4%A` names no model: a 404, not a URIError. */
function decodeModelId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw modelNotFound(raw);
  }
}

/** Any valid key may read the catalog, whatever its scopes (auth/permissions.ts), filtered by its models. */
async function reader(request: RouterRequest, env: Env): Promise<KeyRecord> {
  const key = await authenticate(request, env);
  const denial = authorize({ kind: "key", grant: key }, "models_read", null, null);
  if (denial !== null) throw denied(denial);
  return key;
}

export async function listModels(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const key = await reader(request, env);
  request.state.log.project_id = key.project_id;
  request.state.log.key_id = key.key_id;
  const { catalog } = await getCatalog(env, ctx);
  const now = Date.now();
  const data = catalog.models
    .filter((m) => lifecycleStatus(m, now) !== "retired" && (key.models === null || key.models.includes(m.id)))
    .map((m) => modelCard(m, now));
  return jsonResponse({ object: "list", data });
}

export async function getModel(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const key = await reader(request, env);
  request.state.log.project_id = key.project_id;
  request.state.log.key_id = key.key_id;
  const id = decodeModelId(request.params.model ?? "");
  const { byId } = await getCatalog(env, ctx);
  const m = byId.get(id);
  if (!m || (key.models !== null && !key.models.includes(id))) throw modelNotFound(id);
  return jsonResponse(modelCard(m, Date.now()));
}
