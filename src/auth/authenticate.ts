// Turns the Authorization header into the key's record, or a 401 in OpenAI's shape.

import { ApiError } from "../openai/errors.ts";
import { bearerToken, hashKey, isWellFormedKey, keyIndexKey } from "./api-key.ts";
import { parseKeyRecord, type KeyRecord, type Scope } from "./key-record.ts";

/** How long an isolate trusts what it read from KV, including "no such key". */
export const KEY_CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;

const cache = new Map<string, { record: KeyRecord | null; until: number }>();

const unauthorized = (message: string, code = "invalid_api_key"): ApiError =>
  new ApiError({ status: 401, type: "authentication_error", code, message });

async function lookup(kv: KVNamespace, hash: string, now: number): Promise<KeyRecord | null> {
  const hit = cache.get(hash);
  if (hit && hit.until > now) return hit.record;
  const record = parseKeyRecord(await kv.get(keyIndexKey(hash), "json"));
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(hash, { record, until: now + KEY_CACHE_TTL_MS });
  return record;
}

export async function authenticate(request: Request, env: Env, now = Date.now()): Promise<KeyRecord> {
  const token = bearerToken(request);
  if (token === null) {
    throw unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.", "missing_api_key");
  }
  // Malformed keys are refused before any hashing or storage read.
  if (!isWellFormedKey(token)) throw unauthorized("Incorrect API key provided.");
  const record = await lookup(env.KV, await hashKey(token), now);
  if (record === null) throw unauthorized("Incorrect API key provided.");
  if (record.expires_at !== null && record.expires_at * 1000 <= now) {
    throw unauthorized("The API key has expired.", "expired_api_key");
  }
  return record;
}

export function requireScope(record: KeyRecord, scope: Scope): void {
  if (!record.scopes.includes(scope)) {
    throw new ApiError({
      status: 403,
      type: "permission_error",
      code: "insufficient_scope",
      message: `This API key lacks the '${scope}' scope.`,
    });
  }
}

/** Tests only. */
export function resetKeyCache(): void {
  cache.clear();
}
