// The queue consumer: posts each budget alert to its webhook, signed, with the alert's id
// as the idempotency id; whatever the receiver does not accept with a 2xx is retried.

import { ALERT_ID_HEADER, SIGNATURE_HEADER, type AlertMessage } from "./alert.ts";

const DELIVERY_TIMEOUT_MS = 10_000;
/** Backoff between attempts, in seconds: the queue's own delay, capped at ten minutes. */
export const retryDelayS = (attempts: number): number => Math.min(600, 2 ** Math.max(0, attempts - 1));

const isAlertMessage = (v: unknown): v is AlertMessage =>
  typeof v === "object" && v !== null && ["alertId", "url", "body", "signature"].every((k) => typeof (v as Record<string, unknown>)[k] === "string");

export async function deliverAlerts(batch: MessageBatch<unknown>): Promise<void> {
  await Promise.all(batch.messages.map(deliverOne));
}

async function deliverOne(msg: Message<unknown>): Promise<void> {
  const m = msg.body;
  if (!isAlertMessage(m)) {
    console.log(JSON.stringify({ level: "error", event: "budget_alert_malformed", message_id: msg.id }));
    msg.ack();
    return;
  }
  try {
    const res = await fetch(m.url, {
      method: "POST",
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: m.signature, [ALERT_ID_HEADER]: m.alertId, "user-agent": "edge-inference-router budget-alerts" },
      body: m.body,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.ok) {
      msg.ack();
      return;
    }
    console.log(JSON.stringify({ level: "warn", event: "budget_alert_rejected", alert_id: m.alertId, status: res.status, attempts: msg.attempts }));
  } catch (err) {
    console.log(JSON.stringify({ level: "warn", event: "budget_alert_unreachable", alert_id: m.alertId, attempts: msg.attempts, error: String(err) }));
  }
  msg.retry({ delaySeconds: retryDelayS(msg.attempts) });
}
