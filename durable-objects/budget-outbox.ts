// The BudgetObject's alert outbox: each alert row is written to the project's audit log
// and put on the delivery queue, once; what fails stays, and the object's alarm retries.

import { signBody, type AlertMessage } from "../src/budget/alert.ts";
import type { Json } from "../src/projects/types.ts";
import { projectStub } from "../src/projects/wire.ts";

/** How soon an alert that could not be audited or queued is tried again. */
const ALERT_RETRY_MS = 10_000;

type AlertRow = { id: string; body: string; audited: number; queued: number };

export class AlertOutbox {
  #flushing: Promise<void> | null = null;
  #again = false;
  readonly #state: DurableObjectState;
  readonly #env: Env;
  readonly #projectId: () => string | null;

  constructor(state: DurableObjectState, env: Env, projectId: () => string | null) {
    this.#state = state;
    this.#env = env;
    this.#projectId = projectId;
  }

  /** One flush at a time: two side by side would both deliver the rows neither has marked yet. */
  kick(): void {
    if (this.#flushing !== null) {
      this.#again = true;
      return;
    }
    this.#flushing = (async () => {
      do {
        this.#again = false;
        await this.#flushOnce();
      } while (this.#again);
      this.#flushing = null;
    })();
    this.#state.waitUntil(this.#flushing);
  }

  /** For the alarm: a flush, waited out. */
  async flush(): Promise<void> {
    this.kick();
    await this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const sql = this.#state.storage.sql;
    const projectId = this.#projectId();
    const hook = sql.exec<{ url: string; secret: string }>("SELECT url, secret FROM webhook").toArray()[0];
    let failed = false;
    for (const a of sql.exec<AlertRow>("SELECT id, body, audited, queued FROM alerts WHERE audited = 0 OR queued = 0").toArray()) {
      try {
        if (a.audited === 0 && projectId !== null) {
          const p = JSON.parse(a.body) as { api_key_id: string | null; threshold_percent: number; month: string; spent: Json; limit: Json };
          const data = { api_key_id: p.api_key_id, threshold_percent: p.threshold_percent, month: p.month, spent: p.spent, limit: p.limit };
          await projectStub(this.#env, projectId).appendAudit("budget.threshold_reached", { type: "system" }, { id: a.id, data });
          sql.exec("UPDATE alerts SET audited = 1 WHERE id = ?", a.id);
        }
        if (a.queued === 0) {
          if (hook !== undefined) {
            const message: AlertMessage = { alertId: a.id, url: hook.url, body: a.body, signature: await signBody(hook.secret, a.body) };
            await this.#env.BUDGET_ALERTS.send(message, { contentType: "json" });
          }
          sql.exec("UPDATE alerts SET queued = 1 WHERE id = ?", a.id);
        }
      } catch (err) {
        failed = true;
        console.log(JSON.stringify({ level: "error", event: "budget_alert_flush_failed", alert_id: a.id, error: String(err) }));
      }
    }
    if (failed) await this.#state.storage.setAlarm(Date.now() + ALERT_RETRY_MS);
  }
}
