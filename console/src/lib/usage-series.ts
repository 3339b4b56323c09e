// Turns the usage API's buckets into chart series and totals. Pure, so a unit test can
// check that the console's totals are exactly the API's.

import type { UsageBucket, UsageResult } from "./types.ts";

export type Grouping = "model" | "api_key_id";

export interface Totals {
  requests: number;
  input: number;
  output: number;
  /** Summed in millionths, as the API rounds each amount, so no float dust accumulates. */
  cost: number;
  currency: string;
}

export interface GroupTotals extends Totals {
  group: string;
}

export interface Series {
  /** Bucket start times, unix seconds. */
  times: number[];
  groups: string[];
  /** [group][bucket] */
  input: number[][];
  output: number[][];
  cost: number[][];
}

const micro = (v: number): number => Math.round(v * 1e6);
export const groupOf = (r: UsageResult, by: Grouping): string => (by === "model" ? r.model : r.api_key_id) ?? "(all)";

function add(t: Totals, r: UsageResult): void {
  t.requests += r.num_model_requests;
  t.input += r.input_tokens;
  t.output += r.output_tokens;
  t.cost = (micro(t.cost) + micro(r.amount.value)) / 1e6;
  t.currency = r.amount.currency;
}

const empty = (): Totals => ({ requests: 0, input: 0, output: 0, cost: 0, currency: "EUR" });

export function totals(buckets: readonly UsageBucket[]): Totals {
  const t = empty();
  for (const b of buckets) for (const r of b.results) add(t, r);
  return t;
}

/** Per group, largest cost first (ties: most tokens, then name). */
export function totalsByGroup(buckets: readonly UsageBucket[], by: Grouping): GroupTotals[] {
  const map = new Map<string, GroupTotals>();
  for (const b of buckets) {
    for (const r of b.results) {
      const g = groupOf(r, by);
      let t = map.get(g);
      if (t === undefined) map.set(g, (t = { group: g, ...empty() }));
      add(t, r);
    }
  }
  return [...map.values()].sort((a, b) => b.cost - a.cost || b.input + b.output - (a.input + a.output) || a.group.localeCompare(b.group));
}

export function seriesOf(buckets: readonly UsageBucket[], by: Grouping): Series {
  const groups = totalsByGroup(buckets, by).map((g) => g.group);
  const index = new Map(groups.map((g, i) => [g, i]));
  const zeros = (): number[][] => groups.map(() => buckets.map(() => 0));
  const s: Series = { times: buckets.map((b) => b.start_time), groups, input: zeros(), output: zeros(), cost: zeros() };
  buckets.forEach((b, i) => {
    for (const r of b.results) {
      const g = index.get(groupOf(r, by))!;
      s.input[g]![i]! += r.input_tokens;
      s.output[g]![i]! += r.output_tokens;
      s.cost[g]![i] = (micro(s.cost[g]![i]!) + micro(r.amount.value)) / 1e6;
    }
  });
  return s;
}

/** Running sums from the top group down, for stacked bars drawn largest first. */
export function stack(rows: readonly number[][]): number[][] {
  const out: number[][] = [];
  let below: number[] | null = null;
  for (let g = rows.length - 1; g >= 0; g--) {
    const row = rows[g]!;
    const sum: number[] = row.map((v, i) => v + (below?.[i] ?? 0));
    out[g] = sum;
    below = sum;
  }
  return out;
}
