// One object per project: the authority for its settings, keys and audit log. It writes
// the KV index the edge reads (key:<sha256> -> KeyRecord) and confirms keys for the edge.

import { DurableObject } from "cloudflare:workers";
import { claimSecret, releaseSecret } from "../src/auth/key-claims.ts";
import { hashOfKeyIndexKey, keyIndexKey, projectIndexKey } from "../src/storage/kv-keys.ts";
import { migrate, storedVersion } from "../src/storage/migrate.ts";
import { KvIndex, type KvEntry } from "../src/projects/kv-index.ts";
import type { KeyRecord, Scope } from "../src/auth/key-record.ts";
import { authorize, type Action, type Authority, type Grant } from "../src/auth/permissions.ts";
import { applyKeyPatch, applyProjectPatch, keyCreatedDetails, keyRecordFor, projectCreatedDetails } from "../src/projects/changes.ts";
import { EXPIRED_RECORD_GRACE_S, MAX_KEYS_PER_PROJECT, MAX_KV_EXPIRATION_S, PROJECT_MIGRATIONS, PROJECT_SCHEMA_VERSION, auditSliceSql, nowSeconds, toAuditEntry, toKey } from "../src/projects/schema.ts";
import type { AuditRow, KeyRow, ProjectRow } from "../src/projects/schema.ts";
import type { Actor, AuditDetails, AuditEntry, AuditSlice, AuditType, ModelLimits, Outcome, Project, ProjectStatus, Refusal, StoredKey } from "../src/projects/types.ts";
import type { KeyPatch, ProjectPatch } from "../src/projects/validate.ts";
import type { TracingInput, TracingView } from "../src/tracing/destination.ts";
import { deleteTracing, edgeTracing, sealedCredential, tracingFlag, viewOf, writeTracing, type EdgeTracing } from "./project-tracing.ts";
import { budgetFlag, initBudget, markBudget } from "./project-budget.ts";

export { MAX_KEYS_PER_PROJECT, PROJECT_SCHEMA_VERSION };

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
  readonly #kvIndex: KvIndex;

  constructor(state: DurableObjectState, env: Env) {
    super(state, env);
    this.#kvIndex = new KvIndex(state.storage, () => this.env.KV, (name) => this.#desiredEntry(name));
    state.blockConcurrencyWhile(async () => void migrate(state.storage, PROJECT_MIGRATIONS));
  }

  schemaVersion(): number {
    return storedVersion(this.ctx.storage.sql);
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
      initBudget(this.ctx.storage.sql);
      this.#audit("project.created", input.actor, projectCreatedDetails(project));
    });
    await this.#kvIndex.sync([projectIndexKey(project.id)]);
    return { ok: true, value: project };
  }

  async updateProject(input: { patch: ProjectPatch; actor: Actor }): Promise<Outcome<Project>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    const { next, audit } = applyProjectPatch(project, input.patch);
    if (audit === null) return { ok: true, value: project };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("UPDATE project SET name = ?, status = ?, limits = ? WHERE id = ?", next.name, next.status, JSON.stringify(next.limits), next.id);
      this.#audit(audit.type, input.actor, audit.details);
    });
    // Status and limits travel in every key's record.
    const rows = this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys").toArray();
    await this.#kvIndex.sync(rows.map((r) => keyIndexKey(r.hash)));
    return { ok: true, value: next };
  }

  // --- keys ---

  #keyRow(id: string): KeyRow | undefined {
    return this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys WHERE id = ?", id).toArray()[0];
  }

  /**
   * The permission rule, applied here because this object is the authority on both keys:
   * the actor's grant is read from storage (not the edge's cached record), in the same
   * synchronous step as the change, so neither key can change between check and write.
   */
  #denial(actor: Actor, action: Action, before: Grant | null, after: Grant | null): Refusal | null {
    let authority: Authority = { kind: "admin" };
    if (actor.type === "api_key") {
      const row = this.#keyRow(actor.api_key.id);
      // The acting key was deleted a moment ago: it may do nothing.
      if (!row) return "api_key_not_allowed";
      authority = { kind: "key", grant: toKey(row) };
    }
    return authorize(authority, action, before, after)?.reason ?? null;
  }

  /** Why a new key could not be added now, or null. Run again after every await. */
  #createRefusal(input: NewKey & { actor: Actor }): Refusal | null {
    if (this.getProject() === null) return "project_not_found";
    const denied = this.#denial(input.actor, "create", null, input);
    if (denied !== null) return denied;
    const sql = this.ctx.storage.sql;
    if (sql.exec("SELECT 1 FROM api_keys WHERE id = ? OR hash = ?", input.id, input.hash).toArray().length > 0) return "key_exists";
    if (sql.exec<{ n: number }>("SELECT count(*) AS n FROM api_keys").one().n >= MAX_KEYS_PER_PROJECT) return "too_many_keys";
    return null;
  }

  async createKey(input: NewKey & { actor: Actor }): Promise<Outcome<StoredKey>> {
    const early = this.#createRefusal(input);
    if (early !== null) return { ok: false, reason: early };
    const projectId = this.getProject()!.id;
    // The secret's claim is taken before the key is committed: two projects cannot both commit it.
    const claimed = await claimSecret(this.env, { hash: input.hash, project_id: projectId, key_id: input.id });
    if (claimed !== true) return { ok: false, reason: claimed === false ? "key_exists" : "claim_unavailable" };
    const late = this.#createRefusal(input);
    const project = this.getProject();
    if (late !== null || project === null) {
      await releaseSecret(this.env, { hash: input.hash, project_id: projectId, key_id: input.id });
      return { ok: false, reason: late ?? "project_not_found" };
    }
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
      this.ctx.storage.sql.exec(
        "INSERT INTO api_keys (id, hash, name, redacted_value, scopes, models, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        key.id, input.hash, key.name, key.redacted_value, JSON.stringify(key.scopes), key.models === null ? null : JSON.stringify(key.models), key.created_at, key.expires_at,
      );
      this.#audit("api_key.created", input.actor, keyCreatedDetails(key));
    });
    await this.#kvIndex.sync([keyIndexKey(input.hash)]);
    return { ok: true, value: key };
  }

  getKey(id: string): Outcome<StoredKey> {
    if (this.getProject() === null) return { ok: false, reason: "project_not_found" };
    const row = this.#keyRow(id);
    return row ? { ok: true, value: toKey(row) } : { ok: false, reason: "key_not_found" };
  }

  /** Oldest first, like OpenAI's key list; `after` is the last id of the previous page. */
  listKeys(input: { limit: number; after: string | null }): Outcome<{ keys: StoredKey[]; has_more: boolean }> {
    if (this.getProject() === null) return { ok: false, reason: "project_not_found" };
    let from = 0;
    if (input.after !== null) {
      const row = this.#keyRow(input.after);
      if (!row) return { ok: false, reason: "key_not_found" };
      from = row.seq;
    }
    const rows = this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys WHERE seq > ? ORDER BY seq LIMIT ?", from, input.limit + 1).toArray();
    return { ok: true, value: { keys: rows.slice(0, input.limit).map(toKey), has_more: rows.length > input.limit } };
  }

  async updateKey(input: { id: string; patch: KeyPatch; actor: Actor }): Promise<Outcome<StoredKey>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    const row = this.#keyRow(input.id);
    if (!row) return { ok: false, reason: "key_not_found" };
    const { next, audit } = applyKeyPatch(toKey(row), input.patch);
    const denied = this.#denial(input.actor, "update", toKey(row), next);
    if (denied !== null) return { ok: false, reason: denied };
    if (audit === null) return { ok: true, value: next };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(
        "UPDATE api_keys SET name = ?, scopes = ?, models = ?, expires_at = ? WHERE id = ?",
        next.name, JSON.stringify(next.scopes), next.models === null ? null : JSON.stringify(next.models), next.expires_at, next.id,
      );
      this.#audit(audit.type, input.actor, audit.details);
    });
    await this.#kvIndex.sync([keyIndexKey(row.hash)]);
    return { ok: true, value: next };
  }

  /** The old secret stops at once here, and at the edge within the trust window. */
  async rotateKey(input: { id: string; hash: string; redacted_value: string; actor: Actor }): Promise<Outcome<StoredKey>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    const row = this.#keyRow(input.id);
    if (!row) return { ok: false, reason: "key_not_found" };
    const denied = this.#denial(input.actor, "rotate", toKey(row), toKey(row));
    if (denied !== null) return { ok: false, reason: denied };
    if (this.ctx.storage.sql.exec("SELECT 1 FROM api_keys WHERE hash = ?", input.hash).toArray().length > 0) return { ok: false, reason: "key_exists" };
    const claimed = await claimSecret(this.env, { hash: input.hash, project_id: project.id, key_id: input.id });
    if (claimed !== true) return { ok: false, reason: claimed === false ? "key_exists" : "claim_unavailable" };
    // Anything may have changed while the claim was taken: decide again on what is stored now.
    const current = this.#keyRow(input.id);
    const fresh = this.getProject();
    const late = current === undefined || current.hash !== row.hash || fresh === null ? "key_not_found" : this.#denial(input.actor, "rotate", toKey(current), toKey(current));
    if (late !== null) {
      await releaseSecret(this.env, { hash: input.hash, project_id: project.id, key_id: input.id });
      return { ok: false, reason: late };
    }
    const next: StoredKey = { ...toKey(current!), redacted_value: input.redacted_value };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("UPDATE api_keys SET hash = ?, redacted_value = ? WHERE id = ?", input.hash, input.redacted_value, input.id);
      this.#audit("api_key.rotated", input.actor, { id: input.id, data: { redacted_value: input.redacted_value } });
    });
    await Promise.all([this.#kvIndex.sync([keyIndexKey(input.hash), keyIndexKey(row.hash)]), releaseSecret(this.env, { hash: row.hash, project_id: project.id, key_id: input.id })]);
    return { ok: true, value: next };
  }

  async deleteKey(input: { id: string; actor: Actor }): Promise<Outcome<{ id: string }>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    const row = this.#keyRow(input.id);
    if (!row) return { ok: false, reason: "key_not_found" };
    const denied = this.#denial(input.actor, "delete", toKey(row), null);
    if (denied !== null) return { ok: false, reason: denied };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("DELETE FROM api_keys WHERE id = ?", input.id);
      this.#audit("api_key.deleted", input.actor, { id: input.id, data: { name: row.name, redacted_value: row.redacted_value } });
    });
    await Promise.all([this.#kvIndex.sync([keyIndexKey(row.hash)]), releaseSecret(this.env, { hash: row.hash, project_id: project.id, key_id: input.id })]);
    return { ok: true, value: { id: input.id } };
  }

  /** The edge's strongly consistent check: the key's current record, or null if it is gone. */
  confirmKey(hash: string): KeyRecord | null {
    const project = this.getProject();
    if (project === null) return null;
    const row = this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys WHERE hash = ?", hash).toArray()[0];
    return row ? { ...keyRecordFor(toKey(row), project), ...this.#edgeFlags() } : null;
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
      this.#audit("tracing.updated", input.actor, writeTracing(this.ctx.storage.sql, project.id, input.tracing, sealed, nowSeconds()));
    });
    await this.#reindexAll();
    return { ok: true, value: viewOf(this.ctx.storage.sql)! };
  }

  async deleteTracing(input: { actor: Actor }): Promise<Outcome<{ deleted: boolean }>> {
    const project = this.getProject();
    if (project === null) return { ok: false, reason: "project_not_found" };
    let deleted = false;
    this.ctx.storage.transactionSync(() => {
      deleted = deleteTracing(this.ctx.storage.sql);
      if (deleted) this.#audit("tracing.deleted", input.actor, { id: project.id });
    });
    if (deleted) await this.#reindexAll();
    return { ok: true, value: { deleted } };
  }

  /** For the edge only, once per isolate and tracing version. */
  tracingForEdge(): Promise<EdgeTracing | null> {
    return edgeTracing(this.ctx.storage.sql, this.env.TRACING_KEY, this.getProject()?.id ?? "");
  }

  // --- budget version (durable-objects/project-budget.ts; the budgets live in the BudgetObject) ---

  /**
   * Called by the budget routes around every budget change: before a budget is set (active),
   * and after the last one is deleted (not active), so a failure leaves the edge asking.
   */
  async budgetChanged(input: { active: boolean }): Promise<number> {
    const version = this.ctx.storage.transactionSync(() => markBudget(this.ctx.storage.sql, input.active));
    await this.#reindexAll();
    return version;
  }

  /** What every key record says of the project's tracing and budgets. */
  #edgeFlags(): { tracing?: number; budget?: number } {
    return { ...tracingFlag(this.ctx.storage.sql), ...budgetFlag(this.ctx.storage.sql) };
  }

  /** Every key's record carries the tracing and budget versions: rewrite them all. */
  async #reindexAll(): Promise<void> {
    const rows = this.ctx.storage.sql.exec<KeyRow>("SELECT hash FROM api_keys").toArray();
    await this.#kvIndex.sync(rows.map((r) => keyIndexKey(r.hash)));
  }

  // --- audit log ---

  #audit(type: AuditType, actor: Actor, details: AuditDetails): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO audit_log (type, effective_at, actor, details) VALUES (?, ?, ?, ?)",
      type, nowSeconds(), JSON.stringify(actor), JSON.stringify(details),
    );
  }

  /** For other objects that own a part of the project (its budget): one audited event. */
  appendAudit(type: AuditType, actor: Actor, details: AuditDetails): void {
    this.#audit(type, actor, details);
  }

  /** The time of one event, so that its id can split every project's log (audit-page.ts). */
  auditTime(seq: number): number | null {
    return this.ctx.storage.sql.exec<{ effective_at: number }>("SELECT effective_at FROM audit_log WHERE seq = ?", seq).toArray()[0]?.effective_at ?? null;
  }

  /** Up to `limit` events nearest the bound (newest first without one), filtered. */
  auditSlice(q: AuditSlice): Outcome<AuditEntry[]> {
    if (this.getProject() === null) return { ok: false, reason: "project_not_found" };
    const { sql, args, order } = auditSliceSql(q);
    const rows = this.ctx.storage.sql.exec<AuditRow>(`SELECT * FROM audit_log ${sql} ORDER BY effective_at ${order}, seq ${order} LIMIT ?`, ...args, q.limit).toArray();
    return { ok: true, value: rows.map(toAuditEntry) };
  }

  // --- the edge's index ---

  /** What an entry this object owns should hold now; KvIndex writes it, and rewrites it until KV takes it. */
  #desiredEntry(name: string): KvEntry | null {
    const project = this.getProject();
    if (project === null) return null;
    if (name === projectIndexKey(project.id)) return { value: "" };
    const hash = hashOfKeyIndexKey(name);
    const row = hash === null ? undefined : this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM api_keys WHERE hash = ?", hash).toArray()[0];
    if (row === undefined) return null;
    const key = toKey(row);
    const entry: KvEntry = { value: JSON.stringify({ ...keyRecordFor(key, project), ...this.#edgeFlags() }) };
    // KV's expiration only tidies up (the edge refuses an expired key by its record), and it
    // holds 32-bit seconds: a key that outlives 2038 keeps its record until it is deleted.
    const expiration = key.expires_at === null ? null : Math.max(key.expires_at + EXPIRED_RECORD_GRACE_S, nowSeconds() + 120);
    if (expiration !== null && expiration <= MAX_KV_EXPIRATION_S) entry.expiration = expiration;
    return entry;
  }

  /** KV entries still waiting for a successful write (the alarm retries them). */
  pendingIndex(): string[] {
    return this.#kvIndex.pending();
  }

  override async alarm(): Promise<void> {
    await this.#kvIndex.retryPending();
  }

}
