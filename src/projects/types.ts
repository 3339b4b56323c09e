// Projects, API keys and audit events: what a project's Durable Object stores and the
// management API shows, in the wire's snake_case.

import type { Scope } from "../auth/key-record.ts";
import type { Limits } from "../quota/rate-limiter.ts";
import type { AuditCursor, AuditSliceBound } from "./audit-page.ts";

export type ProjectStatus = "active" | "suspended";
export const PROJECT_STATUSES: readonly ProjectStatus[] = ["active", "suspended"];

/** Per-model overrides for projects granted more (or less) than the catalog's limits. */
export type ModelLimits = Record<string, Limits>;

export interface Project {
  id: string;
  name: string;
  status: ProjectStatus;
  limits: ModelLimits;
  /** Unix seconds. */
  created_at: number;
}

/** A key as stored: never the secret, only its hash (kept beside it) and a redacted hint. */
export interface StoredKey {
  id: string;
  name: string;
  redacted_value: string;
  scopes: Scope[];
  /** null: every model of the catalog. */
  models: string[] | null;
  created_at: number;
  /** Unix seconds, or null for no expiry. */
  expires_at: number | null;
}

/** Who made a change: the operators' admin credential or one of the project's keys. */
export type Actor = { type: "admin" } | { type: "api_key"; api_key: { id: string } } | { type: "system" };

export type AuditType =
  | "project.created"
  | "project.updated"
  | "project.suspended"
  | "project.activated"
  | "api_key.created"
  | "api_key.updated"
  | "api_key.rotated"
  | "api_key.deleted"
  | "budget.updated"
  | "budget.deleted"
  | "budget.threshold_reached"
  | "tracing.updated"
  | "tracing.deleted";
export const AUDIT_TYPES: readonly AuditType[] = [
  "project.created",
  "project.updated",
  "project.suspended",
  "project.activated",
  "api_key.created",
  "api_key.updated",
  "api_key.rotated",
  "api_key.deleted",
  "budget.updated",
  "budget.deleted",
  "budget.threshold_reached",
  "tracing.updated",
  "tracing.deleted",
];

/** Plain JSON: what crosses the RPC boundary and lands in the audit table. */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** The event-specific part, shown under a property named like the event type (OpenAI's shape). */
export interface AuditDetails {
  id: string;
  data?: { [k: string]: Json };
  changes_requested?: { [k: string]: Json };
  previous?: { [k: string]: Json };
}

export interface AuditEntry {
  seq: number;
  type: AuditType;
  effective_at: number;
  actor: Actor;
  /** AuditDetails as JSON text: a recursive JSON type is too deep for RPC's type mapping. */
  details: string;
}

export interface AuditQuery {
  limit: number;
  /** The events listed after this one (older), or before it (newer); at most one is set. */
  after: AuditCursor | null;
  before: AuditCursor | null;
  /** Unix seconds bounds on effective_at, inclusive. */
  since: number | null;
  until: number | null;
  types: AuditType[] | null;
}

/** What a project's object is asked for: up to `limit` events nearest the bound, filtered. */
export interface AuditSlice {
  limit: number;
  bound: AuditSliceBound | null;
  since: number | null;
  until: number | null;
  types: AuditType[] | null;
}

/** Why a project's object refused a change; the routes map each to one wire error. */
export type Refusal =
  | "project_not_found"
  | "project_exists"
  | "key_not_found"
  | "key_exists"
  | "too_many_keys"
  /** The secret's claim object could not be reached: nothing was changed. */
  | "claim_unavailable"
  // The permission rule's denials (auth/permissions.ts), decided where the key is stored.
  | "insufficient_scope"
  | "api_key_not_allowed"
  | "scope_not_allowed"
  | "model_not_allowed"
  | "expiry_not_allowed";
export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: Refusal };
