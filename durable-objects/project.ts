// One object per project: the authority for its settings, keys and audit log. It writes
// the KV index the edge reads (key:<sha256> -> KeyRecord) and confirms keys for the edge.

import { DurableObject } from "cloudflare:workers";
import { keyIndexKey } from "../src/auth/api-key.ts";
import { projectIndexKey } from "../src/projects/directory.ts";
import type { KeyRecord, Scope } from "../src/auth/key-record.ts";
import { applyKeyPatch, applyProjectPatch, keyCreatedDetails, keyRecordFor, projectCreatedDetails } from "../src/projects/changes.ts";
import { auditSeq } from "../src/projects/query.ts";
import type { Actor, AuditDetails, AuditEntry, AuditQuery, AuditType, ModelLimits, Outcome, Project, ProjectStatus, StoredKey } from "../src/projects/types.ts";
import type { KeyPatch, ProjectPatch } from "../src/projects/validate.ts";
import type { TracingInput, TracingView } from "../src/tracing/destination.ts";
import { deleteTracing, edgeTracing, sealedCredential, TRACING_MIGRATION, tracingFlag, viewOf, writeTracing, type EdgeTracing } from "./project-tracing.ts";

export const PROJECT_SCHEMA_VERSION = 3;
/** A project's keys are rewritten in KV when the project changes; this keeps that bounded. */
export const MAX_KEYS_PER_PROJECT = 500;
/** KV drops a record this long after its key expired: the edge says "expired" meanwhile. */
const EXPIRED_RECORD_GRACE_S = 86_400;

const MIGRATIONS: readonly string[][] = [
  ["CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"],
  [
    "CREATE TABLE project (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, limits TEXT NOT NULL, created_at INTEGER NOT NULL)",
    `CREATE TABLE api_keys (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE,
       name TEXT NOT NULL, redacted_value TEXT NOT NULL, scopes TEXT NOT NULL, models TEXT, created_at INTEGER NOT NULL, expires_at INTEGER)`,
    `CREATE TABLE audit_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, effective_at INTEGER NOT NULL,
       actor TEXT NOT NULL, details TEXT NOT NULL)`,
    "CREATE INDEX audit_by_time ON audit_log (effective_at)",
  ],
  TRACING_MIGRATION,
];

type ProjectRow = { id: string; name: string; status: string; limits: string; created_at: number };
type KeyRow = { seq: number; id: string; hash: string; name: string; redacted_value: string; scopes: string; models: string | null; created_at: number; expires_at: number | null };
type AuditRow = { seq: number; type: string; effective_at: number; actor: string; details: string };

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function toKey(r: KeyRow): StoredKey {
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

export interface NewKey {
  id: string;
  hash: string;
  redacted_value: string;
  name: string;
  scopes: Scope[];
  models: string[] | null;
  expires_at: number | null;
}

export class ProjectObject extends DurableObject<Env> {
  constructor(state: DurableObjectState, env: Env) {
    super(state, env);
    state.blockConcurrencyWhile(async () => this.migrate());
  }

  private migrate(): void {
    const sql = this.ctx.storage.sql;
    sql.exec(MIGRATIONS[0]![0]!);
    const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
    const from = row ? Number(row.value) : 0;
    this.ctx.storage.transactionSync(() => {
      for (let v = Math.max(from, 1); v < PROJECT_SCHEMA_VERSION; v++) for (const stmt of MIGRATIONS[v]!) sql.exec(stmt);
      sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(PROJECT_SCHEMA_VERSION));
    });
  }

  schemaVersion(): number {
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").one();
    return Number(row.value);
  }

  // --- project ---

  getProject(): Project | null {
    const r = this.ctx.storage.sql.exec<ProjectRow>("SELECT * FROM project").toArray()[0];
    if (!r) return null;
    return { id: r.id, name: r.name, status: r.status as ProjectStatus, limits: JSON.parse(r.limits) as ModelLimits, created_at: r.created_at };
  }

  async createProject(input: { id: string; name: string; limits: ModelLimits; actor: Actor }): Promise<Outcome<Project>> {
    if (this.getProject() !== null) return { ok: false, reason: "project_exists" };
    const project: Project = { id: input.id, name: input.name, status: "active", limits: input.limits, created_at: nowSeconds() };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(
        "INSERT INTO project (id, name, status, limits, created_at) VALUES (?, ?, ?, ?, ?)",
        project.id, project.name, project.status, JSON.stringify(project.limits), project.created_at,
      );
      this.audit("project.created", input.actor, projectCreatedDetails(project));
    });
    await this.env.KV.put(projectIndexKey(project.id), "");
    return { ok: true, value: project };
  }

  async updateProject(input: { patch: ProjectPatch; actor: Actor }): Promise<Outcome<Project>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    const { next, audit } = applyProjectPatch(project, input.patch);
    if (audit === null) return { ok: true, value: project };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("UPDATE project SET name = ?, status = ?, limits = ? WHERE id = ?", next.name, next.status, JSON.stringify(next.limits), next.id);
      this.audit(audit.type, input.actor, audit.details);
    });
    // Status and limits travel in every key's record.
    const rows = this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys").toArray();
    await Promise.all(rows.map((r) => this.index(r.hash, toKey(r), next)));
    return { ok: true, value: next };
  }

  // --- keys ---

  private keyRow(id: string): KeyRow | undefined {
    return this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys WHERE id = ?", id).toArray()[0];
  }

  async createKey(input: NewKey & { actor: Actor }): Promise<Outcome<StoredKey>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    const sql = this.ctx.storage.sql;
    if (sql.exec("SELECT 1 FROM api_keys WHERE id = ? OR hash = ?", input.id, input.hash).toArray().length > 0) return { ok: false, reason: "key_exists" };
    const count = sql.exec<{ n: number }>("SELECT count(*) AS n FROM api_keys").one().n;
    if (count >= MAX_KEYS_PER_PROJECT) return { ok: false, reason: "too_many_keys" };
    const key: StoredKey = {
      id: input.id,
      name: input.name,
      redacted_value: input.redacted_value,
      scopes: input.scopes,
      models: input.models,
      created_at: nowSeconds(),
      expires_at: input.expires_at,
    };
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        "INSERT INTO api_keys (id, hash, name, redacted_value, scopes, models, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        key.id, input.hash, key.name, key.redacted_value, JSON.stringify(key.scopes), key.models === null ? null : JSON.stringify(key.models), key.created_at, key.expires_at,
      );
      this.audit("api_key.created", input.actor, keyCreatedDetails(key));
    });
    await this.index(input.hash, key, project);
    return { ok: true, value: key };
  }

  getKey(id: string): Outcome<StoredKey> {
    if (this.getProject() === null) return { ok: false, reason: "project_not_found" };
    const row = this.keyRow(id);
    return row ? { ok: true, value: toKey(row) } : { ok: false, reason: "key_not_found" };
  }

  /** Oldest first, like OpenAI's key list; `after` is the last id of the previous page. */
  listKeys(input: { limit: number; after: string | null }): Outcome<{ keys: StoredKey[]; has_more: boolean }> {
    if (this.getProject() === null) return { ok: false, reason: "project_not_found" };
    let from = 0;
    if (input.after !== null) {
      const row = this.keyRow(input.after);
      if (!row) return { ok: false, reason: "key_not_found" };
      from = row.seq;
    }
    const rows = this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys WHERE seq > ? ORDER BY seq LIMIT ?", from, input.limit + 1).toArray();
    return { ok: true, value: { keys: rows.slice(0, input.limit).map(toKey), has_more: rows.length > input.limit } };
  }

  async updateKey(input: { id: string; patch: KeyPatch; actor: Actor }): Promise<Outcome<StoredKey>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    const row = this.keyRow(input.id);
    if (!row) return { ok: false, reason: "key_not_found" };
    const { next, audit } = applyKeyPatch(toKey(row), input.patch);
    if (audit === null) return { ok: true, value: next };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(
        "UPDATE api_keys SET name = ?, scopes = ?, models = ?, expires_at = ? WHERE id = ?",
        next.name, JSON.stringify(next.scopes), next.models === null ? null : JSON.stringify(next.models), next.expires_at, next.id,
      );
      this.audit(audit.type, input.actor, audit.details);
    });
    await this.index(row.hash, next, project);
    return { ok: true, value: next };
  }

  /** The old secret stops at once here, and at the edge within the trust window. */
  async rotateKey(input: { id: string; hash: string; redacted_value: string; actor: Actor }): Promise<Outcome<StoredKey>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    const row = this.keyRow(input.id);
    if (!row) return { ok: false, reason: "key_not_found" };
    if (this.ctx.storage.sql.exec("SELECT 1 FROM api_keys WHERE hash = ?", input.hash).toArray().length > 0) return { ok: false, reason: "key_exists" };
    const next: StoredKey = { ...toKey(row), redacted_value: input.redacted_value };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("UPDATE api_keys SET hash = ?, redacted_value = ? WHERE id = ?", input.hash, input.redacted_value, input.id);
      this.audit("api_key.rotated", input.actor, { id: input.id, data: { redacted_value: input.redacted_value } });
    });
    await Promise.all([this.index(input.hash, next, project), this.env.KV.delete(keyIndexKey(row.hash))]);
    return { ok: true, value: next };
  }

  async deleteKey(input: { id: string; actor: Actor }): Promise<Outcome<{ id: string }>> {
    if (this.getProject() === null) return { ok: false, reason: "project_not_found" };
    const row = this.keyRow(input.id);
    if (!row) return { ok: false, reason: "key_not_found" };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("DELETE FROM api_keys WHERE id = ?", input.id);
      this.audit("api_key.deleted", input.actor, { id: input.id, data: { name: row.name, redacted_value: row.redacted_value } });
    });
    await this.env.KV.delete(keyIndexKey(row.hash));
    return { ok: true, value: { id: input.id } };
  }

  /** The edge's strongly consistent check: the key's current record, or null if it is gone. */
  confirmKey(hash: string): KeyRecord | null {
    const project = this.getProject();
    if (project === null) return null;
    const row = this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys WHERE hash = ?", hash).toArray()[0];
    return row ? { ...keyRecordFor(toKey(row), project), ...tracingFlag(this.ctx.storage.sql) } : null;
  }

  // --- tracing destination (durable-objects/project-tracing.ts) ---

  getTracing(): Outcome<TracingView | null> {
    if (this.getProject() === null) return { ok: false, reason: "project_not_found" };
    return { ok: true, value: viewOf(this.ctx.storage.sql) };
  }

  /** The credential is sealed here and never leaves except as the edge's Authorization header. */
  async setTracing(input: { tracing: TracingInput; actor: Actor }): Promise<Outcome<TracingView>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    const sealed = await sealedCredential(this.env.TRACING_KEY, project.id, input.tracing.credential);
    this.ctx.storage.transactionSync(() => {
      this.audit("tracing.updated", input.actor, writeTracing(this.ctx.storage.sql, project.id, input.tracing, sealed, nowSeconds()));
    });
    await this.reindexAll(project);
    return { ok: true, value: viewOf(this.ctx.storage.sql)! };
  }

  async deleteTracing(input: { actor: Actor }): Promise<Outcome<{ deleted: boolean }>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    let deleted = false;
    this.ctx.storage.transactionSync(() => {
      deleted = deleteTracing(this.ctx.storage.sql);
      if (deleted) this.audit("tracing.deleted", input.actor, { id: project.id });
    });
    if (deleted) await this.reindexAll(project);
    return { ok: true, value: { deleted } };
  }

  /** For the edge only, once per isolate and tracing version. */
  tracingForEdge(): Promise<EdgeTracing | null> {
    return edgeTracing(this.ctx.storage.sql, this.env.TRACING_KEY, this.getProject()?.id ?? "");
  }

  private async reindexAll(project: Project): Promise<void> {
    const rows = this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys").toArray();
    await Promise.all(rows.map((r) => this.index(r.hash, toKey(r), project)));
  }

  // --- audit log ---

  private audit(type: AuditType, actor: Actor, details: AuditDetails): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO audit_log (type, effective_at, actor, details) VALUES (?, ?, ?, ?)",
      type, nowSeconds(), JSON.stringify(actor), JSON.stringify(details),
    );
  }

  /** Newest first; the seq is the order, effective_at the filter. */
  auditLog(q: AuditQuery): Outcome<{ entries: AuditEntry[]; has_more: boolean }> {
    if (this.getProject() === null) return { ok: false, reason: "project_not_found" };
    const where: string[] = [];
    const args: (string | number)[] = [];
    const before = q.after === null ? null : auditSeq(q.after);
    if (before !== null) (where.push("seq < ?"), args.push(before));
    if (q.since !== null) (where.push("effective_at >= ?"), args.push(q.since));
    if (q.until !== null) (where.push("effective_at <= ?"), args.push(q.until));
    if (q.types !== null) (where.push(`type IN (${q.types.map(() => "?").join(", ")})`), args.push(...q.types));
    const cond = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const rows = this.ctx.storage.sql.exec<AuditRow>(`SELECT * FROM audit_log ${cond} ORDER BY seq DESC LIMIT ?`, ...args, q.limit + 1).toArray();
    const entries = rows.slice(0, q.limit).map((r) => ({
      seq: r.seq,
      type: r.type as AuditType,
      effective_at: r.effective_at,
      actor: JSON.parse(r.actor) as Actor,
      details: r.details,
    }));
    return { ok: true, value: { entries, has_more: rows.length > q.limit } };
  }

  // --- the edge's index ---

  private async index(hash: string, key: StoredKey, project: Project): Promise<void> {
    const opts: KVNamespacePutOptions = {};
    if (key.expires_at !== null) opts.expiration = Math.max(key.expires_at + EXPIRED_RECORD_GRACE_S, nowSeconds() + 120);
    await this.env.KV.put(keyIndexKey(hash), JSON.stringify({ ...keyRecordFor(key, project), ...tracingFlag(this.ctx.storage.sql) }), opts);
  }
}
