// The Worker as `npm run deploy` uploads it: wrangler's own bundle (esbuild, minified as
// wrangler.toml says), then one terser pass over it. esbuild's minifier is built for speed;
// terser's compression and frequency-ordered names take 1.8 KB more off the gzipped bundle
// (3.6 %, docs/benchmarks.md "Bundle size"), which every cold start parses. The source map
// is carried through both steps, so stack traces still name the TypeScript lines.
//
//   node scripts/build-worker.ts [outDir]    writes outDir/index.js and its map (dist/worker)

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { minify } from "terser";
import { ROOT, runWrangler } from "./wrangler.ts";

/** Builds the project whose wrangler.toml is `config` (this one) into `outDir`; returns the script's path. */
export async function buildWorker(outDir: string, config?: string): Promise<string> {
  // wrangler.toml serves the built console as assets: a fresh checkout has to build it first.
  if (!existsSync(join(ROOT, "console/dist"))) execFileSync(process.execPath, [join(ROOT, "scripts/console-build.ts")], { cwd: ROOT, stdio: "inherit" });
  const staged = join(outDir, "wrangler");
  await runWrangler(["deploy", "--dry-run", "--outdir", staged, ...(config === undefined ? [] : ["--config", config])]);
  const code = readFileSync(join(staged, "index.js"), "utf8");
  const map = readFileSync(join(staged, "index.js.map"), "utf8");
  const out = await minify(code, {
    module: true,
    ecma: 2022,
    compress: true,
    mangle: true,
    sourceMap: { content: map, filename: "index.js", url: "index.js.map", includeSources: true },
  });
  if (out.code === undefined || typeof out.map !== "string") throw new Error("terser produced no code or no source map");
  // terser writes the sources as absolute paths (wrangler's map had a sourceRoot): make them
  // relative to the map again, as wrangler's own are, so no machine's paths are uploaded.
  const composed = JSON.parse(out.map) as { sources: string[] };
  composed.sources = composed.sources.map((s) => relative(outDir, s));
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, "index.js");
  writeFileSync(file, out.code);
  writeFileSync(join(outDir, "index.js.map"), JSON.stringify(composed));
  return file;
}

if (import.meta.main) {
  const file = await buildWorker(resolve(ROOT, process.argv[2] ?? "dist/worker"));
  console.log(`build-worker: ${file}`);
}
