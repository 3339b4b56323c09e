// The error codes the router can send are the ones its references document: the table in
// src/openai/errors.ts, the OpenAPI document's ERROR_CODES, and the README's error table.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { codedError, ERRORS, type ErrorCode } from "../../src/openai/errors.ts";
import { ERROR_CODES } from "../../src/openapi/errors.ts";

const ROOT = join(import.meta.dirname, "../..");
const pair = (status: number, code: string): string => `${status} ${code}`;
const statusesOf = (code: ErrorCode): readonly number[] => {
  const s: number | readonly number[] = ERRORS[code].status;
  return typeof s === "number" ? [s] : s;
};
const tablePairs = (): string[] => (Object.keys(ERRORS) as ErrorCode[]).flatMap((c) => statusesOf(c).map((s) => pair(s, c))).sort();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}
const SOURCES = [...sources(join(ROOT, "src")), ...sources(join(ROOT, "durable-objects"))].map((p) => ({ p: p.slice(ROOT.length + 1), text: readFileSync(p, "utf8") }));

describe("the error codes", () => {
  it("are the codes the OpenAPI document lists, with the same statuses (a 499 is only logged)", () => {
    const documented = Object.entries(ERROR_CODES).flatMap(([s, codes]) => codes.map((c) => pair(Number(s), c)));
    expect(tablePairs().filter((p) => !p.startsWith("499 "))).toEqual(documented.sort());
  });

  it("each status and code the README's error table names is one the router sends", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const rows = readme.split("\n").filter((l) => /^\| \d{3} \| `/.test(l));
    expect(rows.length, "README.md has no error table (| status | code | when |)").toBeGreaterThan(5);
    const named = rows.flatMap((row) => {
      const [, status, codes] = row.split("|").map((c) => c.trim());
      return [...(codes ?? "").matchAll(/`([a-z_]+)`/g)].map((m) => pair(Number(status), m[1]!));
    });
    expect(named.filter((p) => !tablePairs().includes(p))).toEqual([]);
  });

  it("are built from the table: status and type come from the code", () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const e = codedError(code, "m", { param: "p", headers: { a: "1" } });
      expect([e.status, e.type, e.code, e.param, e.message, e.headers]).toEqual([statusesOf(code)[0], ERRORS[code].type, code, "p", "m", { a: "1" }]);
    }
    expect(codedError("model_not_found", "m", { status: 400 }).status).toBe(400);
  });

  it("each code (with each of its statuses) is built in exactly one place in src/", () => {
    const sites = new Map<string, string[]>();
    for (const { p, text } of SOURCES) {
      // Each call up to the end of its statement; a status given there picks one of the code's statuses.
      for (const call of text.split("codedError(").slice(1).map((c) => c.split(/;\s*\n/)[0]!)) {
        const code = /^\s*"([a-z_]+)"/.exec(call)?.[1] as ErrorCode | undefined;
        if (code === undefined) continue; // the definition and type-only mentions
        const status = /status: (\d{3})/.exec(call)?.[1];
        const key = pair(status !== undefined ? Number(status) : (statusesOf(code)[0] ?? 0), code);
        sites.set(key, [...(sites.get(key) ?? []), p]);
      }
    }
    expect([...sites.keys()].sort()).toEqual(tablePairs());
    expect([...sites].filter(([, at]) => at.length > 1)).toEqual([]);
  });

  it("are never built by hand: `new ApiError` appears only where no code of ours is set", () => {
    const at = SOURCES.filter(({ text }) => text.includes("new ApiError(")).map(({ p }) => p);
    // errors.ts: codedError and the code-less invalidRequest; upstream-errors.ts: an origin's own 400/413.
    expect(at.sort()).toEqual(["src/openai/errors.ts", "src/openai/upstream-errors.ts"]);
  });
});
