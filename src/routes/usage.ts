// GET /v1/organization/usage/completions: a project's metered usage in time buckets (JSON,
// OpenAI's usage API shape) or as a CSV export. The admin reads any project; a key with
// the "usage" scope reads its own.

import { managementPrincipal, type Principal } from "../projects/principal.ts";
import { getCatalog } from "../catalog/store.ts";
import { jsonResponse } from "../http/json.ts";
import { invalidRequest } from "../openai/errors.ts";
import { missingParameter } from "../openai/request-errors.ts";
import { visibleProject } from "../projects/wire.ts";
import { limiterStub } from "../quota/limiter-stub.ts";
import { usageCsv } from "../usage/csv.ts";
import { parseUsageQuery, usageUnavailable, type UsageQuery } from "../usage/query.ts";
import { usagePage, type UsageRow } from "../usage/report.ts";
import type { RouterRequest } from "./context.ts";

/** The admin must name the project; a key reads its own, named or not. */
function projectOf(principal: Principal, q: UsageQuery): string {
  if (principal.kind === "key") return q.projectId ?? principal.record.project_id;
  if (q.projectId === null) throw missingParameter("project_id", "The admin must name a project: pass 'project_id'.");
  return q.projectId;
}

export async function usageCompletions(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const principal = await managementPrincipal(request, env, "usage_read");
  if (principal.kind === "key") request.state.log.key_id = principal.record.key_id;
  const q = parseUsageQuery(new URL(request.url), Math.floor(Date.now() / 1000));
  const projectId = projectOf(principal, q);
  request.state.log.project_id = projectId;
  await visibleProject(env, principal, projectId);
  const { catalog, byId } = await getCatalog(env, ctx);
  // The ledger lives with each model's limiter: ask every model of the catalog at once, or
  // the models named, listed or not (a removed model's usage is still on the bill).
  const models = q.models ?? catalog.models.map((m) => m.id);
  const range = { fromHour: q.start * 1000, toHour: Math.min(q.end, q.format === "csv" ? q.end : q.start + q.limit * q.widthS) * 1000 };
  let perModel: UsageRow[][];
  try {
    perModel = await Promise.all(
      models.map(async (model) => {
        const rows = await limiterStub(env, projectId, model).usage(range);
        return rows.map((r) => ({ ...r, projectId, model }));
      }),
    );
  } catch {
    throw usageUnavailable();
  }
  const rows = perModel.flat();
  const pricing = (model: string) => byId.get(model)?.pricing;
  if (q.format === "csv") {
    return new Response(usageCsv(rows, q, pricing), {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="usage-${projectId}-${q.start}-${q.end}.csv"` },
    });
  }
  return jsonResponse(usagePage(rows, q, pricing));
}

