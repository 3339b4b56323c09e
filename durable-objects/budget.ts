// One object per project: the authority for its budgets and this month's spend, across
// every model and key. It holds each admitted request's worst case (or an isolate's lease)
// until the real cost is booked, so what can be booked never passes a budget.

import { DurableObject } from "cloudflare:workers";
import { decideReserve, HOLD_MS, leaseSizeFor, binding, headroom, type ScopeView } from "../src/budget/book.ts";
import type { Returned } from "../src/budget/lease-holder.ts";
import { monthOf, type Month } from "../src/budget/month.ts";
import type { BudgetLine, BudgetView, ReserveAnswer, ReserveInput, SetBudgetInput, SetBudgetOutcome, SettleBatchInput } from "../src/budget/types.ts";
import { BUDGET_MIGRATIONS, PROJECT_SCOPE } from "../src/budget/schema.ts";
import { migrate } from "../src/storage/migrate.ts";
import { projectStub } from "../src/projects/wire.ts";
import { AlertOutbox } from "./budget-outbox.ts";
import { BudgetAlerts, type BudgetRow } from "./budget-alerts.ts";
import { bookSpend, seedMonth } from "./budget-spend.ts";


/** How long a settle batch's id is remembered: far longer than any retry of it. */
const APPLIED_KEEP_MS = 3_600_000;

export class BudgetObject extends DurableObject<Env> {
  readonly #outbox: AlertOutbox;
  /** The budgets, remembered between calls (this object is their only writer); setBudget drops them. */
  #budgetRows: BudgetRow[] | null = null;
  readonly #alerts: BudgetAlerts;
  #remembered = false;

  constructor(state: DurableObjectState, env: Env) {
    super(state, env);
    state.blockConcurrencyWhile(async () => void migrate(state.storage, BUDGET_MIGRATIONS));
    this.#outbox = new AlertOutbox(state, env, () => this.#projectId());
    this.#alerts = new BudgetAlerts(state.storage.sql, this.#outbox);
  }

  #budgets(): BudgetRow[] {
    this.#budgetRows ??= this.ctx.storage.sql.exec<BudgetRow>("SELECT * FROM budgets").toArray();
    return this.#budgetRows;
  }

  #spentOf(month: string, scope: string): number {
    return this.ctx.storage.sql.exec<{ micros: number }>("SELECT micros FROM spend WHERE month = ? AND scope = ?", month, scope).toArray()[0]?.micros ?? 0;
  }

  /** Holds this month: every one (lease = null), or only requests' own (0) or only leases (1). */
  #heldOf(month: string, keyId: string | null, lease: 0 | 1 | null = null): number {
    const where = ["month = ?"];
    const args: (string | number)[] = [month];
    if (keyId !== null) (where.push("key_id = ?"), args.push(keyId));
    if (lease !== null) (where.push("lease = ?"), args.push(lease));
    return this.ctx.storage.sql.exec<{ n: number | null }>(`SELECT sum(micros) AS n FROM holds WHERE ${where.join(" AND ")}`, ...args).one().n ?? 0;
  }

  /** The budgets that apply to a key this month, with what is booked and held. */
  #scopes(month: Month, keyId: string, rows = this.#budgets()): ScopeView[] {
    const out: ScopeView[] = [];
    for (const b of rows) {
      if (b.scope === PROJECT_SCOPE) out.push({ kind: "project", limit: b.limit_micros, spent: this.#spentOf(month.id, PROJECT_SCOPE), held: this.#heldOf(month.id, null) });
      else if (b.scope === keyId) out.push({ kind: "key", limit: b.limit_micros, spent: this.#spentOf(month.id, keyId), held: this.#heldOf(month.id, keyId) });
    }
    return out;
  }

  #expireHolds(now: number): void {
    this.ctx.storage.sql.exec("DELETE FROM holds WHERE until <= ?", now);
  }

  #takeBack(returned: readonly Returned[]): void {
    for (const r of returned) this.#release(r.id, r.unused);
  }

  /** Takes `micros` off a hold; a hold that reaches zero is gone. */
  #release(id: string, micros: number): void {
    const sql = this.ctx.storage.sql;
    sql.exec("UPDATE holds SET micros = micros - ? WHERE id = ?", micros, id);
    sql.exec("DELETE FROM holds WHERE id = ? AND micros <= 0", id);
  }

  #hold(id: string, month: string, keyId: string, micros: number, lease: boolean, now: number): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO holds (id, month, key_id, micros, lease, until) VALUES (?, ?, ?, ?, ?, ?)", id, month, keyId, micros, lease ? 1 : 0, now + HOLD_MS);
  }

  reserve(input: ReserveInput): ReserveAnswer {
    const now = Date.now();
    const month = monthOf(now);
    const rows = this.#budgets();
    // Asked only while key records carry a budget version: between a change and the records
    // catching up, or for a key without a budget of its own. Answered without a write.
    if (rows.length === 0 && input.returned.length === 0) return { kind: "none", version: this.#version() };
    this.#remember(input.projectId);
    this.#expireHolds(now);
    this.#takeBack(input.returned);
    const scopes = this.#scopes(month, input.keyId, rows);
    if (scopes.length === 0) return { kind: "none", version: this.#version() };
    const decision = decideReserve(scopes, input.worst, input.lease ? leaseSizeFor(scopes) : 0);
    if (decision.kind === "refused") {
      const s = decision.scope;
      return { kind: "refused", scope: s.kind, limit: s.limit, spent: s.spent, held: s.held, worst: input.worst, reset: month.reset, currency: rows[0]?.currency ?? "EUR" };
    }
    this.#hold(input.holdId, month.id, input.keyId, input.worst, false, now);
    if (decision.lease > 0 && input.lease) this.#hold(input.lease.id, month.id, input.keyId, decision.lease, true, now);
    const after = this.#scopes(month, input.keyId, rows);
    const b = binding(after)!;
    // The isolate's own lease counts as remaining for it: it may still spend it.
    return { kind: "granted", lease: decision.lease, snapshot: { scope: b.kind, limit: b.limit, remaining: headroom(b), reset: month.reset } };
  }

  /** Books a batch of ended requests once (a retried batch is recognised by its id). */
  settleBatch(input: SettleBatchInput): { applied: boolean } {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    this.#remember(input.projectId);
    if (sql.exec("SELECT 1 FROM applied WHERE id = ?", input.id).toArray().length > 0) return { applied: false };
    this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM applied WHERE at < ?", now - APPLIED_KEEP_MS);
      sql.exec("INSERT INTO applied (id, at) VALUES (?, ?)", input.id, now);
      this.#takeBack(input.returned);
      for (const id of input.own) sql.exec("DELETE FROM holds WHERE id = ?", id);
      for (const [id, micros] of input.leases) this.#release(id, micros);
      for (const r of input.rows) bookSpend(sql, r);
    });
    if (input.keys.length > 0) this.#checkAlerts(input.projectId, new Set(input.keys), now);
    return { applied: true };
  }

  // --- alerts ---

  #checkAlerts(projectId: string, keys: ReadonlySet<string>, now: number): void {
    this.#alerts.check(projectId, this.#budgets(), keys, now, (month, scope) => this.#spentOf(month, scope));
  }

  override async alarm(): Promise<void> {
    await this.#outbox.flush();
  }

  // --- management ---

  #remember(projectId: string): void {
    if (this.#remembered) return;
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('project_id', ?)", projectId);
    this.#remembered = true;
  }

  /** The project's budget version of the latest change applied here (0: none yet). */
  #version(): number {
    return Number(this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'budget_version'").toArray()[0]?.value ?? 0);
  }

  /** A "none" answers for this version only: one an isolate cached under an older version is not trusted. */
  #noteVersion(version: number): void {
    if (version > this.#version()) this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('budget_version', ?)", String(version));
  }

  #projectId(): string | null {
    return this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'project_id'").toArray()[0]?.value ?? null;
  }

  view(): BudgetView {
    const month = monthOf(Date.now());
    const sql = this.ctx.storage.sql;
    const line = (b: BudgetRow): BudgetLine => {
      const keyId = b.scope === PROJECT_SCOPE ? null : b.scope;
      return { api_key_id: keyId, limit: b.limit_micros, spent: this.#spentOf(month.id, b.scope), held: this.#heldOf(month.id, keyId, 0), leased: this.#heldOf(month.id, keyId, 1), thresholds: JSON.parse(b.thresholds) as number[], currency: b.currency };
    };
    const rows = this.#budgets();
    const spentByKey: Record<string, number> = {};
    for (const r of sql.exec<{ scope: string; micros: number }>("SELECT scope, micros FROM spend WHERE month = ? AND scope != ?", month.id, PROJECT_SCOPE)) spentByKey[r.scope] = r.micros;
    const project = rows.find((b) => b.scope === PROJECT_SCOPE);
    return {
      month: month.id,
      reset: month.reset,
      project: project ? line(project) : null,
      keys: rows.filter((b) => b.scope !== PROJECT_SCOPE).map(line),
      spentByKey,
      spent: this.#spentOf(month.id, PROJECT_SCOPE),
    };
  }

  /** Sets or deletes one budget; the first budget of a project brings the month's ledger along. */
  async setBudget(input: SetBudgetInput): Promise<SetBudgetOutcome> {
    const now = Date.now();
    const month = monthOf(now);
    this.#remember(input.projectId);
    const sql = this.ctx.storage.sql;
    const rows = this.#budgets();
    const scope = input.keyId ?? PROJECT_SCOPE;
    if (input.limit !== null) {
      if (rows.length === 0 && input.seed === undefined) return { ok: false, reason: "needs_seed" };
      const project = rows.find((b) => b.scope === PROJECT_SCOPE);
      if (input.keyId !== null && project !== undefined && input.limit > project.limit_micros) {
        // Nothing changes, so the new version answers as the old one did (not on needs_seed: the set follows).
        this.#noteVersion(input.version);
        return { ok: false, reason: "above_project_budget", limit: project.limit_micros };
      }
    }
    const previous = rows.find((b) => b.scope === scope);
    if (input.limit === null && previous === undefined) {
      this.#noteVersion(input.version);
      return { ok: true, view: this.view() };
    }
    this.#budgetRows = null;
    this.#alerts.forget();
    this.ctx.storage.transactionSync(() => {
      if (input.seed !== undefined && rows.length === 0) seedMonth(sql, month, input.seed);
      this.#noteVersion(input.version);
      if (input.limit === null) sql.exec("DELETE FROM budgets WHERE scope = ?", scope);
      else sql.exec("INSERT OR REPLACE INTO budgets (scope, limit_micros, thresholds, currency) VALUES (?, ?, ?, ?)", scope, input.limit, JSON.stringify(input.thresholds), input.currency);
      // A changed limit is a new budget for alerts: thresholds it is already past fire again.
      if (input.limit === null || previous?.limit_micros !== input.limit) sql.exec("DELETE FROM alerts WHERE month = ? AND scope = ? AND audited = 1 AND queued = 1", month.id, scope);
    });
    const details = { id: input.keyId ?? input.projectId, data: { api_key_id: input.keyId, limit: input.limit, thresholds: input.limit === null ? null : input.thresholds, currency: input.currency }, previous: { limit: previous?.limit_micros ?? null } };
    await projectStub(this.env, input.projectId).appendAudit(input.limit === null ? "budget.deleted" : "budget.updated", input.actor, details);
    if (input.limit !== null) this.#checkAlerts(input.projectId, new Set(input.keyId === null ? [] : [input.keyId]), now);
    return { ok: true, view: this.view() };
  }

  // --- webhook ---

  async setWebhook(input: { projectId: string; url: string; secret: string; actor: SetBudgetInput["actor"] }): Promise<void> {
    this.#remember(input.projectId);
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO webhook (id, url, secret, created_at) VALUES (1, ?, ?, ?)", input.url, input.secret, Math.floor(Date.now() / 1000));
    await projectStub(this.env, input.projectId).appendAudit("budget.updated", input.actor, { id: input.projectId, data: { webhook_url: input.url } });
  }

  webhook(): { url: string; created_at: number } | null {
    return this.ctx.storage.sql.exec<{ url: string; created_at: number }>("SELECT url, created_at FROM webhook").toArray()[0] ?? null;
  }

  async deleteWebhook(input: { projectId: string; actor: SetBudgetInput["actor"] }): Promise<boolean> {
    const had = this.webhook() !== null;
    this.ctx.storage.sql.exec("DELETE FROM webhook");
    if (had) await projectStub(this.env, input.projectId).appendAudit("budget.updated", input.actor, { id: input.projectId, data: { webhook_url: null } });
    return had;
  }
}
