// The budget's arithmetic, pure: how much a scope (the project, or one key) can still
// commit, whether a request's worst case fits, when a lease may be handed to an isolate,
// and which alert thresholds a new spend crosses. Amounts are integer micro-units.

import type { Usage } from "../streaming/usage.ts";
import type { Pricing } from "../usage/report.ts";
import { priceMicros } from "./price.ts";

/** One budget as the object sees it this month: its limit, what is booked, what is held. */
export interface ScopeView {
  kind: "project" | "key";
  limit: number;
  spent: number;
  /** Outstanding holds: reservations of requests in flight and leases held by isolates. */
  held: number;
}

/** A lease is this share of the smallest budget that applies: 1/50th. */
export const LEASE_SHARE = 50;
/** Leases are handed out only while every budget has this many leases' worth of headroom. */
export const FAR_FACTOR = 10;
/** An isolate uses a lease for this long, then gives back what it did not commit. */
export const LEASE_MS = 5_000;
/**
 * How long the object keeps a hold whose settle never came (an isolate that died). A
 * request still running after this could be booked beyond the budget: longer than any
 * inference is allowed to run.
 */
export const HOLD_MS = 3_600_000;
export const DEFAULT_THRESHOLDS: readonly number[] = [50, 80, 100];

export const headroom = (s: ScopeView): number => s.limit - s.spent - s.held;

export type ReserveDecision = { kind: "granted"; lease: number } | { kind: "refused"; scope: ScopeView };

/** How big a lease is for these budgets; 0 when they are too small to share. */
export function leaseSizeFor(scopes: readonly ScopeView[]): number {
  if (scopes.length === 0) return 0;
  return Math.floor(Math.min(...scopes.map((s) => s.limit)) / LEASE_SHARE);
}

/**
 * Grants a hold of `worst` if every budget has that much headroom (a key's budget is
 * checked first, so a refusal names the narrower one), and with it a lease of `leaseWant`
 * if, after the request, every budget still has FAR_FACTOR leases' worth of headroom.
 * Because every admitted request holds its worst case (here or in a lease), the sum of
 * what can be booked never passes any limit.
 */
export function decideReserve(scopes: readonly ScopeView[], worst: number, leaseWant: number): ReserveDecision {
  const ordered = [...scopes].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "key" ? -1 : 1));
  for (const s of ordered) if (worst > headroom(s)) return { kind: "refused", scope: s };
  const far = leaseWant > 0 && scopes.every((s) => headroom(s) - worst >= FAR_FACTOR * leaseWant);
  return { kind: "granted", lease: far ? leaseWant : 0 };
}

/** The budget that binds: the one with the least headroom. */
export function binding(scopes: readonly ScopeView[]): ScopeView | null {
  let best: ScopeView | null = null;
  for (const s of scopes) if (best === null || headroom(s) < headroom(best)) best = s;
  return best;
}

/**
 * Thresholds (percent of the limit) the spend has reached and that have not fired this
 * month. Reached, not crossed: a budget lowered below its spend alerts at once.
 */
export function thresholdsReached(limit: number, spent: number, thresholds: readonly number[], fired: ReadonlySet<number>): number[] {
  if (limit <= 0) return thresholds.filter((t) => !fired.has(t));
  return thresholds.filter((t) => !fired.has(t) && spent * 100 >= t * limit);
}

/** A row of the month's spend: one hour, key and model, priced as the usage API prices it. */
export interface SpendRow {
  promptTokens: number;
  completionTokens: number;
  /** The row's cost in micro-units, as the usage API would show it. */
  micros: number;
}

/** Adds a request's tokens to its row; the spend grows by the change of the row's price. */
export function bookRow(row: SpendRow | undefined, usage: Usage, p: Pricing): { row: SpendRow; delta: number } {
  const promptTokens = (row?.promptTokens ?? 0) + usage.prompt_tokens;
  const completionTokens = (row?.completionTokens ?? 0) + usage.completion_tokens;
  const micros = priceMicros({ prompt_tokens: promptTokens, completion_tokens: completionTokens }, p);
  return { row: { promptTokens, completionTokens, micros }, delta: micros - (row?.micros ?? 0) };
}
