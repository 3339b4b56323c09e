// The key record the edge reads from KV by key hash: who the key belongs to and what it may do.

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
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** KV values are untrusted input too: anything malformed counts as no key. */
export function parseKeyRecord(v: unknown): KeyRecord | null {
  if (!isObj(v)) return null;
  const { project_id, key_id, scopes, models, expires_at } = v;
  if (typeof project_id !== "string" || typeof key_id !== "string") return null;
  if (!Array.isArray(scopes) || !scopes.every((s) => SCOPES.includes(s as Scope))) return null;
  if (models !== null && !(Array.isArray(models) && models.every((m) => typeof m === "string"))) return null;
  if (expires_at !== null && typeof expires_at !== "number") return null;
  return { project_id, key_id, scopes: scopes as Scope[], models: models as string[] | null, expires_at };
}
