// Reads a whole range from the usage API, following next_page, and its CSV export.

import { getJson, query, request, type Credential } from "./api.ts";
import type { UsageBucket, UsagePage } from "./types.ts";

export interface UsageRange {
  projectId: string | null;
  admin: boolean;
  start: number;
  end: number;
  width: "1h" | "1d";
  groupBy: Array<"model" | "api_key_id">;
}

const params = (r: UsageRange) => ({
  start_time: r.start,
  end_time: r.end,
  bucket_width: r.width,
  group_by: r.groupBy.join(","),
  // A key reads its own project; the admin must name one.
  project_id: r.admin ? r.projectId : null,
});

export async function fetchUsage(cred: Credential, r: UsageRange, signal?: AbortSignal): Promise<UsageBucket[]> {
  const out: UsageBucket[] = [];
  let page: string | null = null;
  for (let i = 0; i < 100; i++) {
    const p: UsagePage = await getJson(cred, `/v1/organization/usage/completions${query({ ...params(r), limit: r.width === "1h" ? 168 : 31, page })}`, signal ? { signal } : {});
    out.push(...p.data);
    if (!p.has_more || p.next_page === null) break;
    page = p.next_page;
  }
  return out;
}

export async function fetchUsageCsv(cred: Credential, r: UsageRange): Promise<string> {
  return (await request(cred, "GET", `/v1/organization/usage/completions${query({ ...params(r), format: "csv" })}`)).text();
}

export const monthStart = (now = new Date()): number => Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) / 1000;
