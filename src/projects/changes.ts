// What a change to a project or key does: the next state, the audit details it records,
// and the KV record the edge reads. Pure, so the object stays a thin shell over SQL.

import { KEY_PREFIX } from "../auth/api-key.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import type { AuditDetails, AuditType, Json, Project, ProjectStatus, StoredKey } from "./types.ts";
import type { KeyPatch, ProjectPatch } from "./validate.ts";

/** Enough to recognise a key in a list, far too little to guess it. */
export function redact(secret: string): string {
  const body = secret.slice(KEY_PREFIX.length);
  return `${KEY_PREFIX}${body.slice(0, 4)}...${body.slice(-4)}`;
}

const changed = (a: unknown, b: unknown): boolean => JSON.stringify(a) !== JSON.stringify(b);

/** Only fields whose value really changes are recorded; an update changing nothing records nothing. */
function diff<T extends object>(current: T, patch: Partial<T>): { next: T; changes: { [k: string]: Json }; previous: { [k: string]: Json } } {
  const next = { ...current };
  const changes: { [k: string]: Json } = {};
  const previous: { [k: string]: Json } = {};
  for (const k of Object.keys(patch) as Array<keyof T & string>) {
    const v = patch[k];
    if (v === undefined || !changed(current[k], v)) continue;
    // Patches hold only JSON values (they come from parsed bodies).
    changes[k] = v as Json;
    previous[k] = current[k] as Json;
    next[k] = v as T[keyof T & string];
  }
  return { next, changes, previous };
}

export interface Change<T> {
  next: T;
  /** null when the patch changed nothing. */
  audit: { type: AuditType; details: AuditDetails } | null;
}

export function applyKeyPatch(key: StoredKey, patch: KeyPatch): Change<StoredKey> {
  const { next, changes, previous } = diff(key, patch);
  if (Object.keys(changes).length === 0) return { next, audit: null };
  return { next, audit: { type: "api_key.updated", details: { id: key.id, changes_requested: changes, previous } } };
}

function projectEventType(from: ProjectStatus, to: ProjectStatus): AuditType {
  if (from === to) return "project.updated";
  return to === "suspended" ? "project.suspended" : "project.activated";
}

export function applyProjectPatch(project: Project, patch: ProjectPatch): Change<Project> {
  const { next, changes, previous } = diff(project, patch);
  if (Object.keys(changes).length === 0) return { next, audit: null };
  const type = projectEventType(project.status, next.status);
  return { next, audit: { type, details: { id: project.id, changes_requested: changes, previous } } };
}

export const keyCreatedDetails = (key: StoredKey): AuditDetails => ({
  id: key.id,
  data: { name: key.name, scopes: key.scopes, models: key.models, expires_at: key.expires_at, redacted_value: key.redacted_value },
});

export const projectCreatedDetails = (p: Project): AuditDetails => ({ id: p.id, data: { name: p.name, limits: p.limits } });

/** The record under key:<hash> in KV and the answer the object gives the edge. */
export function keyRecordFor(key: StoredKey, project: Project): KeyRecord {
  return {
    project_id: project.id,
    key_id: key.id,
    scopes: key.scopes,
    models: key.models,
    expires_at: key.expires_at,
    project_status: project.status,
    limits: project.limits,
  };
}
