// npm run catalog:push -- <file> [--remote] [--persist-to <dir>]
// Validates a catalog and writes it to the KV namespace (local by default).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateCatalog } from "../src/catalog/validate.ts";
import { CATALOG_KEY } from "../src/storage/kv-keys.ts";
import { runWrangler } from "./wrangler.ts";

/** Reads and validates a catalog file; exits with every problem listed. */
export function loadCatalogFile(file: string): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    console.error(`catalog: cannot read ${file} as JSON: ${(err as Error).message}`);
    process.exit(1);
  }
  const result = validateCatalog(raw);
  if (!result.ok) {
    console.error(`catalog: ${file} is not valid:\n  ${result.errors.join("\n  ")}`);
    process.exit(1);
  }
  return result.catalog;
}

/** Writes KV entries in one wrangler call; the temporary file goes away either way. */
export async function putKv(entries: { key: string; value: string }[], target: { remote: boolean; persistTo?: string }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "eir-kv-"));
  const file = join(dir, "bulk.json");
  writeFileSync(file, JSON.stringify(entries));
  const args = ["kv", "bulk", "put", file, "--binding", "KV", target.remote ? "--remote" : "--local"];
  if (!target.remote && target.persistTo) args.push("--persist-to", target.persistTo);
  try {
    await runWrangler(args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** wrangler's own reason, one line: its `[ERROR]` line without colours, else its last words. */
export function wranglerReason(output: string): string {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => l.includes("[ERROR]"));
  return (error ?? lines.at(-1) ?? "no output").replace(/^.*\[ERROR\]\s*/, "");
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--persist-to");
  if (!file) {
    console.error("usage: npm run catalog:push -- <catalog.json> [--remote] [--persist-to <dir>]");
    process.exit(2);
  }
  const remote = args.includes("--remote");
  const pi = args.indexOf("--persist-to");
  const persistTo = pi >= 0 ? args[pi + 1] : undefined;
  const catalog = loadCatalogFile(file);
  const where = remote ? "deployed" : "local";
  try {
    await putKv([{ key: CATALOG_KEY, value: JSON.stringify(catalog) }], { remote, persistTo });
  } catch (err) {
    // An offline or logged-out --remote is an operator's everyday mistake, not a crash.
    console.error(`catalog: ${file} is valid but could not be written to the ${where} KV namespace: ${wranglerReason((err as Error).message)}`);
    process.exit(1);
  }
  console.log(`catalog: ${file} is valid and was written to the ${where} KV namespace.`);
}
