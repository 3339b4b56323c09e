// The catalog as each isolate sees it: read from KV, validated once, cached briefly,
// refreshed in the background, and the last good copy kept when KV fails or holds junk.

import { settingsOf } from "../config/settings.ts";
import { CATALOG_KEY } from "../storage/kv-keys.ts";
import { codedError } from "../openai/errors.ts";
import type { Catalog, ModelEntry } from "./types.ts";
import { validateCatalog } from "./validate.ts";

export interface LoadedCatalog {
  catalog: Catalog;
  byId: ReadonlyMap<string, ModelEntry>;
  loadedAt: number;
}

let cached: LoadedCatalog | null = null;
let refreshing: Promise<void> | null = null;

export function indexCatalog(catalog: Catalog, now: number): LoadedCatalog {
  return { catalog, byId: new Map(catalog.models.map((m) => [m.id, m])), loadedAt: now };
}

/** On any failure the last good copy stays, and is not retried before the TTL passes again. */
function keepLastGood(now: number, event: string, detail: unknown): void {
  console.log(JSON.stringify({ level: "error", event, detail }));
  if (cached !== null) cached = { ...cached, loadedAt: now };
}

async function load(kv: KVNamespace, now: number): Promise<void> {
  let raw: unknown;
  try {
    raw = await kv.get(CATALOG_KEY, "json");
  } catch (err) {
    return keepLastGood(now, "catalog_load_failed", String(err));
  }
  if (raw === null) return keepLastGood(now, "catalog_missing", null);
  const result = validateCatalog(raw);
  if (!result.ok) return keepLastGood(now, "catalog_invalid", result.errors.slice(0, 5));
  cached = indexCatalog(result.catalog, now);
}

function refresh(kv: KVNamespace, now: number): Promise<void> {
  refreshing ??= load(kv, now).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/**
 * A fresh copy is served from memory; a stale one is served while a refresh runs in
 * `waitUntil`, so only an isolate's first request waits for KV.
 */
export async function getCatalog(env: Env, ctx: ExecutionContext, now = Date.now()): Promise<LoadedCatalog> {
  const ttl = settingsOf(env).catalogTtlMs;
  if (cached === null) {
    await refresh(env.KV, now);
  } else if (now - cached.loadedAt > ttl) {
    ctx.waitUntil(refresh(env.KV, now));
  }
  if (cached === null) {
    throw codedError("catalog_unavailable", "The model catalog is not available right now; try again shortly.", { headers: { "retry-after": "5" } });
  }
  return cached;
}

/** Tests only: forget the isolate's copy. */
export function resetCatalogCache(): void {
  cached = null;
  refreshing = null;
}
