// Budget alerts as the webhook receives them: the payload, its id (the same on every
// delivery, so a retried one is recognisable) and its HMAC-SHA256 signature.

import { toHex } from "../http/byte-text.ts";
import { fromMicros } from "./price.ts";

export const SIGNATURE_HEADER = "x-budget-signature";
export const ALERT_ID_HEADER = "x-budget-alert-id";

export interface AlertPayload {
  id: string;
  object: "budget.alert";
  type: "budget.threshold_reached";
  /** Unix seconds. */
  created_at: number;
  project_id: string;
  /** null for the project's budget. */
  api_key_id: string | null;
  threshold_percent: number;
  month: string;
  limit: { value: number; currency: string };
  spent: { value: number; currency: string };
  /** Unix seconds: when the month's spend starts again from zero. */
  resets_at: number;
}

export interface AlertInput {
  projectId: string;
  keyId: string | null;
  threshold: number;
  month: string;
  limitMicros: number;
  spentMicros: number;
  currency: string;
  reset: number;
  now: number;
}

/** One id per budget, month and threshold: the alert fires once, and this names it. */
export const alertId = (projectId: string, keyId: string | null, month: string, threshold: number): string =>
  `balert_${projectId}_${keyId ?? "project"}_${month}_${threshold}`;

export function alertPayload(a: AlertInput): AlertPayload {
  return {
    id: alertId(a.projectId, a.keyId, a.month, a.threshold),
    object: "budget.alert",
    type: "budget.threshold_reached",
    created_at: Math.floor(a.now / 1000),
    project_id: a.projectId,
    api_key_id: a.keyId,
    threshold_percent: a.threshold,
    month: a.month,
    limit: { value: fromMicros(a.limitMicros), currency: a.currency },
    spent: { value: fromMicros(a.spentMicros), currency: a.currency },
    resets_at: Math.floor(a.reset / 1000),
  };
}

/** `sha256=<hex HMAC-SHA256 of the body under the project's webhook secret>`. */
export async function signBody(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `sha256=${toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(body))))}`;
}

/** What travels through the queue: everything a delivery needs, the secret excepted. */
export interface AlertMessage {
  alertId: string;
  url: string;
  body: string;
  signature: string;
}
