// The query of the usage API, checked once: time range, bucket width, grouping, filters, page.

import { ID } from "../catalog/validate.ts";
import { codedError, invalidRequest, type ApiError } from "../openai/errors.ts";
import { missingParameter } from "../openai/request-errors.ts";
import { PROJECT_ID } from "../projects/validate.ts";

export type BucketWidth = "1h" | "1d";
export type GroupBy = "model" | "api_key_id" | "project_id";
const GROUPS: readonly GroupBy[] = ["model", "api_key_id", "project_id"];
const WIDTH_S: Record<BucketWidth, number> = { "1h": 3600, "1d": 86_400 };
/** Buckets per page: OpenAI's defaults and maxima. */
const LIMITS: Record<BucketWidth, { def: number; max: number }> = { "1h": { def: 24, max: 168 }, "1d": { def: 7, max: 31 } };
/** The widest range one request (or one CSV export) may cover. */
export const MAX_RANGE_S = 366 * 86_400;

export interface UsageQuery {
  /** Inclusive start and exclusive end, unix seconds, aligned to the bucket width. */
  start: number;
  end: number;
  width: BucketWidth;
  widthS: number;
  groupBy: GroupBy[];
  projectId: string | null;
  models: string[] | null;
  apiKeyIds: string[] | null;
  limit: number;
  format: "json" | "csv";
}

/** Values of a parameter given as `a=1&a=2`, `a[]=1` or `a=1,2`. */
function list(params: URLSearchParams, name: string): string[] | null {
  const values = [...params.getAll(name), ...params.getAll(`${name}[]`)].flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  return values.length === 0 ? null : values;
}

function seconds(params: URLSearchParams, name: string): number | null {
  const v = params.get(name);
  if (v === null || v === "") return null;
  if (!/^\d{1,12}$/.test(v)) throw invalidRequest(`'${name}' must be a unix time in seconds.`, name);
  return Number(v);
}

/** Models one query may name: each is one call to its limiter object. */
export const MAX_MODELS = 50;

/**
 * Named models are read whether or not the catalog still lists them: a removed model's
 * usage stays in its ledger and on the bill.
 */
function parseModels(p: URLSearchParams): string[] | null {
  const named = list(p, "models");
  const models = named === null ? null : [...new Set(named)];
  if (models !== null) {
    if (models.length > MAX_MODELS) throw invalidRequest(`Name at most ${MAX_MODELS} models per request.`, "models");
    const bad = models.find((m) => !ID.test(m));
    if (bad !== undefined) throw invalidRequest(`'models' holds ${JSON.stringify(bad.slice(0, 140))}, which is not a model id.`, "models");
  }
  return models;
}

export function parseUsageQuery(url: URL, nowS: number): UsageQuery {
  const p = url.searchParams;
  const widthRaw = p.get("bucket_width") ?? "1d";
  if (widthRaw !== "1h" && widthRaw !== "1d") throw invalidRequest("'bucket_width' must be '1h' or '1d'.", "bucket_width");
  const width: BucketWidth = widthRaw;
  const widthS = WIDTH_S[width];

  const startRaw = seconds(p, "start_time");
  if (startRaw === null) throw missingParameter("start_time");
  const endGiven = seconds(p, "end_time");
  // Checked before the range is widened to whole buckets, which would hide a reversed range inside one bucket.
  if (endGiven !== null && endGiven <= startRaw) throw invalidRequest("'end_time' must be after 'start_time'.", "end_time");
  const endRaw = endGiven ?? nowS;
  const page = seconds(p, "page");
  // A page cursor is the start of the next bucket; it must lie inside the range.
  const from = page ?? startRaw;
  if (page !== null && (page < startRaw || page >= endRaw)) throw invalidRequest("'page' is not a cursor of this query.", "page");
  const start = Math.floor(from / widthS) * widthS;
  const end = Math.ceil(endRaw / widthS) * widthS;
  if (end <= start) throw invalidRequest("'end_time' must be after 'start_time'.", "end_time");
  if (end - Math.floor(startRaw / widthS) * widthS > MAX_RANGE_S) throw invalidRequest(`The range may cover at most ${MAX_RANGE_S / 86_400} days.`, "end_time");

  const groupBy = list(p, "group_by") ?? [];
  for (const g of groupBy) {
    if (!GROUPS.includes(g as GroupBy)) throw invalidRequest(`'group_by' may contain ${GROUPS.join(", ")}; got '${g}'.`, "group_by");
  }

  const { def, max } = LIMITS[width];
  const limitRaw = p.get("limit");
  let limit = def;
  if (limitRaw !== null) {
    limit = Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > max) throw invalidRequest(`'limit' must be an integer from 1 to ${max} for bucket_width ${width}.`, "limit");
  }
  const format = p.get("format") ?? "json";
  if (format !== "json" && format !== "csv") throw invalidRequest("'format' must be 'json' or 'csv'.", "format");

  const models = parseModels(p);
  const projects = list(p, "project_id") ?? list(p, "project_ids");
  if (projects !== null && projects.length > 1) throw invalidRequest("Give one 'project_id' per request.", "project_id");
  if (projects !== null && !PROJECT_ID.test(projects[0]!)) throw invalidRequest("'project_id' must look like proj_<letters, digits, _ or ->.", "project_id");

  return {
    start,
    end,
    width,
    widthS,
    groupBy: groupBy as GroupBy[],
    projectId: projects?.[0] ?? null,
    models,
    apiKeyIds: list(p, "api_key_ids"),
    limit,
    format,
  };
}

/** A limiter object's ledger could not be read: the caller retries in a moment. */
export const usageUnavailable = (): ApiError => codedError("usage_unavailable", "Usage could not be read right now; try again shortly.", { headers: { "retry-after": "1" } });
