// The project object's tracing table (schema version 3, src/projects/schema.ts): one row (the destination), its credential sealed with
// TRACING_KEY, and a version that grows on every change so edge caches can tell old from new.

import { authorizationOf, tracesEndpoint, type Credential, type EdgeTracing, type TracingInput, type TracingView } from "../src/tracing/destination.ts";

export type { EdgeTracing };
import { open, seal } from "../src/tracing/credential-box.ts";
import type { Capture } from "../src/tracing/traced-inference.ts";
import type { AuditDetails, Json } from "../src/projects/types.ts";

type Row = { tracking_uri: string; experiment_id: string; capture: string; credential_type: string | null; credential_box: string | null; updated_at: number };


const row = (sql: SqlStorage): Row | undefined => sql.exec<Row>("SELECT * FROM tracing").toArray()[0];

export function tracingVersion(sql: SqlStorage): number {
  const r = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'tracing_version'").toArray()[0];
  return r ? Number(r.value) : 0;
}

/** The key record's tracing flag: the version when tracing is on, absent when off. */
export const tracingFlag = (sql: SqlStorage): { tracing?: number } => (row(sql) ? { tracing: tracingVersion(sql) } : {});

export function viewOf(sql: SqlStorage): TracingView | null {
  const r = row(sql);
  if (!r) return null;
  return {
    tracking_uri: r.tracking_uri,
    experiment_id: r.experiment_id,
    capture: r.capture as Capture,
    credential: r.credential_type === null ? null : { type: r.credential_type as Credential["type"] },
    updated_at: r.updated_at,
  };
}

/** Sealing is async, so it happens before the transaction that writes the row. */
export async function sealedCredential(secret: string, projectId: string, c: Credential | null | undefined): Promise<{ type: string; box: string } | null | undefined> {
  if (c === undefined || c === null) return c;
  return { type: c.type, box: await seal(secret, projectId, JSON.stringify(c)) };
}

/** Writes the row and bumps the version; returns the audit details (the credential redacted). */
export function writeTracing(sql: SqlStorage, projectId: string, input: TracingInput, sealed: { type: string; box: string } | null | undefined, now: number): AuditDetails {
  const prev = row(sql);
  const keep = sealed === undefined && prev !== undefined;
  const type = keep ? prev.credential_type : (sealed?.type ?? null);
  const box = keep ? prev.credential_box : (sealed?.box ?? null);
  sql.exec(
    "INSERT OR REPLACE INTO tracing (id, tracking_uri, experiment_id, capture, credential_type, credential_box, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
    input.tracking_uri, input.experiment_id, input.capture, type, box, now,
  );
  bump(sql);
  const credential: Json = sealed === undefined ? "unchanged" : sealed === null ? null : { type: sealed.type, value: "[redacted]" };
  const changes: { [k: string]: Json } = { tracking_uri: input.tracking_uri, experiment_id: input.experiment_id, capture: input.capture, credential };
  return { id: projectId, changes_requested: changes };
}

export function deleteTracing(sql: SqlStorage): boolean {
  if (!row(sql)) return false;
  sql.exec("DELETE FROM tracing");
  bump(sql);
  return true;
}

function bump(sql: SqlStorage): void {
  sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('tracing_version', ?)", String(tracingVersion(sql) + 1));
}

/** A credential that no longer opens (the secret was rotated) exports without one; MLflow then says 401. */
export async function edgeTracing(sql: SqlStorage, secret: string | undefined, projectId: string): Promise<EdgeTracing | null> {
  const r = row(sql);
  if (!r) return null;
  let authorization: string | null = null;
  if (r.credential_box !== null && secret) {
    try {
      authorization = authorizationOf(JSON.parse(await open(secret, projectId, r.credential_box)) as Credential);
    } catch {
      console.log(JSON.stringify({ level: "warn", event: "tracing_credential_unreadable", project_id: projectId }));
    }
  }
  return { version: tracingVersion(sql), endpoint: tracesEndpoint(r.tracking_uri), experimentId: r.experiment_id, capture: r.capture as Capture, authorization };
}
