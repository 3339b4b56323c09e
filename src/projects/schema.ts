// The SQLite schema of a project's object and the mapping of its rows. Pure.

import type { Scope } from "../auth/key-record.ts";
import { latestVersion, type Migration } from "../storage/migrate.ts";
import { KV_SYNC_TABLE } from "./kv-index.ts";
import type { Actor, AuditEntry, AuditSlice, AuditType, StoredKey } from "./types.ts";

/** A project's keys are rewritten in KV when the project changes; this keeps that bounded. */
export const MAX_KEYS_PER_PROJECT = 500;
/** KV drops a record this long after its key expired: the edge says "expired" meanwhile. */
export const EXPIRED_RECORD_GRACE_S = 86_400;
/** The latest expiration KV takes: a signed 32-bit count of Unix seconds (2038-01-19). */
export const MAX_KV_EXPIRATION_S = 2 ** 31 - 1;

/**
 * Tables. Times are unix seconds, as OpenAI's Admin API gives them.
 * - project: the one row of this object's project: id, name, status (active|suspended),
 *   limits (JSON: model id -> {rpm, tpm} overrides), created_at.
 * - api_keys: one row per live key: hash (SHA-256 of the secret, hex; the secret itself
 *   is never stored), redacted_value, scopes and models (JSON), created_at, expires_at.
 *   A deleted key's row is deleted; its audit entries stay.
 * - audit_log: every change, append-only: type (api_key.created, ...), effective_at,
 *   actor (JSON), details (JSON, secrets redacted). Nothing deletes it.
 * - kv_sync: KV entries (by name) this object still has to write, and how often it tried.
 * - tracing: at most one row, the MLflow destination: tracking_uri, experiment_id, capture
 *   (metadata|full), credential_type and credential_box (AES-GCM under TRACING_KEY, never
 *   plaintext), updated_at. meta's tracing_version grows on every change and delete.
 */
export const PROJECT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      "CREATE TABLE project (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, limits TEXT NOT NULL, created_at INTEGER NOT NULL)",
      "CREATE TABLE api_keys (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE," +
         " name TEXT NOT NULL, redacted_value TEXT NOT NULL, scopes TEXT NOT NULL, models TEXT, created_at INTEGER NOT NULL, expires_at INTEGER)",
      "CREATE TABLE audit_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, effective_at INTEGER NOT NULL," +
         " actor TEXT NOT NULL, details TEXT NOT NULL)",
      "CREATE INDEX audit_by_time ON audit_log (effective_at)",
    ],
  },
  // KV entries whose write failed after the SQL commit, until the alarm rewrites them.
  { version: 2, statements: [KV_SYNC_TABLE] },
  // The tracing destination (durable-objects/project-tracing.ts): one row; the credential sealed.
  {
    version: 3,
    statements: [
      "CREATE TABLE tracing (id INTEGER PRIMARY KEY CHECK (id = 1), tracking_uri TEXT NOT NULL, experiment_id TEXT NOT NULL," +
         " capture TEXT NOT NULL, credential_type TEXT, credential_box TEXT, updated_at INTEGER NOT NULL)",
    ],
  },
];
export const PROJECT_SCHEMA_VERSION = latestVersion(PROJECT_MIGRATIONS);

export type ProjectRow = { id: string; name: string; status: string; limits: string; created_at: number };
export type KeyRow = { seq: number; id: string; hash: string; name: string; redacted_value: string; scopes: string; models: string | null; created_at: number; expires_at: number | null };
export type AuditRow = { seq: number; type: string; effective_at: number; actor: string; details: string };

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function toKey(r: KeyRow): StoredKey {
  return {
    id: r.id,
    name: r.name,
    redacted_value: r.redacted_value,
    scopes: JSON.parse(r.scopes) as Scope[],
    models: r.models === null ? null : (JSON.parse(r.models) as string[]),
    created_at: r.created_at,
    expires_at: r.expires_at,
  };
}


export function toAuditEntry(r: AuditRow): AuditEntry {
  return { seq: r.seq, type: r.type as AuditType, effective_at: r.effective_at, actor: JSON.parse(r.actor) as Actor, details: r.details };
}

/** The WHERE clause of an audit slice, and the order that puts the events nearest the bound first. */
export function auditSliceSql(q: AuditSlice): { sql: string; args: (string | number)[]; order: "ASC" | "DESC" } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const b = q.bound;
  if (b !== null) {
    const cmp = b.direction === "older" ? "<" : ">";
    where.push(`(effective_at ${cmp} ? OR (effective_at = ? AND seq ${cmp} ?))`);
    args.push(b.effective_at, b.effective_at, b.seq);
  }
  if (q.since !== null) (where.push("effective_at >= ?"), args.push(q.since));
  if (q.until !== null) (where.push("effective_at <= ?"), args.push(q.until));
  if (q.types !== null) (where.push(`type IN (${q.types.map(() => "?").join(", ")})`), args.push(...q.types));
  return { sql: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", args, order: b?.direction === "newer" ? "ASC" : "DESC" };
}
