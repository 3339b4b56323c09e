// Checks management request bodies once, where they enter: every problem is a 400 that
// names the field. Pure: the clock and the catalog's model ids come in as arguments.

import { isWellFormedKey } from "../auth/api-key.ts";
import { SCOPES, type Scope } from "../auth/key-record.ts";
import { isObj, type JsonObject } from "../openai/json.ts";
import { invalidRequest } from "../openai/errors.ts";
import { expiryInPast, invalidScope, unknownModelInList, unknownParameter } from "../openai/request-errors.ts";
import { PROJECT_STATUSES, type ModelLimits, type ProjectStatus } from "./types.ts";

export const NAME_MAX = 128;
export const MODELS_MAX = 100;
export const PROJECT_ID = /^proj_[A-Za-z0-9_-]{1,60}$/;

export interface Context {
  modelIds: ReadonlySet<string>;
  /** Unix milliseconds. */
  now: number;
}

export interface ProjectCreate {
  id: string | null;
  name: string;
  limits: ModelLimits;
}
export interface ProjectPatch {
  name?: string;
  status?: ProjectStatus;
  limits?: ModelLimits;
}
export interface KeyCreate {
  name: string;
  scopes: Scope[];
  models: string[] | null;
  expires_at: number | null;
  /** Operators only: a secret chosen by the caller (the local demo key, migrations). */
  value: string | null;
}
export interface KeyPatch {
  name?: string;
  scopes?: Scope[];
  models?: string[] | null;
  expires_at?: number | null;
}


function onlyFields(body: JsonObject, allowed: readonly string[]): void {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) throw unknownParameter(k, `Unknown field '${k}'; allowed: ${allowed.join(", ")}.`);
  }
}

export function parseName(v: unknown, field = "name"): string {
  if (typeof v !== "string") throw invalidRequest(`'${field}' must be a string.`, field);
  const name = v.trim();
  if (name.length === 0) throw invalidRequest(`'${field}' must not be empty.`, field);
  if (name.length > NAME_MAX) throw invalidRequest(`'${field}' is longer than ${NAME_MAX} characters.`, field);
  // Control characters would corrupt terminals and logs that show the name.
  if (/\p{Cc}/u.test(name)) throw invalidRequest(`'${field}' must not contain control characters.`, field);
  return name;
}

export function parseScopes(v: unknown): Scope[] {
  if (!Array.isArray(v) || v.length === 0) throw invalidRequest(`'scopes' must be a non-empty array of ${SCOPES.join(", ")}.`, "scopes");
  const out: Scope[] = [];
  for (const s of v) {
    if (!SCOPES.includes(s as Scope)) throw invalidScope(`Unknown scope ${JSON.stringify(s)}; use ${SCOPES.join(", ")}.`);
    if (!out.includes(s as Scope)) out.push(s as Scope);
  }
  return out;
}

export function parseModels(v: unknown, ctx: Context): string[] | null {
  if (v === null) return null;
  if (!Array.isArray(v) || v.length === 0 || v.length > MODELS_MAX) {
    throw invalidRequest(`'models' must be null (every model) or an array of 1 to ${MODELS_MAX} model ids.`, "models");
  }
  const out: string[] = [];
  for (const m of v) {
    if (typeof m !== "string" || !ctx.modelIds.has(m)) {
      throw unknownModelInList(`The model ${JSON.stringify(m)} does not exist.`, "models");
    }
    if (!out.includes(m)) out.push(m);
  }
  return out;
}

export function parseExpiresAt(v: unknown, ctx: Context): number | null {
  if (v === null) return null;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw invalidRequest("'expires_at' must be null or Unix seconds as an integer.", "expires_at");
  if (v * 1000 <= ctx.now) throw expiryInPast();
  return v;
}

/** A caller's `limits` in the management API: checked against the catalog, a 400 naming the field when wrong. */
export function validateLimitsInput(v: unknown, ctx: Context): ModelLimits {
  if (!isObj(v)) throw invalidRequest("'limits' must be an object of model id to {rpm, tpm}.", "limits");
  const out: ModelLimits = {};
  for (const [model, lim] of Object.entries(v)) {
    const field = `limits.${model}`;
    if (!ctx.modelIds.has(model)) throw unknownModelInList(`The model '${model}' does not exist.`, field);
    if (!isObj(lim)) throw invalidRequest(`'${field}' must be an object {rpm, tpm}.`, field);
    onlyFields(lim, ["rpm", "tpm"]);
    const { rpm, tpm } = lim;
    for (const [k, n] of [["rpm", rpm], ["tpm", tpm]] as const) {
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n <= 0) throw invalidRequest(`'${field}.${k}' must be a positive integer.`, `${field}.${k}`);
    }
    out[model] = { rpm: rpm as number, tpm: tpm as number };
  }
  return out;
}

export function parseProjectCreate(body: JsonObject, ctx: Context): ProjectCreate {
  onlyFields(body, ["id", "name", "limits"]);
  let id: string | null = null;
  if (body.id !== undefined) {
    if (typeof body.id !== "string" || !PROJECT_ID.test(body.id)) throw invalidRequest("'id' must look like proj_<letters, digits, _ or ->, at most 65 characters.", "id");
    id = body.id;
  }
  if (body.name === undefined) throw invalidRequest("'name' is required.", "name");
  return { id, name: parseName(body.name), limits: body.limits === undefined ? {} : validateLimitsInput(body.limits, ctx) };
}

export function parseProjectPatch(body: JsonObject, ctx: Context): ProjectPatch {
  onlyFields(body, ["name", "status", "limits"]);
  const patch: ProjectPatch = {};
  if (body.name !== undefined) patch.name = parseName(body.name);
  if (body.status !== undefined) {
    if (!PROJECT_STATUSES.includes(body.status as ProjectStatus)) throw invalidRequest(`'status' must be one of ${PROJECT_STATUSES.join(", ")}.`, "status");
    patch.status = body.status as ProjectStatus;
  }
  if (body.limits !== undefined) patch.limits = validateLimitsInput(body.limits, ctx);
  if (Object.keys(patch).length === 0) throw invalidRequest("Nothing to update: give name, status or limits.", null);
  return patch;
}

export function parseKeyCreate(body: JsonObject, ctx: Context & { admin: boolean }): KeyCreate {
  onlyFields(body, ctx.admin ? ["name", "scopes", "models", "expires_at", "value"] : ["name", "scopes", "models", "expires_at"]);
  if (body.name === undefined) throw invalidRequest("'name' is required.", "name");
  let value: string | null = null;
  if (body.value !== undefined) {
    if (typeof body.value !== "string" || !isWellFormedKey(body.value)) throw invalidRequest("'value' must be a key of the form sk-eir-<20 to 128 of A-Z a-z 0-9 _ ->.", "value");
    value = body.value;
  }
  return {
    name: parseName(body.name),
    scopes: body.scopes === undefined ? ["inference"] : parseScopes(body.scopes),
    models: body.models === undefined ? null : parseModels(body.models, ctx),
    expires_at: body.expires_at === undefined ? null : parseExpiresAt(body.expires_at, ctx),
    value,
  };
}

export function parseKeyPatch(body: JsonObject, ctx: Context): KeyPatch {
  onlyFields(body, ["name", "scopes", "models", "expires_at"]);
  const patch: KeyPatch = {};
  if (body.name !== undefined) patch.name = parseName(body.name);
  if (body.scopes !== undefined) patch.scopes = parseScopes(body.scopes);
  if (body.models !== undefined) patch.models = parseModels(body.models, ctx);
  if (body.expires_at !== undefined) patch.expires_at = parseExpiresAt(body.expires_at, ctx);
  if (Object.keys(patch).length === 0) throw invalidRequest("Nothing to update: give name, scopes, models or expires_at.", null);
  return patch;
}
