import { describe, expect, it } from "vitest";
import { parseJsonObject } from "../../src/openai/body.ts";
import { ApiError } from "../../src/openai/errors.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "../../src/openai/json-depth.ts";

const nested = (depth: number, open = "[", close = "]"): string => open.repeat(depth) + close.repeat(depth);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("nestsDeeperThan", () => {
  it("counts the top-level object as level one, scalars as no level", () => {
    expect(nestsDeeperThan(5, 0)).toBe(false);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: {} }, 1)).toBe(true);
    expect(nestsDeeperThan({ a: [1, "x", null] }, 2)).toBe(false);
    expect(nestsDeeperThan({ a: [1, [2]] }, 2)).toBe(true);
  });

  it("finds the one deep branch among many shallow ones", () => {
    const wide = { a: Array.from({ length: 1000 }, () => ({ b: 1 })), z: JSON.parse(nested(10)) as unknown };
    expect(nestsDeeperThan(wide, 10)).toBe(true);
    expect(nestsDeeperThan(wide, 11)).toBe(false);
  });

  it("handles a million levels without overflowing the stack", () => {
    expect(nestsDeeperThan(JSON.parse(nested(1_000_000)), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe("parseJsonObject depth bound", () => {
  it("accepts a body exactly at the limit and refuses one level more with a 400", () => {
    const at = `{"x":${nested(MAX_JSON_DEPTH - 1)}}`;
    expect(parseJsonObject(bytes(at))).toHaveProperty("x");
    const over = `{"x":${nested(MAX_JSON_DEPTH)}}`;
    let caught: unknown;
    try {
      parseJsonObject(bytes(over));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).status).toBe(400);
    expect((caught as ApiError).code).toBe("invalid_json");
  });
});
