// GET /v1/organization/usage/completions: a project's metered usage in time buckets (JSON,
// OpenAI's usage API shape) or as a CSV export. The admin reads any project; a key with
// the "usage" scope reads its own.

import { isAdmin } from "../auth/admin.ts";
import { authenticate, requireScope } from "../auth/authenticate.ts";
import { getCatalog } from "../catalog/store.ts";
import { jsonResponse } from "../http/json.ts";
import { ApiError, invalidRequest } from "../openai/errors.ts";
import { limiterStub } from "../quota/limiter-stub.ts";
import { usageCsv } from "../usage/csv.ts";
import { parseUsageQuery, type UsageQuery } from "../usage/query.ts";
import { usagePage, type UsageRow } from "../usage/report.ts";
import type { RouterRequest } from "./context.ts";

/** Who asks: the admin (null), or the project of a key with the "usage" scope. */
async function callerProject(request: RouterRequest, env: Env): Promise<string | null> {
  if (await isAdmin(request, env)) return null;
  const key = await authenticate(request, env);
  request.state.log.project_id = key.project_id;
  request.state.log.key_id = key.key_id;
  requireScope(key, "usage");
  return key.project_id;
}

function projectOf(caller: string | null, q: UsageQuery): string {
  if (caller === null) {
    if (q.projectId === null) throw invalidRequest("The admin must name a project: pass 'project_id'.", "project_id", "missing_required_parameter");
    return q.projectId;
  }
  if (q.projectId !== null && q.projectId !== caller) {
    throw new ApiError({ status: 403, type: "permission_error", code: "project_not_allowed", param: "project_id", message: "This API key may only read its own project's usage." });
  }
  return caller;
}

export async function usageCompletions(request: RouterRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const caller = await callerProject(request, env);
  const q = parseUsageQuery(new URL(request.url), Math.floor(Date.now() / 1000));
  const projectId = projectOf(caller, q);
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
    throw new ApiError({ status: 503, type: "server_error", code: "usage_unavailable", message: "Usage could not be read right now; try again shortly.", headers: { "retry-after": "1" } });
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

