// The Worker as `wrangler deploy` would upload it: its size raw, minified and gzipped, and
// how long V8 takes to evaluate it (parse, compile, run top-level code) at start.
//   BENCH_UNMINIFIED=1  run the bundle unminified (the size figures still come from the
//                       minified build): profiles then name the functions (bench:profile, bench:tail)

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { ROOT, runWrangler } from "../scripts/wrangler.ts";

export interface BundleFigures {
  raw_bytes: number;
  raw_gzip_bytes: number;
  minified_bytes: number;
  minified_gzip_bytes: number;
  /** Median over fresh evaluations of the minified bundle, in milliseconds. */
  startup_eval_ms: number;
}

export async function buildBundles(dir: string): Promise<{ file: string; figures: () => Promise<BundleFigures> }> {
  const plain = join(dir, "plain");
  const min = join(dir, "min");
  // wrangler.toml serves the built console as assets: a fresh checkout has to build it first.
  if (!existsSync(join(ROOT, "console/dist"))) execFileSync(process.execPath, [join(ROOT, "scripts/console-build.ts")], { cwd: ROOT, stdio: "inherit" });
  await runWrangler(["deploy", "--dry-run", ...(process.env.BENCH_UNMINIFIED === "1" ? ["--no-minify"] : []), "--outdir", plain]);
  await runWrangler(["deploy", "--dry-run", "--minify", "--outdir", min]);
  const rawCode = readFileSync(join(plain, "index.js"));
  const minCode = readFileSync(join(min, "index.js"));
  return {
    file: join(plain, "index.js"),
    figures: async () => ({
      raw_bytes: rawCode.length,
      raw_gzip_bytes: gzipSync(rawCode, { level: 9 }).length,
      minified_bytes: minCode.length,
      minified_gzip_bytes: gzipSync(minCode, { level: 9 }).length,
      startup_eval_ms: await startupEvalMs(minCode.toString(), join(dir, "eval")),
    }),
  };
}

/**
 * workerd has no hook to time module evaluation alone, so the same V8 does it here:
 * `cloudflare:workers` is swapped for a stub, and each import gets a fresh URL so that
 * nothing is cached between runs. Workers' own start-up adds isolate creation on top.
 */
async function startupEvalMs(code: string, dir: string, runs = 25): Promise<number> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cloudflare-workers-stub.mjs"), "export class DurableObject {}\nexport class WorkerEntrypoint {}\nexport const env = {};\n");
  writeFileSync(join(dir, "worker.mjs"), code.replaceAll(/(["'])cloudflare:workers\1/g, '"./cloudflare-workers-stub.mjs"'));
  const url = pathToFileURL(join(dir, "worker.mjs")).href;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await import(`${url}?run=${i}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
