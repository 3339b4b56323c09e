// Origin health as this isolate sees it: passive breakers fed by real traffic, kept in
// memory, plus the cron's last probe results, read from KV in the background. Nothing
// here waits on the network during a request.

import { CLOSED, DEFAULT_BREAKER, isAvailable, onAbandon, onFailure, onFirstByte, onSuccess, passBreaker, retryAt, type BreakerConfig, type BreakerState } from "./breaker.ts";
import { settingsOf } from "../config/settings.ts";
import { HEALTH_KEY } from "../storage/kv-keys.ts";
import { isMarkedDown, parseHealthDoc, type HealthDoc } from "./health-doc.ts";

/** How long an isolate uses its copy of the health document before re-reading it. */
export const HEALTH_TTL_MS = 15_000;

const breakers = new Map<string, BreakerState>();
let doc: HealthDoc | null = null;
let docLoadedAt = -Infinity;
let loading: Promise<void> | null = null;

/** Read once per environment: the settings do not change while it lives. */
const configs = new WeakMap<Env, BreakerConfig>();

export function breakerConfig(env: Env): BreakerConfig {
  let cfg = configs.get(env);
  if (cfg === undefined) {
    const s = settingsOf(env);
    cfg = { ...DEFAULT_BREAKER, failureThreshold: s.breakerFailures, cooldownMs: s.breakerCooldownMs };
    configs.set(env, cfg);
  }
  return cfg;
}

const stateOf = (id: string): BreakerState => breakers.get(id) ?? CLOSED;

/** Its breaker would let a request through: real traffic has not given up on it. */
export function breakerAllows(id: string, now: number, cfg: BreakerConfig): boolean {
  return isAvailable(stateOf(id), now, cfg);
}

/** The cron's latest probe of this origin failed. */
export function probedDown(id: string, now: number): boolean {
  return isMarkedDown(doc, id, now);
}

/** Claims the right to send one request (the probe slot of a half-open breaker, if it is one). */
export function claimOrigin(id: string, now: number, cfg: BreakerConfig): boolean {
  const { allowed, next } = passBreaker(stateOf(id), now, cfg);
  breakers.set(id, next);
  return allowed;
}

export function reportSuccess(id: string): void {
  breakers.set(id, onSuccess());
}

export function reportFirstByte(id: string): void {
  breakers.set(id, onFirstByte(stateOf(id)));
}

export function reportFailure(id: string, now: number, cfg: BreakerConfig): void {
  breakers.set(id, onFailure(stateOf(id), now, cfg));
}

export function reportAbandon(id: string, now: number): void {
  breakers.set(id, onAbandon(stateOf(id), now));
}

/** Seconds until the first of these origins may be tried again: the 503's Retry-After. */
export function retryAfterSeconds(ids: readonly string[], now: number, cfg: BreakerConfig): number {
  let soonest = Infinity;
  for (const id of ids) {
    const at = retryAt(stateOf(id), now, cfg);
    if (at !== null) soonest = Math.min(soonest, at);
  }
  if (!Number.isFinite(soonest)) return 5;
  return Math.min(60, Math.max(1, Math.ceil((soonest - now) / 1000)));
}

export function breakerState(id: string): BreakerState {
  return stateOf(id);
}

/** The cron's isolate installs its own result at once; others read it from KV. */
export function setHealthDoc(next: HealthDoc, now: number): void {
  doc = next;
  docLoadedAt = now;
}

async function loadHealthDoc(kv: KVNamespace, now: number): Promise<void> {
  try {
    const parsed = parseHealthDoc(await kv.get(HEALTH_KEY, "json"));
    if (parsed !== null) doc = parsed;
  } catch (err) {
    console.log(JSON.stringify({ level: "error", event: "origin_health_load_failed", detail: String(err) }));
  }
  docLoadedAt = now;
}

/** Re-reads the health document in the background when this isolate's copy is old. */
export function refreshHealthDoc(env: Env, ctx: ExecutionContext, now: number): void {
  if (loading !== null || now - docLoadedAt < HEALTH_TTL_MS) return;
  loading = loadHealthDoc(env.KV, now).finally(() => {
    loading = null;
  });
  ctx.waitUntil(loading);
}

/** Tests only: wait for a background read to land. */
export function healthDocLoading(): Promise<void> {
  return loading ?? Promise.resolve();
}

/** Tests only: forget everything this isolate knows about origin health. */
export function resetOriginHealth(): void {
  breakers.clear();
  doc = null;
  docLoadedAt = -Infinity;
  loading = null;
}
