// The management API's budget bodies, checked once where they enter. Pure.

import { invalidRequest } from "../openai/errors.ts";
import type { JsonObject } from "../openai/body.ts";
import { DEFAULT_THRESHOLDS } from "./book.ts";
import { MICROS, toMicros } from "./price.ts";

/** A billion currency units: far above any real budget, far below float trouble in micro-units. */
const AMOUNT_MAX = 1e9;
const THRESHOLDS_MAX = 10;

export interface BudgetPut {
  limit: number;
  thresholds: number[];
}

export function parseBudgetPut(body: JsonObject): BudgetPut {
  for (const k of Object.keys(body)) if (k !== "amount" && k !== "thresholds") throw invalidRequest(`Unknown field '${k}'; a budget takes 'amount' and 'thresholds'.`, k);
  const a = body.amount;
  if (typeof a !== "number" || !Number.isFinite(a) || a <= 0 || a > AMOUNT_MAX) {
    throw invalidRequest(`'amount' must be a number above 0 and at most ${AMOUNT_MAX}, in the catalog's currency per calendar month (UTC).`, "amount");
  }
  const limit = toMicros(a);
  if (Math.abs(limit / MICROS - a) > 1e-9 || limit < 1) throw invalidRequest("'amount' may have at most six decimals.", "amount");
  const t = body.thresholds ?? [...DEFAULT_THRESHOLDS];
  if (!Array.isArray(t) || t.length > THRESHOLDS_MAX || !t.every((x) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 100)) {
    throw invalidRequest(`'thresholds' must be a list of at most ${THRESHOLDS_MAX} whole percentages from 1 to 100.`, "thresholds");
  }
  return { limit, thresholds: [...new Set(t as number[])].sort((x, y) => x - y) };
}

/** Where alerts go: https, or plain http to a loopback address for local development. */
export function parseWebhookUrl(body: JsonObject): string {
  const u = body.url;
  if (typeof u !== "string" || u.length > 2048) throw invalidRequest("'url' must be the webhook's URL.", "url");
  const url = URL.parse(u);
  if (url === null) throw invalidRequest("'url' is not a valid URL.", "url");
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) throw invalidRequest("'url' must use https (plain http only to a loopback address).", "url");
  if (url.username !== "" || url.password !== "") throw invalidRequest("'url' must not carry credentials.", "url");
  return url.toString();
}
