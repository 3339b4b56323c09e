// The BudgetObject's threshold check after each booking: thresholds reached this month fire
// once each (an outbox row). It remembers, per (month, scope), the lowest threshold not fired
// yet, so a batch far from every threshold reads one spend row per budget and nothing else.

import { alertPayload } from "../src/budget/alert.ts";
import { thresholdsReached } from "../src/budget/book.ts";
import { monthOf } from "../src/budget/month.ts";
import { PROJECT_SCOPE } from "../src/budget/schema.ts";
import type { AlertOutbox } from "./budget-outbox.ts";

export type BudgetRow = { scope: string; limit_micros: number; thresholds: string; currency: string };

export class BudgetAlerts {
  readonly #sql: SqlStorage;
  readonly #outbox: AlertOutbox;
  /** `month NUL scope` -> the lowest threshold not fired (null: none left). */
  readonly #next = new Map<string, number | null>();
  #outboxChecked = false;

  constructor(sql: SqlStorage, outbox: AlertOutbox) {
    this.#sql = sql;
    this.#outbox = outbox;
  }

  /** A budget was set or deleted (its fired alerts may be re-armed): start over. */
  forget(): void {
    this.#next.clear();
  }

  #firedOf(month: string, scope: string): Set<number> {
    return new Set(this.#sql.exec<{ threshold: number }>("SELECT threshold FROM alerts WHERE month = ? AND scope = ?", month, scope).toArray().map((r) => r.threshold));
  }

  #lowestUnfired(month: string, b: BudgetRow): number | null {
    const k = `${month}\u0000${b.scope}`;
    let next = this.#next.get(k);
    if (next === undefined) {
      const fired = this.#firedOf(month, b.scope);
      const open = (JSON.parse(b.thresholds) as number[]).filter((t) => !fired.has(t));
      next = open.length === 0 ? null : Math.min(...open);
      this.#next.set(k, next);
    }
    return next;
  }

  /** Thresholds reached this month by the budgets `keys` booked against, each once: an outbox row, then a flush. */
  check(projectId: string, budgets: readonly BudgetRow[], keys: ReadonlySet<string>, now: number, spentOf: (month: string, scope: string) => number): void {
    const month = monthOf(now);
    let fired = false;
    for (const b of budgets) {
      if (b.scope !== PROJECT_SCOPE && !keys.has(b.scope)) continue;
      const next = this.#lowestUnfired(month.id, b);
      if (next === null) continue;
      const spent = spentOf(month.id, b.scope);
      // thresholdsReached's own test on the lowest one: while it is not reached, no higher one is.
      if (thresholdsReached(b.limit_micros, spent, [next], new Set()).length === 0) continue;
      for (const t of thresholdsReached(b.limit_micros, spent, JSON.parse(b.thresholds) as number[], this.#firedOf(month.id, b.scope))) {
        const payload = alertPayload({ projectId, keyId: b.scope === PROJECT_SCOPE ? null : b.scope, threshold: t, month: month.id, limitMicros: b.limit_micros, spentMicros: spent, currency: b.currency, reset: month.reset, now });
        this.#sql.exec("INSERT INTO alerts (id, month, scope, threshold, body, audited, queued) VALUES (?, ?, ?, ?, ?, 0, 0)", payload.id, month.id, b.scope, t, JSON.stringify(payload));
        fired = true;
      }
      this.#next.delete(`${month.id}\u0000${b.scope}`);
    }
    // Once per object start, also what an earlier instance left undelivered (its alarm may be gone).
    if (!fired && this.#outboxChecked) return;
    this.#outboxChecked = true;
    if (this.#sql.exec("SELECT 1 FROM alerts WHERE audited = 0 OR queued = 0 LIMIT 1").toArray().length > 0) this.#outbox.kick();
  }
}
