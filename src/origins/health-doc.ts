// The active health check's result: one KV document written by the cron, read by every
// isolate like the catalog. Pure: parsing and the "is it down" question, given `now`.

import { isObj } from "../openai/json.ts";

/** A document older than this is ignored: a cron that stopped must not pin origins down. */
export const HEALTH_STALE_MS = 5 * 60_000;

export interface OriginProbe {
  up: boolean;
  /** HTTP status of the probe, or null when it got no answer. */
  status: number | null;
  checked_at: number;
}

/** Keyed by origin id; never an origin URL. */
export interface HealthDoc {
  version: 1;
  checked_at: number;
  origins: Record<string, OriginProbe>;
}


export function parseHealthDoc(raw: unknown): HealthDoc | null {
  if (!isObj(raw) || raw.version !== 1 || typeof raw.checked_at !== "number" || !isObj(raw.origins)) return null;
  const origins: Record<string, OriginProbe> = {};
  for (const [id, v] of Object.entries(raw.origins)) {
    if (!isObj(v) || typeof v.up !== "boolean" || typeof v.checked_at !== "number") continue;
    origins[id] = { up: v.up, status: typeof v.status === "number" ? v.status : null, checked_at: v.checked_at };
  }
  return { version: 1, checked_at: raw.checked_at, origins };
}

export function isMarkedDown(doc: HealthDoc | null, originId: string, now: number): boolean {
  const probe = doc?.origins[originId];
  return probe !== undefined && !probe.up && now - probe.checked_at < HEALTH_STALE_MS;
}
