// `npm run catalog:push` as an operator runs it: a bad catalog is refused with every
// problem named, a good one lands in the local KV namespace.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url).href);
const run = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, "scripts/catalog-push.ts"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
const devCatalog = () => JSON.parse(readFileSync(join(ROOT, "catalog/dev-catalog.json"), "utf8")) as { models: Array<Record<string, unknown>> };

describe("npm run catalog:push", () => {
  it("refuses an invalid catalog, naming each bad field, and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "eir-cat-"));
    const file = join(dir, "bad.json");
    const catalog = JSON.parse(readFileSync(join(ROOT, "catalog/dev-catalog.json"), "utf8")) as { models: Array<Record<string, unknown>> };
    catalog.models[0]!.plan = "Gold";
    catalog.models[1]!.source_url = "not a url";
    writeFileSync(file, JSON.stringify(catalog));
    const r = run(file, "--persist-to", join(dir, "state"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("models[0].plan: must be one of Base, Plus, Premium");
    expect(r.stderr).toContain("models[1].source_url: must be an http(s) URL");
  });

  it("lists field errors and cross-model errors in one round", () => {
    const dir = mkdtempSync(join(tmpdir(), "eir-cat-"));
    const file = join(dir, "bad.json");
    const catalog = devCatalog();
    catalog.models[0]!.plan = "Gold";
    catalog.models[1]!.id = catalog.models[0]!.id;
    catalog.models[2]!.lifecycle = { deprecated: "2026-01-01", sunset: "2026-01-10", successor: "no-such-model" };
    writeFileSync(file, JSON.stringify(catalog));
    const r = run(file, "--persist-to", join(dir, "state"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("models[0].plan: must be one of Base, Plus, Premium");
    expect(r.stderr).toContain("models[1].id: duplicates model id");
    expect(r.stderr).toContain('models[2].lifecycle.successor: names unknown model "no-such-model"');
    expect(r.stderr).toContain("models[2].lifecycle.sunset: must be at least 91 days after deprecated");
  });

  it("ends an offline --remote push with one clear line and exit 1, leaving no temporary files", () => {
    const home = mkdtempSync(join(tmpdir(), "eir-cat-home-"));
    const tmp = mkdtempSync(join(tmpdir(), "eir-cat-tmp-"));
    // No credentials and no stored login: wrangler must give up without reaching the network.
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: home, TMPDIR: tmp, WRANGLER_SEND_METRICS: "false", CI: "1" };
    const r = spawnSync(process.execPath, [join(ROOT, "scripts/catalog-push.ts"), join(ROOT, "catalog/dev-catalog.json"), "--remote"], { cwd: ROOT, encoding: "utf8", env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("could not be written to the deployed KV namespace: ");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(tmp).filter((f) => f.startsWith("eir-kv-"))).toEqual([]);
  });

  it("refuses a file that is not JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "eir-cat-"));
    writeFileSync(join(dir, "x.json"), "{");
    const r = run(join(dir, "x.json"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("cannot read");
  });

  // Two wrangler runs back to back: on a loaded 2-core machine they can take most of a minute.
  it("writes a valid catalog to the local namespace", { timeout: 120_000 }, () => {
    const state = join(mkdtempSync(join(tmpdir(), "eir-cat-")), "state");
    const r = run(join(ROOT, "catalog/dev-catalog.json"), "--persist-to", state);
    expect(r.stderr + r.stdout).toContain("is valid and was written to the local KV namespace");
    expect(r.status).toBe(0);
    const get = spawnSync(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "kv", "key", "get", "catalog", "--binding", "KV", "--local", "--persist-to", state], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    expect(JSON.parse(get.stdout) as unknown).toEqual(JSON.parse(readFileSync(join(ROOT, "catalog/dev-catalog.json"), "utf8")));
  });
});
