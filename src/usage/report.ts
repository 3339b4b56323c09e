// Turns ledger rows into the usage API's pages of time buckets, in the shape of OpenAI's
// organization usage API (completions), with the cost from the catalog's prices added.

import type { LedgerRow } from "./ledger.ts";
import type { GroupBy, UsageQuery } from "./query.ts";

export interface Pricing {
  input_per_million: number;
  output_per_million: number;
  currency: string;
}

/** A ledger row with the project and model its object stands for. */
export interface UsageRow extends LedgerRow {
  projectId: string;
  model: string;
}

export interface UsageResult {
  object: "organization.usage.completions.result";
  input_tokens: number;
  output_tokens: number;
  num_model_requests: number;
  project_id: string | null;
  api_key_id: string | null;
  model: string | null;
  /** Our addition: what the tokens cost at the catalog's prices. */
  amount: { value: number; currency: string };
}

export interface UsageBucket {
  object: "bucket";
  start_time: number;
  end_time: number;
  results: UsageResult[];
}

export interface UsagePage {
  object: "page";
  data: UsageBucket[];
  has_more: boolean;
  next_page: string | null;
}

/** Cost in the currency's units, rounded to a millionth so sums print cleanly. */
export const cost = (r: Pick<LedgerRow, "promptTokens" | "completionTokens">, p: Pricing): number =>
  Math.round(r.promptTokens * p.input_per_million + r.completionTokens * p.output_per_million) / 1e6;

function keyOf(r: UsageRow, groupBy: readonly GroupBy[]): string {
  return JSON.stringify([groupBy.includes("project_id") ? r.projectId : null, groupBy.includes("api_key_id") ? r.keyId : null, groupBy.includes("model") ? r.model : null]);
}

export function usagePage(rows: readonly UsageRow[], q: UsageQuery, pricing: (model: string) => Pricing | undefined): UsagePage {
  const pageEnd = Math.min(q.end, q.start + q.limit * q.widthS);
  const buckets: UsageBucket[] = [];
  const byStart = new Map<number, Map<string, UsageResult>>();
  for (let t = q.start; t < pageEnd; t += q.widthS) {
    buckets.push({ object: "bucket", start_time: t, end_time: t + q.widthS, results: [] });
    byStart.set(t, new Map());
  }
  for (const r of rows) {
    if (q.models !== null && !q.models.includes(r.model)) continue;
    if (q.apiKeyIds !== null && !q.apiKeyIds.includes(r.keyId)) continue;
    const hourS = r.hour / 1000;
    const group = byStart.get(Math.floor(hourS / q.widthS) * q.widthS);
    if (group === undefined) continue;
    const k = keyOf(r, q.groupBy);
    const price = pricing(r.model);
    let res = group.get(k);
    if (res === undefined) {
      res = {
        object: "organization.usage.completions.result",
        input_tokens: 0,
        output_tokens: 0,
        num_model_requests: 0,
        // One project per query: naming it always costs nothing and saves a lookup.
        project_id: r.projectId,
        api_key_id: q.groupBy.includes("api_key_id") ? r.keyId : null,
        model: q.groupBy.includes("model") ? r.model : null,
        amount: { value: 0, currency: price?.currency ?? "EUR" },
      };
      group.set(k, res);
    }
    res.input_tokens += r.promptTokens;
    res.output_tokens += r.completionTokens;
    res.num_model_requests += r.requests;
    if (price) res.amount.value = Math.round((res.amount.value + cost(r, price)) * 1e6) / 1e6;
  }
  for (const b of buckets) {
    b.results = [...(byStart.get(b.start_time)?.values() ?? [])].sort((x, y) => (x.model ?? "").localeCompare(y.model ?? "") || (x.api_key_id ?? "").localeCompare(y.api_key_id ?? ""));
  }
  const hasMore = pageEnd < q.end;
  return { object: "page", data: buckets, has_more: hasMore, next_page: hasMore ? String(pageEnd) : null };
}
