// The Worker as `npm run deploy` uploads it (scripts/build-worker.ts: wrangler's bundle, then
// terser): its size raw, minified and gzipped, and how long V8 takes to evaluate it (parse,
// compile, run top-level code) at start.
//   BENCH_UNMINIFIED=1  run wrangler's bundle unminified instead (the size figures still come
//                       from the deployed build): profiles then name the functions (bench:profile, bench:tail)

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { buildWorker } from "../scripts/build-worker.ts";
import { runWrangler } from "../scripts/wrangler.ts";

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
  // First: it builds the console too if a fresh checkout has none (wrangler.toml serves it).
  const deployed = await buildWorker(min);
  const unminified = process.env.BENCH_UNMINIFIED === "1";
  if (unminified) await runWrangler(["deploy", "--dry-run", "--no-minify", "--outdir", plain]);
  const served = unminified ? join(plain, "index.js") : deployed;
  const rawCode = readFileSync(served);
  const minCode = readFileSync(deployed);
  return {
    file: served,
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
