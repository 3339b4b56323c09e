// The house rules of src/ that a reviewer would otherwise check by hand (issue 12): no file
// over 250 lines, no function over 60, and no import that runs back up the layers of
// ../shared/DESIGN.md (pure logic and clients never import routes, the app, the entry or
// a Durable Object; only the entry imports cloudflare:*).

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url).href);
const SRC = join(ROOT, "src");
const MAX_FILE_LINES = 250;
const MAX_FUNCTION_LINES = 60;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}
const files = sources(SRC).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, "utf8") }));

/** A line that opens a function body: a declaration, a method, or an arrow with a block. */
const OPENS = /(\bfunction\b[^=]*\{$|=>\s*\{$|^(?:(?:export|async|static|private|protected|public|override|get|set)\s+)*#?[A-Za-z_$][\w$]*\s*(?:<[^>]*>)?\(.*\)\s*(?::\s*[^={]+)?\{$)/;

/**
 * Functions longer than the bound, by their opening line. The code is formatted with
 * consistent indentation, so a body ends at the first later line at the opener's own
 * indentation that starts with `}`.
 */
export function longFunctions(text: string, max: number): Array<{ line: number; lines: number; head: string }> {
  const lines = text.split("\n");
  const found: Array<{ line: number; lines: number; head: string }> = [];
  lines.forEach((raw, i) => {
    const head = raw.trim();
    if (head.startsWith("//") || head.startsWith("*") || !OPENS.test(head)) return;
    const indent = raw.length - raw.trimStart().length;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim() === "") continue;
      if (l.length - l.trimStart().length === indent && l.trimStart().startsWith("}")) {
        const n = j - i + 1;
        if (n > max) found.push({ line: i + 1, lines: n, head: head.slice(0, 80) });
        return;
      }
    }
  });
  return found;
}

const importsOf = (text: string): string[] => [...text.matchAll(/^(?:import|export)\b[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);

describe("src/", () => {
  it("has no file over 250 lines", () => {
    expect(files.filter((f) => f.text.split("\n").length > MAX_FILE_LINES).map((f) => `${f.path}: ${f.text.split("\n").length}`)).toEqual([]);
  });

  it("has no function over 60 lines", () => {
    expect(files.flatMap((f) => longFunctions(f.text, MAX_FUNCTION_LINES).map((l) => `${f.path}:${l.line} (${l.lines} lines) ${l.head}`))).toEqual([]);
  });

  it("imports only down the layers: routes only from the app, Durable Objects and cloudflare:* only from the entry", () => {
    const wrong: string[] = [];
    for (const f of files) {
      const inRoutes = f.path.startsWith("src/routes/");
      const isApp = f.path === "src/app.ts";
      const isEntry = f.path === "src/index.ts";
      for (const spec of importsOf(f.text)) {
        if (spec.startsWith("cloudflare:") && !isEntry) wrong.push(`${f.path} -> ${spec}`);
        if (spec.includes("durable-objects/") && !isEntry) wrong.push(`${f.path} -> ${spec}`);
        if (/(^|\/)routes\//.test(spec) && !inRoutes && !isApp && !isEntry) wrong.push(`${f.path} -> ${spec}`);
        if (/\/(app|index)\.ts$/.test(spec) && !isEntry) wrong.push(`${f.path} -> ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  // A TypeScript-private method of a Durable Object is still callable over RPC, and the
  // minifier cannot shorten a property name; #private members are neither.
  it("declares class members #private, never TypeScript private (constructors excepted)", () => {
    const all = [...files, ...sources(join(ROOT, "durable-objects")).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, "utf8") }))];
    const found = all.flatMap((f) => f.text.split("\n").flatMap((l, i) => (/^\s+private (?!constructor\b)/.test(l) ? [`${f.path}:${i + 1}`] : [])));
    expect(found).toEqual([]);
  });
});

describe("longFunctions, the function-length check itself", () => {
  const body = (n: number): string => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join("\n");
  it("finds a declaration, a method and an arrow over the bound, and nothing at it", () => {
    const src = [`export function long(a: number): number {`, body(61), `}`, `const ok = (x: string) => {`, body(10), `};`, `class C {`, `  m(): void {`, body(70), `  }`, `}`].join("\n");
    expect(longFunctions(src, 60).map((f) => f.head)).toEqual(["export function long(a: number): number {", "m(): void {"]);
    expect(longFunctions([`function at() {`, body(58), `}`].join("\n"), 60)).toEqual([]);
  });

  it("finds a #private method over the bound too", () => {
    const src = [`class C {`, `  async #m(): Promise<void> {`, body(61), `  }`, `}`].join("\n");
    expect(longFunctions(src, 60).map((f) => f.head)).toEqual(["async #m(): Promise<void> {"]);
  });
});
