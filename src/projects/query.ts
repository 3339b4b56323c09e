// Paging and filter parameters of the list endpoints (limit/after, OpenAI's audit-log
// filters), parsed from the URL once. Pure.

import { invalidRequest } from "../openai/errors.ts";
import { parseAuditId, type AuditCursor } from "./audit-page.ts";
import { AUDIT_TYPES, type AuditQuery, type AuditType } from "./types.ts";

export const LIMIT_DEFAULT = 20;
export const LIMIT_MAX = 100;

export function parseLimit(params: URLSearchParams): number {
  const raw = params.get("limit");
  if (raw === null) return LIMIT_DEFAULT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > LIMIT_MAX) throw invalidRequest(`'limit' must be an integer from 1 to ${LIMIT_MAX}.`, "limit");
  return n;
}

export function parseAfter(params: URLSearchParams): string | null {
  const raw = params.get("after");
  if (raw === null) return null;
  if (raw.length === 0 || raw.length > 200) throw invalidRequest("'after' must be an id from a previous page.", "after");
  return raw;
}

function cursor(params: URLSearchParams, name: "after" | "before"): AuditCursor | null {
  const raw = params.get(name);
  if (raw === null) return null;
  const c = parseAuditId(raw);
  if (c === null) throw invalidRequest(`'${name}' must be an audit log id from a previous page.`, name);
  return c;
}

function seconds(params: URLSearchParams, name: string): number | null {
  const raw = params.get(name);
  if (raw === null) return null;
  if (!/^\d{1,12}$/.test(raw)) throw invalidRequest(`'${name}' must be Unix seconds.`, name);
  return Number(raw);
}

/** effective_at[gt|gte|lt|lte] become one inclusive range; event_types[] narrows by type. */
export function parseAuditQuery(params: URLSearchParams): AuditQuery {
  const limit = parseLimit(params);
  const after = cursor(params, "after");
  const before = cursor(params, "before");
  if (after !== null && before !== null) throw invalidRequest("Give 'after' or 'before', not both.", "before");
  const gt = seconds(params, "effective_at[gt]");
  const lt = seconds(params, "effective_at[lt]");
  const lows = [seconds(params, "effective_at[gte]"), gt === null ? null : gt + 1].filter((n) => n !== null);
  const highs = [seconds(params, "effective_at[lte]"), lt === null ? null : lt - 1].filter((n) => n !== null);
  let types: AuditType[] | null = null;
  const rawTypes = [...params.getAll("event_types[]"), ...params.getAll("event_types")];
  if (rawTypes.length > 0) {
    types = [];
    for (const t of rawTypes.flatMap((s) => s.split(","))) {
      if (!AUDIT_TYPES.includes(t as AuditType)) throw invalidRequest(`Unknown event type '${t}'; use ${AUDIT_TYPES.join(", ")}.`, "event_types[]");
      types.push(t as AuditType);
    }
  }
  return {
    limit,
    after,
    before,
    since: lows.length > 0 ? Math.max(...lows) : null,
    until: highs.length > 0 ? Math.min(...highs) : null,
    types,
  };
}
