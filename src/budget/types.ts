// What crosses the RPC boundary between the edge and a project's BudgetObject, and the
// budget's view on the management API. Amounts are integer micro-units.

import type { Actor } from "../projects/types.ts";
import type { Usage } from "../streaming/usage.ts";
import type { Pricing } from "../usage/report.ts";
import type { Refusal } from "./headers.ts";
import type { BudgetSnapshot, Returned } from "./lease-holder.ts";
import type { SettleSum } from "./settle-sum.ts";

export interface ReserveInput {
  projectId: string;
  keyId: string;
  /** The request's own hold, unless it is served from the lease asked for here. */
  holdId: string;
  worst: number;
  lease?: { id: string };
  returned: Returned[];
}

export type ReserveAnswer =
  /** No budget applies to the key, as of the project's budget version `version` (a key record's `budget`). */
  | { kind: "none"; version: number }
  | { kind: "granted"; lease: number; snapshot: BudgetSnapshot }
  | ({ kind: "refused" } & Refusal);

/** One ended request, as the edge books it. */
export interface SettleEntry {
  keyId: string;
  model: string;
  /** Start of the hour the request arrived in: the usage ledger's row, and its month. */
  hour: number;
  /** Billed usage; null when nothing is billed. */
  usage: Usage | null;
  pricing: Pricing;
  /** The request's own hold (released whole), or its lease and how much to take off it. */
  hold: { kind: "own"; id: string } | { kind: "lease"; id: string; release: number };
}

/** The requests of one isolate and project that ended together, summed: one call, applied once. */
export interface SettleBatchInput extends SettleSum {
  id: string;
  projectId: string;
  returned: Returned[];
}

export interface BudgetLine {
  api_key_id: string | null;
  limit: number;
  spent: number;
  /** Worst cases of requests in flight that were reserved here. */
  held: number;
  /** Set aside in edge isolates' leases (requests served from them hold their worst case there). */
  leased: number;
  thresholds: number[];
  currency: string;
}

export interface BudgetView {
  month: string;
  reset: number;
  project: BudgetLine | null;
  keys: BudgetLine[];
  /** Spend this month per key, budget or not. */
  spentByKey: Record<string, number>;
  spent: number;
}

export interface SetBudgetInput {
  projectId: string;
  /** null: the project's budget. */
  keyId: string | null;
  /** null deletes the budget. */
  limit: number | null;
  thresholds: number[];
  currency: string;
  actor: Actor;
  /** The project's budget version this change is made under (ProjectObject.budgetChanged). */
  version: number;
  /** The month's usage from the ledger, when this is the first budget (spend was not tracked). */
  seed?: Array<{ hour: number; keyId: string; model: string; promptTokens: number; completionTokens: number; micros: number }>;
}

export type SetBudgetOutcome = { ok: true; view: BudgetView } | { ok: false; reason: "above_project_budget" | "needs_seed"; limit?: number };
