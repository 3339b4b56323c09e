// The key record the edge reads from KV by key hash, and that the project's Durable Object
// confirms: who the key belongs to, what it may do, and its project's state.

import { isObj } from "../openai/json.ts";
import type { Limits } from "../quota/rate-limiter.ts";

export type Scope = "inference" | "keys" | "usage";
export const SCOPES: readonly Scope[] = ["inference", "keys", "usage"];

export interface KeyRecord {
  project_id: string;
  key_id: string;
  scopes: Scope[];
  /** null: every model of the catalog. */
  models: string[] | null;
  /** Unix seconds, or null for no expiry. */
  expires_at: number | null;
  /** A suspended project's keys are refused. Absent in old records: active. */
  project_status?: "active" | "suspended";
  /** The project's per-model overrides of the catalog's limits. Absent: none. */
  limits?: Record<string, Limits>;
  /** The project's tracing version when it traces; absent: it does not (and pays nothing for it). */
  tracing?: number;
  /**
   * The project's budget version while it has any budget (its own or a key's); absent: it
   * has none, and its requests pay nothing for budgets. Every budget change bumps it.
   */
  budget?: number;
}

/** The limits stored in a key record (trusted shape, written by us): null when malformed, never a throw. */
function limitsOfRecord(v: unknown): Record<string, Limits> | null {
  if (v === undefined) return {};
  if (!isObj(v)) return null;
  const out: Record<string, Limits> = {};
  for (const [model, lim] of Object.entries(v)) {
    if (!isObj(lim) || typeof lim.rpm !== "number" || typeof lim.tpm !== "number") return null;
    out[model] = { rpm: lim.rpm, tpm: lim.tpm };
  }
  return out;
}

/** KV values are untrusted input too: anything malformed counts as no key. */
export function parseKeyRecord(v: unknown): KeyRecord | null {
  if (!isObj(v)) return null;
  const { project_id, key_id, scopes, models, expires_at, project_status } = v;
  if (typeof project_id !== "string" || typeof key_id !== "string") return null;
  if (!Array.isArray(scopes) || !scopes.every((s) => SCOPES.includes(s as Scope))) return null;
  if (models !== null && !(Array.isArray(models) && models.every((m) => typeof m === "string"))) return null;
  if (expires_at !== null && typeof expires_at !== "number") return null;
  if (project_status !== undefined && project_status !== "active" && project_status !== "suspended") return null;
  const limits = limitsOfRecord(v.limits);
  if (limits === null) return null;
  const tracing = typeof v.tracing === "number" && Number.isSafeInteger(v.tracing) ? { tracing: v.tracing } : {};
  const budget = typeof v.budget === "number" && Number.isSafeInteger(v.budget) ? { budget: v.budget } : {};
  return {
    project_id,
    key_id,
    scopes: scopes as Scope[],
    models: models as string[] | null,
    expires_at,
    project_status: project_status ?? "active",
    limits,
    ...tracing,
    ...budget,
  };
}
