// The OpenAPI document (src/openapi/) is a valid OpenAPI 3.1 document, every reference in it
// resolves, and it describes what the router serves: each error code once per status,
// unique operation ids. Real responses are checked against it in openapi-integration.

import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/openapi/document.ts";
import { ERROR_CODES } from "../../src/openapi/errors.ts";

function refsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref" && typeof x === "string") out.push(x);
      else refsIn(x, out);
    }
  }
  return out;
}

function resolve(pointer: string): unknown {
  let at: unknown = openApiDocument;
  for (const part of pointer.replace(/^#\//, "").split("/")) at = (at as Record<string, unknown> | undefined)?.[part];
  return at;
}

describe("the OpenAPI document", () => {
  it("validates against the OpenAPI 3.1 schema", async () => {
    const validator = new Validator();
    // The document as served (JSON), and a copy: the validator may annotate what it is given.
    const served: Record<string, unknown> = JSON.parse(JSON.stringify(openApiDocument));
    const res = await validator.validate(served);
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("resolves every $ref inside itself", () => {
    const dangling = [...new Set(refsIn(openApiDocument))].filter((r) => !r.startsWith("#/") || resolve(r) === undefined);
    expect(dangling).toEqual([]);
  });

  it("gives every operation its own id, a tag, and a documented error or more", () => {
    const ops = Object.values(openApiDocument.paths).flatMap((item) => (["get", "post", "patch", "delete"] as const).flatMap((m) => (item[m] ? [item[m]] : [])));
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const o of ops) {
      expect(o.tags.length, o.operationId).toBeGreaterThan(0);
      if (o.operationId !== "getOpenApiDocument") expect(Object.keys(o.responses).filter((s) => s >= "400").length, o.operationId).toBeGreaterThan(0);
    }
  });

  it("lists each error code under one status only, except model_not_found (a 400 for a body's model list, a 404 for a path)", () => {
    const seen = new Map<string, string[]>();
    for (const [status, codes] of Object.entries(ERROR_CODES)) for (const c of codes) seen.set(c, [...(seen.get(c) ?? []), status]);
    const twice = [...seen].filter(([, statuses]) => statuses.length > 1);
    expect(twice).toEqual([["model_not_found", ["400", "404"]]]);
  });
});
