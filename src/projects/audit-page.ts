// One page of audit events across several projects: the order, the cursors and the merge.
// Pure. Events are ordered newest first by (effective_at, project id, seq), all descending,
// so any event id is a cursor that splits every project's log at one point.

import type { AuditEntry, Project } from "./types.ts";

/** A cursor as given: the event id of a previous page (`audit_log-<project>.<seq>`). */
export interface AuditCursor {
  project_id: string;
  seq: number;
}

/** The cursor with the event's time, read from its project: where every log is split. */
export interface AuditSplit extends AuditCursor {
  effective_at: number;
  /** older: the events after the cursor in the list (`after`); newer: before it (`before`). */
  direction: "older" | "newer";
}

/** What one project's object is asked for: events on one side of the split, nearest first. */
export interface AuditSliceBound {
  effective_at: number;
  /** Events at exactly effective_at pass when their seq is below (older) or above (newer) this. */
  seq: number;
  direction: "older" | "newer";
}

const NONE = 0;
const ALL = Number.MAX_SAFE_INTEGER;

export const auditId = (projectId: string, seq: number): string => `audit_log-${projectId}.${seq}`;

export function parseAuditId(id: string): AuditCursor | null {
  const m = /^audit_log-(proj_[A-Za-z0-9_-]{1,60})\.(\d{1,15})$/.exec(id);
  return m ? { project_id: m[1]!, seq: Number(m[2]) } : null;
}

/** The split as one project sees it: the tie at the cursor's second is broken by project id. */
export function sliceBound(split: AuditSplit, projectId: string): AuditSliceBound {
  const { effective_at, direction } = split;
  if (projectId === split.project_id) return { effective_at, seq: split.seq, direction };
  // Within the cursor's second, a project whose id sorts lower comes later in the list: all
  // its events of that second are older than the cursor (seq < ALL), none newer (seq > ALL),
  // and the other way round for a project whose id sorts higher.
  return { effective_at, seq: projectId < split.project_id ? ALL : NONE, direction };
}

export interface AuditItem {
  project: Project;
  entry: AuditEntry;
}

/** Descending list order: positive when a comes after b. */
function listOrder(a: AuditItem, b: AuditItem): number {
  if (a.entry.effective_at !== b.entry.effective_at) return b.entry.effective_at - a.entry.effective_at;
  if (a.project.id !== b.project.id) return a.project.id < b.project.id ? 1 : -1;
  return b.entry.seq - a.entry.seq;
}

/**
 * Merges each project's slice (each holding up to limit + 1 events nearest the split) into
 * one page in list order. has_more: more events lie beyond the page, away from the cursor.
 */
export function mergeAuditSlices(slices: AuditItem[][], limit: number, direction: "older" | "newer"): { items: AuditItem[]; has_more: boolean } {
  const all = slices.flat().sort(listOrder);
  if (direction === "older") return { items: all.slice(0, limit), has_more: all.length > limit };
  // Paging back: the page is the `limit` events nearest the cursor, still shown newest first.
  return { items: all.slice(Math.max(0, all.length - limit)), has_more: all.length > limit };
}
