// The active health check, run by the cron trigger: probes every origin of the catalog
// once, writes the results as one KV document, and installs them in this isolate.

import { getCatalog } from "../catalog/store.ts";
import type { OriginSpec } from "../catalog/types.ts";
import { originHeaders } from "./forward.ts";
import { HEALTH_KEY } from "../storage/kv-keys.ts";
import type { HealthDoc, OriginProbe } from "./health-doc.ts";
import { setHealthDoc } from "./health-state.ts";

export const PROBE_TIMEOUT_MS = 5_000;

/** vLLM answers GET /health at the root of its host; the catalog may name another URL. */
export function healthUrlOf(origin: OriginSpec): string {
  return origin.health_url ?? new URL("/health", origin.url).href;
}

async function probe(env: Env, origin: OriginSpec, now: number): Promise<OriginProbe> {
  try {
    const res = await fetch(healthUrlOf(origin), { headers: originHeaders(env, origin, null), signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    return { up: res.ok, status: res.status, checked_at: now };
  } catch {
    return { up: false, status: null, checked_at: now };
  }
}

export async function probeOrigins(env: Env, ctx: ExecutionContext, now: number): Promise<HealthDoc | null> {
  let origins: OriginSpec[];
  try {
    const { catalog } = await getCatalog(env, ctx, now);
    const byId = new Map<string, OriginSpec>();
    for (const m of catalog.models) for (const o of m.origins) if (!byId.has(o.id)) byId.set(o.id, o);
    origins = [...byId.values()];
  } catch {
    console.log(JSON.stringify({ level: "error", event: "origin_probe_skipped", detail: "catalog unavailable" }));
    return null;
  }
  const results = await Promise.all(origins.map(async (o) => [o.id, await probe(env, o, now)] as const));
  const doc: HealthDoc = { version: 1, checked_at: now, origins: Object.fromEntries(results) };
  setHealthDoc(doc, Date.now());
  try {
    await env.KV.put(HEALTH_KEY, JSON.stringify(doc));
  } catch (err) {
    // Other isolates keep the previous result, which turns stale and is then ignored.
    console.log(JSON.stringify({ level: "error", event: "origin_probe_write_failed", detail: String(err) }));
  }
  const down = results.filter(([, p]) => !p.up).map(([id]) => id);
  console.log(JSON.stringify({ level: down.length > 0 ? "warn" : "info", event: "origin_probe", origins: results.length, down }));
  return doc;
}
