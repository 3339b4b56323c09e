// The Worker's settings from its vars, read and checked once per environment object:
// the one place that knows their names, defaults and bounds (wrangler.toml documents them).

import { DEFAULT_BREAKER } from "../origins/breaker.ts";
import { DEFAULT_MAX_ADMISSION_WAIT_MS, operatorMaxWaitMs } from "../quota/prefer-wait.ts";

export type LimiterFailureMode = "open" | "closed";

export interface Settings {
  /** Largest request body accepted, in bytes (413 above it). */
  maxBodyBytes: number;
  /** How long an isolate serves the catalog before re-reading KV. */
  catalogTtlMs: number;
  /** What admission does when the limiter object cannot be reached. */
  limiterFailureMode: LimiterFailureMode;
  /** Consecutive failures that open an origin's breaker. */
  breakerFailures: number;
  /** How long an open breaker skips its origin before one probe may try it. */
  breakerCooldownMs: number;
  /** Longest a request with `Prefer: wait` is held for admission (0: never held). */
  maxAdmissionWaitMs: number;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  maxBodyBytes: 4 * 1024 * 1024,
  catalogTtlMs: 10_000,
  limiterFailureMode: "open",
  breakerFailures: DEFAULT_BREAKER.failureThreshold,
  breakerCooldownMs: DEFAULT_BREAKER.cooldownMs,
  maxAdmissionWaitMs: DEFAULT_MAX_ADMISSION_WAIT_MS,
};

/** A positive number from a var, or the default when it is unset or not one. */
const positive = (v: unknown, d: number): number => {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : d;
};

/** Reads plain vars only; takes any record so the tests can hand it one. */
export function readSettings(vars: Readonly<Record<string, unknown>>): Settings {
  return {
    maxBodyBytes: positive(vars.MAX_BODY_BYTES, DEFAULT_SETTINGS.maxBodyBytes),
    catalogTtlMs: positive(vars.CATALOG_TTL_MS, DEFAULT_SETTINGS.catalogTtlMs),
    limiterFailureMode: vars.LIMITER_FAILURE_MODE === "closed" ? "closed" : "open",
    breakerFailures: positive(vars.BREAKER_FAILURES, DEFAULT_SETTINGS.breakerFailures),
    breakerCooldownMs: positive(vars.BREAKER_COOLDOWN_MS, DEFAULT_SETTINGS.breakerCooldownMs),
    maxAdmissionWaitMs: operatorMaxWaitMs(typeof vars.MAX_ADMISSION_WAIT_MS === "string" ? vars.MAX_ADMISSION_WAIT_MS : undefined),
  };
}

const cache = new WeakMap<object, Settings>();

/** The settings of this environment; the env object lives as long as the isolate's config. */
export function settingsOf(env: Env): Settings {
  let s = cache.get(env);
  if (s === undefined) {
    s = readSettings(env as unknown as Record<string, unknown>);
    cache.set(env, s);
  }
  return s;
}
