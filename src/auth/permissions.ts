// The one rule of who may do what on the management and usage API. Pure: the caller
// passes the actor's grant and the target key before and after the change.
//
// A key may act only on keys its own grant covers, and may never leave a key with more
// than it has itself: scopes a subset, models a subset (null = every model, which only an
// all-models key covers), expiry no later (null = never, which only a non-expiring key
// covers). Keys carry no limits of their own (limits are the project's), so none are checked.

import type { Scope } from "./key-record.ts";

/** What a key may do: the part of a key that can be granted. */
export interface Grant {
  scopes: readonly Scope[];
  models: readonly string[] | null;
  /** Unix seconds, or null for no expiry. */
  expires_at: number | null;
}

export type Authority = { kind: "admin" } | { kind: "key"; grant: Grant };

export type Action = "create" | "list" | "get" | "update" | "rotate" | "delete" | "audit_read" | "usage_read" | "project_read" | "models_read" | "tracing_read" | "tracing_write";

/**
 * The scope each action needs (null: any valid key); key writes need coverage too. The
 * model list is open to every key, whatever its scopes, because consoles and SDKs list
 * models to check a key and to show prices; each key still sees only its own models.
 */
export const ACTION_SCOPE: Record<Action, Scope | null> = {
  create: "keys",
  list: "keys",
  get: "keys",
  update: "keys",
  rotate: "keys",
  delete: "keys",
  audit_read: "keys",
  usage_read: "usage",
  project_read: "keys",
  models_read: null,
  // The project's MLflow destination: its keys' managers set where its traces go.
  tracing_read: "keys",
  tracing_write: "keys",
};

export type Denial =
  | { reason: "insufficient_scope"; scope: Scope }
  /** The target key, as it is now, is wider than the actor. */
  | { reason: "api_key_not_allowed" }
  /** The key as it would be afterwards is wider than the actor, in this field. */
  | { reason: "scope_not_allowed" }
  | { reason: "model_not_allowed" }
  | { reason: "expiry_not_allowed" };

/** Why `grant` does not cover `target`, field by field in a fixed order, or null if it does. */
export function uncovered(grant: Grant, target: Grant): "scope_not_allowed" | "model_not_allowed" | "expiry_not_allowed" | null {
  if (!target.scopes.every((s) => grant.scopes.includes(s))) return "scope_not_allowed";
  if (grant.models !== null && (target.models === null || !target.models.every((m) => grant.models!.includes(m)))) return "model_not_allowed";
  if (grant.expires_at !== null && (target.expires_at === null || target.expires_at > grant.expires_at)) return "expiry_not_allowed";
  return null;
}

/**
 * null when allowed. `before` is the target key as stored (null for create and for reads),
 * `after` the key as the action leaves it (null for delete and for reads; rotate leaves
 * it as it was). Reads show metadata, never a secret, so they need the scope only.
 */
export function authorize(actor: Authority, action: Action, before: Grant | null, after: Grant | null): Denial | null {
  if (actor.kind === "admin") return null;
  const { grant } = actor;
  const scope = ACTION_SCOPE[action];
  if (scope !== null && !grant.scopes.includes(scope)) return { reason: "insufficient_scope", scope };
  if (before !== null && uncovered(grant, before) !== null) return { reason: "api_key_not_allowed" };
  const wider = after === null ? null : uncovered(grant, after);
  return wider === null ? null : { reason: wider };
}
