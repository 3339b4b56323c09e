import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/openai/errors.ts";
import { NAME_MAX, parseKeyCreate, parseKeyPatch, parseProjectCreate, parseProjectPatch } from "../../src/projects/validate.ts";

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const ctx = { modelIds: new Set(["a", "b"]), now: NOW };
const nowS = NOW / 1000;

function fails(fn: () => unknown): { param: string | null; code: string | null; status: number } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { param: err.param, code: err.code, status: err.status };
    throw err;
  }
  throw new Error("expected a 400");
}

describe("parseKeyCreate", () => {
  const create = (body: Record<string, unknown>, admin = false) => parseKeyCreate(body, { ...ctx, admin });

  it("fills defaults: inference scope, every model, no expiry", () => {
    expect(create({ name: " ci " })).toEqual({ name: "ci", scopes: ["inference"], models: null, expires_at: null, value: null });
  });

  it("keeps given scopes, models and expiry, without duplicates", () => {
    expect(create({ name: "x", scopes: ["keys", "usage", "keys"], models: ["b", "a", "b"], expires_at: nowS + 1 })).toEqual({
      name: "x",
      scopes: ["keys", "usage"],
      models: ["b", "a"],
      expires_at: nowS + 1,
      value: null,
    });
  });

  it.each([
    [{}, "name", null],
    [{ name: "" }, "name", null],
    [{ name: "   " }, "name", null],
    [{ name: "x".repeat(NAME_MAX + 1) }, "name", null],
    [{ name: "tab\there" }, "name", null],
    [{ name: ["x"] }, "name", null],
    [{ name: "x", scopes: "inference" }, "scopes", null],
    [{ name: "x", scopes: [] }, "scopes", null],
    [{ name: "x", scopes: ["admin"] }, "scopes", "invalid_scope"],
    [{ name: "x", models: [] }, "models", null],
    [{ name: "x", models: "a" }, "models", null],
    [{ name: "x", models: ["c"] }, "models", "model_not_found"],
    [{ name: "x", models: [1] }, "models", "model_not_found"],
    [{ name: "x", expires_at: nowS }, "expires_at", "expiry_in_past"],
    [{ name: "x", expires_at: nowS - 100 }, "expires_at", "expiry_in_past"],
    [{ name: "x", expires_at: nowS + 0.5 }, "expires_at", null],
    [{ name: "x", expires_at: "2030-01-01" }, "expires_at", null],
    [{ name: "x", value: "sk-eir-aaaaaaaaaaaaaaaaaaaaaaaa" }, "value", "unknown_parameter"],
    [{ name: "x", owner: "me" }, "owner", "unknown_parameter"],
  ])("refuses %j naming %s", (body, param, code) => {
    expect(fails(() => create(body))).toEqual({ param, code, status: 400 });
  });

  it("lets only the admin choose a well-formed secret", () => {
    expect(create({ name: "x", value: "sk-eir-aaaaaaaaaaaaaaaaaaaaaaaa" }, true).value).toBe("sk-eir-aaaaaaaaaaaaaaaaaaaaaaaa");
    expect(fails(() => create({ name: "x", value: "sk-other-aaaaaaaaaaaaaaaaaaaaaaaa" }, true)).param).toBe("value");
  });
});

describe("parseKeyPatch", () => {
  it("returns only the given fields; null models and expiry mean 'all' and 'never'", () => {
    expect(parseKeyPatch({ models: null, expires_at: null }, ctx)).toEqual({ models: null, expires_at: null });
    expect(parseKeyPatch({ name: "n" }, ctx)).toEqual({ name: "n" });
  });

  it("refuses an empty patch and unknown fields", () => {
    expect(fails(() => parseKeyPatch({}, ctx)).param).toBe(null);
    expect(fails(() => parseKeyPatch({ value: "x" }, ctx)).param).toBe("value");
    expect(fails(() => parseKeyPatch({ id: "key_1" }, ctx)).param).toBe("id");
  });
});

describe("parseProjectCreate / parseProjectPatch", () => {
  it("accepts a name, an optional chosen id and limit overrides", () => {
    expect(parseProjectCreate({ name: "p", id: "proj_demo", limits: { a: { rpm: 1, tpm: 2 } } }, ctx)).toEqual({
      id: "proj_demo",
      name: "p",
      limits: { a: { rpm: 1, tpm: 2 } },
    });
    expect(parseProjectCreate({ name: "p" }, ctx)).toEqual({ id: null, name: "p", limits: {} });
  });

  it.each([
    [{ name: "p", id: "demo" }, "id"],
    [{ name: "p", id: "proj_with space" }, "id"],
    [{ id: "proj_x" }, "name"],
    [{ name: "p", limits: [] }, "limits"],
    [{ name: "p", limits: { c: { rpm: 1, tpm: 1 } } }, "limits.c"],
    [{ name: "p", limits: { a: 5 } }, "limits.a"],
    [{ name: "p", limits: { a: { rpm: 1 } } }, "limits.a.tpm"],
    [{ name: "p", limits: { a: { rpm: -1, tpm: 1 } } }, "limits.a.rpm"],
    [{ name: "p", limits: { a: { rpm: 1.5, tpm: 1 } } }, "limits.a.rpm"],
    [{ name: "p", limits: { a: { rpm: 1, tpm: 1, burst: 2 } } }, "burst"],
    [{ name: "p", status: "active" }, "status"],
  ])("refuses %j naming %s", (body, param) => {
    expect(fails(() => parseProjectCreate(body, ctx)).param).toBe(param);
  });

  it("patches status, name and limits, and refuses anything else", () => {
    expect(parseProjectPatch({ status: "suspended" }, ctx)).toEqual({ status: "suspended" });
    expect(fails(() => parseProjectPatch({ status: "archived" }, ctx)).param).toBe("status");
    expect(fails(() => parseProjectPatch({ id: "proj_x" }, ctx)).param).toBe("id");
    expect(fails(() => parseProjectPatch({}, ctx)).param).toBe(null);
  });
});
