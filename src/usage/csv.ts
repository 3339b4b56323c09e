// The billing export: one CSV line per hour or day, project, key and model, with cost.

import type { Pricing, UsageRow } from "./report.ts";
import { cost } from "./report.ts";
import type { UsageQuery } from "./query.ts";

export const CSV_HEADER = "start_time,end_time,project_id,api_key_id,model,num_model_requests,input_tokens,output_tokens,cost,currency";

/** RFC 4180 quoting, and a leading quote for values a spreadsheet would run as a formula. */
function field(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const iso = (s: number): string => new Date(s * 1000).toISOString();

export function usageCsv(rows: readonly UsageRow[], q: UsageQuery, pricing: (model: string) => Pricing | undefined): string {
  const lines = new Map<string, { start: number; r: UsageRow }>();
  for (const r of rows) {
    if (q.models !== null && !q.models.includes(r.model)) continue;
    if (q.apiKeyIds !== null && !q.apiKeyIds.includes(r.keyId)) continue;
    const start = Math.floor(r.hour / 1000 / q.widthS) * q.widthS;
    if (start < q.start || start >= q.end) continue;
    const k = JSON.stringify([start, r.projectId, r.keyId, r.model]);
    const line = lines.get(k);
    if (line === undefined) lines.set(k, { start, r: { ...r } });
    else {
      line.r.requests += r.requests;
      line.r.promptTokens += r.promptTokens;
      line.r.completionTokens += r.completionTokens;
    }
  }
  const sorted = [...lines.values()].sort((a, b) => a.start - b.start || a.r.model.localeCompare(b.r.model) || a.r.keyId.localeCompare(b.r.keyId));
  const out = [CSV_HEADER];
  for (const { start, r } of sorted) {
    const p = pricing(r.model);
    out.push(
      [iso(start), iso(start + q.widthS), r.projectId, r.keyId, r.model, r.requests, r.promptTokens, r.completionTokens, p ? cost(r, p).toFixed(6) : "", p?.currency ?? ""]
        .map(field)
        .join(","),
    );
  }
  return out.join("\r\n") + "\r\n";
}
