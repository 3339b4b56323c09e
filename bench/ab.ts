// npm run bench:ab: is a change cheaper or dearer? Two router bundles, "a" built from the
// working tree and "b" from a git ref, served side by side by ONE workerd (wrangler's
// Miniflare, each with its own KV namespace and its own Durable Objects) and put under the
// same non-stream load in turns: a then b, b then a in the next round, and so on. It prints
// workerd's CPU per request for each and the a/b throughput ratio. Nothing is written.
//
// Why interleave: on this 2-core VM, shared with other work, separate runs of the same code
// swing by +-30 % (CPU per request and throughput alike), so comparing two `bench:quick`
// runs cannot show a 5-15 % change. With both bundles in one process, taking turns every
// few seconds, whatever slows the machine down slows both, and the ratio keeps what the
// change did. Flipping the order every other round keeps either side from always going first.
//
// "b" is the ref's own source and wrangler.toml (bindings, compatibility date and flags),
// extracted with `git archive` into a temp dir that borrows this node_modules, and built the
// same way. Both are seeded alike, by this tree's bench code: the dev catalog pointed at the
// simulated origin, the demo project and key, limits far above the load.
//
//   AB_BASE            the git ref for "b" (HEAD)
//   AB_FLAGS_A         comma-separated compatibility flags for "a" only, on top of wrangler.toml's
//   BENCH_SECONDS      length of each load phase (4)
//   BENCH_ROUNDS       rounds, one phase of each side per round (6; keep it even, so each side goes first as often)
//   BENCH_CONNECTIONS  concurrent connections (16)
//   AB_BUDGET_A        a monthly budget for a's demo project only (b's gets BENCH_BUDGET, by default
//                      none): with AB_BASE=HEAD and a clean tree, what a budget costs the same code
//   BENCH_LOGS         errors: print workerd's error and warning lines; all: every line
//   AB_MODE            stream: each phase is streams of one token per chunk instead, and the
//                      figure is CPU per token (AB_USAGE=0 leaves out stream_options.include_usage;
//                      AB_STREAMS concurrent streams (20) of AB_TOKENS tokens (200) AB_ITL_MS apart (1)); a third
//                      side, "p", the bare pass-through Worker in the same workerd, takes its turns too,
//                      so each router prints its ratio to the pass-through (issue 16's yardstick)
//   AB_PROMPT_KB       non-stream phases send a prompt of this many KB (0: the bench's short one)
//   AB_MODE            ttft: each phase is AB_TTFT_STREAMS (300) short streams 8 at a time (the bench's
//                      TTFT row); p50/p99 are time to first token and "CPU ms/req" is CPU per stream
//   AB_MODE            cold: each phase waits out the router's key trust and lease, then sends 8 short
//                      streams at once (the bench's "TTFT after idle" rows); p50 is their median, p99 the slowest

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorker } from "../scripts/build-worker.ts";
import { ROOT } from "../scripts/wrangler.ts";
import { coldTimeToFirstToken, nonStream, percentile, promptOf, streamLoad, timeToFirstToken, type NonStreamFigures } from "./load.ts";
import { KEY_TRUST_MS } from "../src/auth/authenticate.ts";
import { LEASE_MS } from "../src/quota/lease.ts";
import { cpuSeconds } from "./proc.ts";
import { PASS_THROUGH, routerWorker, seedRouter, startSim, startWorkerd, type MiniflareInstance } from "./targets.ts";

const BASE = process.env.AB_BASE ?? "HEAD";
const FLAGS_A = (process.env.AB_FLAGS_A ?? "").split(",").map((f) => f.trim()).filter((f) => f !== "");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const WARM_UP_SECONDS = 2;
const STREAM_MODE = process.env.AB_MODE === "stream";
const STREAM_EXTRA = process.env.AB_USAGE === "0" ? {} : { stream_options: { include_usage: true } };
const AB_STREAMS = Number(process.env.AB_STREAMS ?? 20);
const AB_ITL_MS = Number(process.env.AB_ITL_MS ?? 1);
const AB_TOKENS = Number(process.env.AB_TOKENS ?? 200);
/** AB_PROMPT_KB: non-stream phases send a prompt of this many KB (as the bench's cost-growth rows), for per-KB costs. */
const PROMPT_KB = Number(process.env.AB_PROMPT_KB ?? 0);
const TTFT_STREAMS = Number(process.env.AB_TTFT_STREAMS ?? 300);
const PROMPT_EXTRA = promptOf(PROMPT_KB * 1024);

/**
 * One phase: non-stream load, or (AB_MODE=stream) AB_STREAMS concurrent streams of AB_TOKENS tokens
 * AB_ITL_MS apart for about SECONDS; "requests" are then tokens, so CPU per request reads per token.
 */
async function phase(url: string): Promise<NonStreamFigures> {
  if (process.env.AB_MODE === "cold") {
    const t = await coldTimeToFirstToken(url, 8, Math.max(KEY_TRUST_MS, LEASE_MS) + 1_000);
    return { requests: t.length, errors: 0, rps: Number.NaN, p50_ms: percentile(t, 50), p99_ms: t[t.length - 1]! };
  }
  if (process.env.AB_MODE === "ttft") {
    const t0 = performance.now();
    const t = await timeToFirstToken(url, TTFT_STREAMS, 8);
    return { requests: TTFT_STREAMS, errors: 0, rps: (TTFT_STREAMS * 1000) / (performance.now() - t0), ...t };
  }
  if (!STREAM_MODE) return nonStream(url, SECONDS, CONNECTIONS, { tokens: 16 }, PROMPT_EXTRA);
  const t0 = performance.now();
  let tokens = 0;
  while (performance.now() - t0 < SECONDS * 1000) tokens += await streamLoad(url, { count: AB_STREAMS, concurrency: AB_STREAMS, tokens: AB_TOKENS, itlMs: AB_ITL_MS, extra: STREAM_EXTRA });
  const s = (performance.now() - t0) / 1000;
  return { requests: tokens, errors: 0, rps: tokens / s, p50_ms: Number.NaN, p99_ms: Number.NaN };
}
for (const [name, n] of Object.entries({ BENCH_SECONDS: SECONDS, BENCH_ROUNDS: ROUNDS, BENCH_CONNECTIONS: CONNECTIONS })) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number above 0`);
}
const say = (s: string): void => void process.stderr.write(`bench:ab: ${s}\n`);

const git = (...args: string[]): string => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();

/** The commit AB_BASE names; fails before anything is built if it names none. */
function resolveBase(ref: string): string {
  try {
    return git("rev-parse", "--verify", "--quiet", `${ref}^{commit}`);
  } catch {
    throw new Error(`AB_BASE=${ref} is not a commit in this repository`);
  }
}

const routers = ["a", "b"] as const;
type Side = "a" | "b" | "p";
/** In stream mode the pass-through takes turns as well: the target is a ratio to it. */
const sides: readonly Side[] = STREAM_MODE ? [...routers, "p"] : routers;
const emptyTallies = (): Record<Side, Tally> => ({ a: { cpuSeconds: 0, requests: 0, rps: 0, errors: 0 }, b: { cpuSeconds: 0, requests: 0, rps: 0, errors: 0 }, p: { cpuSeconds: 0, requests: 0, rps: 0, errors: 0 } });
/** Round r's order: a, b (, p) rotated by r - 1, so every side goes first as often over the rounds. */
const orderOf = (round: number): readonly Side[] => sides.map((_, i) => sides[(i + round - 1) % sides.length]!);
interface Tally {
  cpuSeconds: number;
  requests: number;
  /** Successful requests per second, summed over the rounds (every phase is as long). */
  rps: number;
  errors: number;
}

const commit = resolveBase(BASE);
const dir = mkdtempSync(join(tmpdir(), "router-ab-"));
let sim: Awaited<ReturnType<typeof startSim>> | undefined;
let mf: MiniflareInstance | undefined;
try {
  say(`bundling a (working tree) and b (${BASE}, ${commit.slice(0, 7)}) as npm run deploy does`);
  const srcB = join(dir, "src-b");
  mkdirSync(srcB);
  git("archive", "--output", join(dir, "b.tar"), commit);
  execFileSync("tar", ["-xf", join(dir, "b.tar"), "-C", srcB]);
  // Packages come from this tree: a and b differ only in their source and wrangler.toml.
  symlinkSync(join(ROOT, "node_modules"), join(srcB, "node_modules"));
  // wrangler.toml serves the built console as assets; a git tree has no build, so b borrows this one's
  // (built first in a fresh checkout, as bench/bundle.ts does).
  if (!existsSync(join(ROOT, "console/dist"))) execFileSync(process.execPath, [join(ROOT, "scripts/console-build.ts")], { cwd: ROOT, stdio: "inherit" });
  if (existsSync(join(ROOT, "console/dist")) && existsSync(join(srcB, "console")) && !existsSync(join(srcB, "console/dist"))) {
    symlinkSync(join(ROOT, "console/dist"), join(srcB, "console/dist"));
  }
  // Each as `npm run deploy` builds it: b with its own wrangler.toml, so its own settings.
  const files = { a: await buildWorker(join(dir, "a")), b: await buildWorker(join(dir, "b"), join(srcB, "wrangler.toml")) };

  sim = await startSim();
  const routerA = routerWorker(files.a, { name: "a", kvNamespaceId: "kv-a", extraFlags: FLAGS_A });
  const passThrough = { name: "p", modules: true, script: PASS_THROUGH, compatibilityDate: routerA.compatibilityDate, compatibilityFlags: routerA.compatibilityFlags, bindings: { ORIGIN: sim.url }, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] };
  const started = await startWorkerd([
    routerA,
    routerWorker(files.b, { name: "b", kvNamespaceId: "kv-b", config: join(srcB, "wrangler.toml") }),
    ...(STREAM_MODE ? [passThrough] : []),
  ]);
  mf = started.mf;
  const budgetA = process.env.AB_BUDGET_A === undefined ? undefined : Number(process.env.AB_BUDGET_A);
  const urls: Record<Side, string> = {
    a: await seedRouter(mf, "a", sim.url, budgetA),
    b: await seedRouter(mf, "b", sim.url),
    p: STREAM_MODE ? (await mf.unsafeGetDirectURL("p")).href.replace(/\/$/, "") : "",
  };

  console.log(`a: working tree${FLAGS_A.length > 0 ? ` with compatibility flags ${FLAGS_A.join(", ")}` : ""}${budgetA === undefined ? "" : `, demo project budget ${budgetA}`}`);
  console.log(`b: ${BASE} (${commit.slice(0, 12)})`);
  if (STREAM_MODE) console.log("p: the bare pass-through Worker (fetch and return)");
  console.log(`${ROUNDS} rounds of ${SECONDS} s per side, ${CONNECTIONS} connections, order rotated every round`);
  say(`warming up, ${WARM_UP_SECONDS} s each`);
  for (const side of routers) await nonStream(urls[side], WARM_UP_SECONDS, CONNECTIONS);
  if (STREAM_MODE) for (const side of sides) await phase(urls[side]);
  if (STREAM_MODE) console.log(`stream mode: "req" below is a token, "CPU ms/req" is CPU ms per token${"stream_options" in STREAM_EXTRA ? ", include_usage true" : ""}`);

  const total = emptyTallies();
  const perRound: Array<{ cpuDiff: number; ratio: number }> = [];
  const latency: Record<Side, { p50: number[]; p99: number[] }> = { a: { p50: [], p99: [] }, b: { p50: [], p99: [] }, p: { p50: [], p99: [] } };
  const cpuMs = (t: Tally): number => (t.cpuSeconds * 1000) / t.requests;
  for (let round = 1; round <= ROUNDS; round++) {
    const now = emptyTallies();
    for (const side of orderOf(round)) {
      const before = cpuSeconds(started.workerdPid);
      const fig = await phase(urls[side]);
      now[side] = { cpuSeconds: cpuSeconds(started.workerdPid) - before, requests: fig.requests, rps: fig.rps, errors: fig.errors };
      for (const key of ["cpuSeconds", "requests", "rps", "errors"] as const) total[side][key] += now[side][key];
      latency[side].p50.push(fig.p50_ms);
      latency[side].p99.push(fig.p99_ms);
      console.log(`round ${round} ${side} ${fig.rps.toFixed(0).padStart(6)} req/s  p50 ${fig.p50_ms.toFixed(2)} ms  p99 ${fig.p99_ms.toFixed(2)} ms  CPU ${cpuMs(now[side]).toFixed(3)} ms/req  errors ${fig.errors}`);
    }
    const cpuDiff = cpuMs(now.a) - cpuMs(now.b);
    const ratio = now.a.rps / now.b.rps;
    perRound.push({ cpuDiff, ratio });
    const toPass = STREAM_MODE ? `, a/p CPU ${(cpuMs(now.a) / cpuMs(now.p)).toFixed(2)}, b/p CPU ${(cpuMs(now.b) / cpuMs(now.p)).toFixed(2)}` : "";
    console.log(`round ${round} a - b CPU ${signed(cpuDiff)} ms/req, a/b throughput ${ratio.toFixed(3)}${toPass}`);
  }

  const a = cpuMs(total.a);
  const b = cpuMs(total.b);
  const range = (xs: number[], fmt: (x: number) => string): string => `${fmt(Math.min(...xs))} to ${fmt(Math.max(...xs))}`;
  console.log("");
  console.log(`CPU ms/request: a ${a.toFixed(3)}, b ${b.toFixed(3)}; a - b ${signed(a - b)} ms (${signed((100 * (a - b)) / b, 1)} %), rounds ${range(perRound.map((r) => r.cpuDiff), (x) => signed(x))}`);
  console.log(`throughput a/b: ${(total.a.rps / total.b.rps).toFixed(3)}, rounds ${range(perRound.map((r) => r.ratio), (x) => x.toFixed(3))}`);
  if (STREAM_MODE) {
    const p = cpuMs(total.p);
    console.log(`CPU per token against the pass-through p (${p.toFixed(3)} ms): a/p ${(a / p).toFixed(2)}, b/p ${(b / p).toFixed(2)}; throughput a/p ${(total.a.rps / total.p.rps).toFixed(3)}, b/p ${(total.b.rps / total.p.rps).toFixed(3)}`);
  }
  // Medians over the rounds: one noisy round moves a mean of percentiles too far.
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;
  console.log(`latency, median of the rounds: a p50 ${median(latency.a.p50).toFixed(2)} / p99 ${median(latency.a.p99).toFixed(2)} ms, b p50 ${median(latency.b.p50).toFixed(2)} / p99 ${median(latency.b.p99).toFixed(2)} ms`);
  console.log(`errors: a ${total.a.errors}, b ${total.b.errors}`);
  if (total.a.errors + total.b.errors > 0) {
    console.log(`warning: errors under load (a ${total.a.errors}, b ${total.b.errors}), so the figures compare failures too; BENCH_LOGS=errors shows workerd's error lines`);
  }
} finally {
  try {
    await mf?.dispose();
  } finally {
    sim?.child.kill("SIGTERM");
    // Removes the link to node_modules in the extracted tree, never what it points to.
    rmSync(dir, { recursive: true, force: true });
  }
}

function signed(x: number, digits = 3): string {
  return `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;
}
