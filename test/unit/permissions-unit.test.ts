import { describe, expect, it } from "vitest";
import { authorize, uncovered, type Action, type Authority, type Grant } from "../../src/auth/permissions.ts";

const g = (scopes: Grant["scopes"], models: string[] | null = null, expires_at: number | null = null): Grant => ({ scopes, models, expires_at });
const key = (grant: Grant): Authority => ({ kind: "key", grant });

const ALL_ACTIONS: Action[] = ["create", "list", "get", "update", "rotate", "delete", "audit_read", "usage_read", "project_read"];

describe("uncovered: is a key within another's grant", () => {
  const cases: Array<[string, Grant, Grant, ReturnType<typeof uncovered>]> = [
    ["equal grants", g(["keys", "inference"], ["a"]), g(["keys", "inference"], ["a"]), null],
    ["fewer scopes", g(["keys", "inference"]), g(["inference"]), null],
    ["an extra scope", g(["keys", "inference"]), g(["inference", "usage"]), "scope_not_allowed"],
    ["a subset of models", g(["inference"], ["a", "b"]), g(["inference"], ["b"]), null],
    ["a model outside", g(["inference"], ["a"]), g(["inference"], ["a", "b"]), "model_not_allowed"],
    ["all models from a restricted key", g(["inference"], ["a"]), g(["inference"], null), "model_not_allowed"],
    ["any models from an all-models key", g(["inference"], null), g(["inference"], ["z"]), null],
    ["no expiry from an expiring key", g(["inference"], null, 100), g(["inference"], null, null), "expiry_not_allowed"],
    ["a later expiry", g(["inference"], null, 100), g(["inference"], null, 101), "expiry_not_allowed"],
    ["the same expiry", g(["inference"], null, 100), g(["inference"], null, 100), null],
    ["any expiry from a non-expiring key", g(["inference"]), g(["inference"], null, 5), null],
    ["scopes are checked before models", g(["inference"], ["a"]), g(["usage"], null), "scope_not_allowed"],
  ];
  for (const [name, grant, target, want] of cases) it(name, () => expect(uncovered(grant, target)).toBe(want));
});

describe("authorize", () => {
  it("lets the admin do everything, whatever the targets", () => {
    for (const a of ALL_ACTIONS) expect(authorize({ kind: "admin" }, a, g(["usage", "keys"]), g(["inference", "keys", "usage"]))).toBeNull();
  });

  it("needs the keys scope for key management and audit reads, usage for usage reads", () => {
    const inferenceOnly = key(g(["inference"]));
    for (const a of ALL_ACTIONS) expect(authorize(inferenceOnly, a, null, null)).toEqual({ reason: "insufficient_scope", scope: a === "usage_read" ? "usage" : "keys" });
    const usageOnly = key(g(["usage"]));
    expect(authorize(usageOnly, "usage_read", null, null)).toBeNull();
    expect(authorize(usageOnly, "list", null, null)).toEqual({ reason: "insufficient_scope", scope: "keys" });
    expect(authorize(key(g(["keys"])), "usage_read", null, null)).toEqual({ reason: "insufficient_scope", scope: "usage" });
  });

  const restricted = key(g(["keys", "inference"], ["m1"]));
  const allModels = key(g(["keys", "inference"]));
  const within = g(["inference"], ["m1"]);
  const outside = g(["inference"], null);
  const wider = g(["inference", "keys", "usage"], null);

  it("lets a restricted key act only on keys within its models and scopes", () => {
    expect(authorize(restricted, "create", null, within)).toBeNull();
    expect(authorize(restricted, "create", null, outside)).toEqual({ reason: "model_not_allowed" });
    expect(authorize(restricted, "create", null, wider)).toEqual({ reason: "scope_not_allowed" });
    for (const a of ["rotate", "delete"] as const) {
      expect(authorize(restricted, a, within, a === "rotate" ? within : null)).toBeNull();
      expect(authorize(restricted, a, outside, a === "rotate" ? outside : null)).toEqual({ reason: "api_key_not_allowed" });
      expect(authorize(restricted, a, wider, a === "rotate" ? wider : null)).toEqual({ reason: "api_key_not_allowed" });
    }
    expect(authorize(restricted, "update", within, { ...within, models: null })).toEqual({ reason: "model_not_allowed" });
    expect(authorize(restricted, "update", outside, within)).toEqual({ reason: "api_key_not_allowed" });
  });

  it("keeps an all-models key from granting scopes it lacks or widening wider keys", () => {
    expect(authorize(allModels, "create", null, outside)).toBeNull();
    expect(authorize(allModels, "create", null, wider)).toEqual({ reason: "scope_not_allowed" });
    expect(authorize(allModels, "update", outside, { ...outside, scopes: ["inference", "keys", "usage"] })).toEqual({ reason: "scope_not_allowed" });
    expect(authorize(allModels, "delete", wider, null)).toEqual({ reason: "api_key_not_allowed" });
    expect(authorize(allModels, "rotate", outside, outside)).toBeNull();
  });

  it("lets any key read the model list, whatever its scopes", () => {
    for (const scopes of [["keys"], ["usage"], ["inference"]] as const) expect(authorize(key(g(scopes)), "models_read", null, null)).toBeNull();
  });

  it("lets reads through with the scope alone", () => {
    for (const a of ["list", "get", "audit_read"] as const) expect(authorize(restricted, a, null, null)).toBeNull();
  });
});
