// Builds the browser console (console/) into static assets (console/dist/) that the Worker
// serves at `/`; prints the gzipped size and fails above the budget. Run by npm start,
// npm test and npm run deploy; `--watch` rebuilds on every change while `npm start` runs.

import { build, context, stop, type BuildOptions } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { openApiDocument } from "../src/openapi/document.ts";
import { OPENAPI_ASSET } from "../src/routes/openapi.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url).href);
export const CONSOLE_SRC = join(ROOT, "console");
export const CONSOLE_DIST = join(ROOT, "console/dist");
/** The budget for everything a browser downloads, gzipped. */
export const BUDGET_BYTES = 150 * 1024;
/**
 * The API's OpenAPI document, served by the Worker at /v1/openapi.json from the assets (so
 * its schemas stay out of the Worker's bundle); not part of what the console downloads.
 */
export const OPENAPI_FILE = OPENAPI_ASSET.slice(1);
/** Copied as they are: the page shell and the headers (CSP) the static assets are served with. */
const STATIC_FILES = ["index.html", "_headers", "favicon.svg"];

const options: BuildOptions = {
  entryPoints: { app: join(CONSOLE_SRC, "src/main.tsx") },
  outdir: CONSOLE_DIST,
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
  loader: { ".css": "css" },
};

/** Every file the browser may fetch, with its gzipped size. */
export function measure(dir = CONSOLE_DIST): { files: Array<{ name: string; gzip: number }>; total: number } {
  const files = readdirSync(dir)
    .filter((name) => name !== "_headers" && name !== OPENAPI_FILE && statSync(join(dir, name)).isFile())
    .map((name) => ({ name, gzip: gzipSync(readFileSync(join(dir, name)), { level: 9 }).length }));
  return { files, total: files.reduce((s, f) => s + f.gzip, 0) };
}

function copyStatic(to = CONSOLE_DIST): void {
  for (const f of STATIC_FILES) copyFileSync(join(CONSOLE_SRC, f), join(to, f));
  writeFileSync(join(to, OPENAPI_FILE), JSON.stringify(openApiDocument));
}

/**
 * Builds beside the output and moves each file in with one rename, so a router already
 * serving console/dist (the e2e and browser tests each start one) never sees a half-written file.
 */
export async function buildConsole({ quiet = false } = {}): Promise<number> {
  const tmp = `${CONSOLE_DIST}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  mkdirSync(CONSOLE_DIST, { recursive: true });
  try {
    await build({ ...options, outdir: tmp });
  } finally {
    // esbuild's service process would otherwise outlive the build and complain when npm start exits.
    if (!watching) await stop();
  }
  copyStatic(tmp);
  const built = readdirSync(tmp);
  for (const f of built) renameSync(join(tmp, f), join(CONSOLE_DIST, f));
  for (const f of readdirSync(CONSOLE_DIST)) if (!built.includes(f)) rmSync(join(CONSOLE_DIST, f), { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
  const { files, total } = measure();
  if (!quiet) {
    const parts = files.map((f) => `${f.name} ${(f.gzip / 1024).toFixed(1)}`).join(", ");
    console.log(`console: ${(total / 1024).toFixed(1)} KiB gzipped of ${BUDGET_BYTES / 1024} KiB (${parts})`);
  }
  if (total > BUDGET_BYTES) throw new Error(`console: ${total} bytes gzipped is over the ${BUDGET_BYTES}-byte budget`);
  return total;
}

const watching = import.meta.url === `file://${process.argv[1]}` && process.argv.includes("--watch");

if (import.meta.url === `file://${process.argv[1]}`) {
  if (watching) {
    await buildConsole();
    const ctx = await context({ ...options, plugins: [{ name: "static", setup: (b) => b.onEnd(() => copyStatic()) }] });
    await ctx.watch();
    console.log("console: watching console/ for changes");
  } else {
    await buildConsole().catch((err: unknown) => {
      console.error((err as Error).message);
      process.exit(1);
    });
  }
}
