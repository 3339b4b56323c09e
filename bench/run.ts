// npm run bench: the router's cost measured side by side with the origin alone, a bare
// pass-through Worker and the router floor (a Worker doing only the steps any metering
// router must: see targets.ts), in one run so that a noisy machine weighs on all alike.
//   BENCH_SECONDS      length of each non-stream phase (5)
//   BENCH_ROUNDS       non-stream rounds, targets interleaved in each (2)
//   BENCH_CONNECTIONS  concurrent connections for non-stream load (16)
//   BENCH_STREAMS      long streams held open for the memory figure (200)
//   BENCH_INSPECTOR_PORT  workerd's inspector, to force a GC and read each isolate's heap (a free port)
//   BENCH_PEER         0: leave out the Portkey peer (peer.ts installs and starts it)
//   BENCH_STREAM_USAGE 0: streams without stream_options.include_usage (the relay then strips usage in JS)
//   BENCH_PEER_WARM_SECONDS  longest warm-up of the peer, until its CPU per request is flat (30)

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/wrangler.ts";
import { buildBundles } from "./bundle.ts";
import { coldTimeToFirstToken, holdStreams, nonStream, percentile, relayedTokensPerSecond, timeToFirstToken, type NonStreamFigures } from "./load.ts";
import { Inspector } from "./inspector.ts";
import { cpuSeconds, rssBytes } from "./proc.ts";
import { ratios, render, type Figures, type FloorFigures, type MemorySamples, type TargetFigures } from "./report.ts";
import { startTargets } from "./targets.ts";
import { startPeer } from "./peer.ts";
import { growth, type Growth } from "./growth.ts";
import { peerLines } from "./peer-report.ts";
import { freePort } from "../test/support/free-port.ts";
import type { Target } from "./load.ts";
import { KEY_TRUST_MS } from "../src/auth/authenticate.ts";
import { LEASE_MS } from "../src/quota/lease.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 200);
const INSPECTOR_PORT = process.env.BENCH_INSPECTOR_PORT === undefined ? await freePort() : Number(process.env.BENCH_INSPECTOR_PORT);
const PEER_WARM_SECONDS = Number(process.env.BENCH_PEER_WARM_SECONDS ?? 30);
/** Latency with no queue: one connection, one request at a time, per target and round. */
const UNLOADED_SECONDS = 3;
/** The cold row's idle: past the router's key trust and its limiter lease, so both are asked again. */
const COLD_IDLE_MS = Math.max(KEY_TRUST_MS, LEASE_MS) + 1_000;
const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);
const MB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), "router-bench-"));
say("bundling with wrangler deploy --dry-run");
const bundle = await buildBundles(dir);
const targets = await startTargets(bundle.file, { inspectorPort: INSPECTOR_PORT });
const peer = process.env.BENCH_PEER === "0" ? null : await startPeer(targets.direct, say);
/** Every target in the non-stream phases; the stream phases leave out the floor, which has its own (below). */
const nonStreamNames = ["direct", "pass_through", "floor", "router", ...(peer ? (["portkey"] as const) : [])] as const;
const names = ["direct", "pass_through", "router", ...(peer ? (["portkey"] as const) : [])] as const;
const urls: Record<(typeof nonStreamNames)[number], Target> = {
  direct: targets.direct,
  pass_through: targets.passThrough,
  floor: targets.floor,
  router: targets.router,
  portkey: peer ? { url: peer.url, headers: peer.headers, simControl: targets.direct } : "",
};
/** The process whose CPU a target's figures count: the peer's own, or workerd. */
const pidOf = (name: string): number => (name === "portkey" && peer ? peer.pid : targets.workerdPid);
const originRequests = async (): Promise<number> => ((await (await fetch(`${targets.direct}/_sim/stats`)).json()) as { requests: number }).requests;
const workers = { pass_through: "pass-through", floor: "floor", router: "router" } as const;

/** RSS of workerd as it is, then after a forced full GC of the Worker's isolate, with that isolate's heap. */
async function memory(inspector: Inspector, url: string): Promise<{ rss: number; rssAfterGc: number; heapAfterGc: number }> {
  const rss = rssBytes(targets.workerdPid) / MB;
  const heap = await inspector.heapAfterGc(() => fetch(`${url}/v1/models`).then((r) => r.arrayBuffer()));
  return { rss, rssAfterGc: rssBytes(targets.workerdPid) / MB, heapAfterGc: heap.usedSize / MB };
}

try {
  say("warming up");
  for (const name of nonStreamNames) await nonStream(urls[name], 1, CONNECTIONS);
  if (peer) {
    // Node's JIT takes a while: warm the peer until its CPU per request is flat, and check
    // that what it answers really came from the origin.
    let last = Number.NaN;
    for (let spent = 0; spent < PEER_WARM_SECONDS; spent += 5) {
      const before = cpuSeconds(peer.pid);
      const seen = await originRequests();
      const fig = await nonStream(urls.portkey, 5, CONNECTIONS);
      const reached = (await originRequests()) - seen;
      const ms = ((cpuSeconds(peer.pid) - before) * 1000) / Math.max(1, fig.requests);
      say(`warming the peer: ${ms.toFixed(3)} ms CPU/request, ${fig.requests} requests, ${reached} reached the origin`);
      if (reached < fig.requests) throw new Error(`the peer answered ${fig.requests} requests but only ${reached} reached the origin`);
      if (Math.abs(ms - last) / last < 0.1) break;
      last = ms;
    }
  }

  type NonStreamName = (typeof nonStreamNames)[number];
  const runs = Object.fromEntries(nonStreamNames.map((n) => [n, []])) as unknown as Record<NonStreamName, NonStreamFigures[]>;
  const unloaded = Object.fromEntries(nonStreamNames.map((n) => [n, []])) as unknown as Record<NonStreamName, NonStreamFigures[]>;
  const cpu = Object.fromEntries(nonStreamNames.map((n) => [n, { seconds: 0, requests: 0 }])) as unknown as Record<NonStreamName, { seconds: number; requests: number }>;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of nonStreamNames) {
      say(`non-stream, round ${round}/${ROUNDS}: ${name}`);
      const before = cpuSeconds(pidOf(name));
      const fig = await nonStream(urls[name], SECONDS, CONNECTIONS);
      cpu[name].seconds += cpuSeconds(pidOf(name)) - before;
      cpu[name].requests += fig.requests;
      runs[name].push(fig);
    }
    for (const name of nonStreamNames) {
      say(`one connection, round ${round}/${ROUNDS}: ${name}`);
      unloaded[name].push(await nonStream(urls[name], UNLOADED_SECONDS, 1));
    }
  }

  // What each Worker's isolate allocates per request: the same from run to run, where CPU
  // is not on this machine, and what the collector's pauses (the one-connection tail) follow.
  const allocated: Partial<Record<keyof typeof workers, number>> = {};
  for (const name of ["pass_through", "floor", "router"] as const) {
    say(`allocation per request: ${name}`);
    const inspector = await Inspector.forWorker(INSPECTOR_PORT, workers[name]);
    allocated[name] = (await inspector.allocatedPerRequest(async () => (await nonStream(urls[name], 2, 1)).requests)) / 1024;
    inspector.close();
  }

  /** The non-stream figures of one target: means over the rounds, and its CPU per request. */
  const nonStreamFigures = (name: NonStreamName): FloorFigures => {
    const rs = runs[name];
    const us = unloaded[name];
    const mean = (fs: NonStreamFigures[], pick: (f: NonStreamFigures) => number): number => fs.reduce((s, f) => s + pick(f), 0) / fs.length;
    return {
      rps: mean(rs, (f) => f.rps),
      p50_ms: mean(rs, (f) => f.p50_ms),
      p99_ms: mean(rs, (f) => f.p99_ms),
      unloaded_p50_ms: mean(us, (f) => f.p50_ms),
      unloaded_p99_ms: mean(us, (f) => f.p99_ms),
      errors: rs.reduce((s, f) => s + f.errors, 0) + us.reduce((s, f) => s + f.errors, 0),
      // The direct runs never touch workerd: its CPU then is only the idle floor.
      cpu_ms_per_request: name === "direct" ? null : (cpu[name].seconds * 1000) / cpu[name].requests,
    };
  };

  const figures = {} as Figures;
  for (const name of names) {
    say(`streams: ${name}`);
    const ttft = await timeToFirstToken(urls[name], 300, 8);
    const tokens = await relayedTokensPerSecond(urls[name], 4, 50_000);
    let mem: Pick<TargetFigures, "rss_mb" | "rss_after_gc_mb" | "heap_after_gc_mb" | "slow_stream_cpu_us_per_token"> = {
      rss_mb: null,
      rss_after_gc_mb: null,
      heap_after_gc_mb: null,
      slow_stream_cpu_us_per_token: null,
    };
    if (name === "portkey" && peer) {
      // No inspector into Node here: the peer's RSS and CPU only.
      say(`holding ${STREAMS} long streams: ${name}`);
      const idle = rssBytes(peer.pid) / MB;
      const { samples, events } = await holdStreams(urls[name], STREAMS, 20, [1500, 7500, 15000], () => ({ cpu: cpuSeconds(peer.pid), rss: rssBytes(peer.pid) / MB }));
      const [short, long, longer] = samples as [(typeof samples)[0], (typeof samples)[0], (typeof samples)[0]];
      mem = {
        rss_mb: { idle, short_streams: short.rss, long_streams: long.rss, longer_streams: longer.rss },
        rss_after_gc_mb: null,
        heap_after_gc_mb: null,
        slow_stream_cpu_us_per_token: ((longer.cpu - short.cpu) * 1e6) / (events[2]! - events[0]!),
      };
    } else if (name === "pass_through" || name === "router") {
      say(`holding ${STREAMS} long streams: ${name}`);
      const inspector = await Inspector.forWorker(INSPECTOR_PORT, workers[name]);
      const url = urls[name] as string;
      const idle = await memory(inspector, url);
      // Tokens every 20 ms: samples at ~75, ~375 and ~750 tokens per stream. RSS is read
      // before each forced GC, as the process stands; the heap after it is what the isolate
      // really retains, so a leak shows there while uncollected garbage does not.
      const { samples, events } = await holdStreams(urls[name], STREAMS, 20, [1500, 7500, 15000], async () => ({
        cpu: cpuSeconds(targets.workerdPid),
        ...(await memory(inspector, url)),
      }));
      inspector.close();
      const [short, long, longer] = samples as [(typeof samples)[0], (typeof samples)[0], (typeof samples)[0]];
      const pick = (key: "rss" | "rssAfterGc" | "heapAfterGc"): MemorySamples => ({
        idle: idle[key],
        short_streams: short[key],
        long_streams: long[key],
        longer_streams: longer[key],
      });
      mem = {
        rss_mb: pick("rss"),
        rss_after_gc_mb: pick("rssAfterGc"),
        heap_after_gc_mb: pick("heapAfterGc"),
        // Mostly workerd's own cost of a chunk through a Worker: each token is a chunk here.
        slow_stream_cpu_us_per_token: ((longer.cpu - short.cpu) * 1e6) / (events[2]! - events[0]!),
      };
    }
    figures[name] = {
      ...nonStreamFigures(name),
      ttft_p50_ms: ttft.p50_ms,
      ttft_p99_ms: ttft.p99_ms,
      tokens_per_s: tokens,
      ...mem,
      allocated_kb_per_request: name === "pass_through" || name === "router" ? (allocated[name] ?? null) : null,
    };
  }

  // The floor's streams: the same TTFT, long-stream and slow-stream loads; no memory rows,
  // since it shares workerd with the others and holds the accounting copy until the end.
  say("streams: floor");
  const floorTtft = await timeToFirstToken(urls.floor, 300, 8);
  const floorTokens = await relayedTokensPerSecond(urls.floor, 4, 50_000);
  say(`holding ${STREAMS} long streams: floor`);
  const held = await holdStreams(urls.floor, STREAMS, 20, [1500, 7500, 15000], () => cpuSeconds(targets.workerdPid));
  figures.floor = {
    ...nonStreamFigures("floor"),
    ttft_p50_ms: floorTtft.p50_ms,
    ttft_p99_ms: floorTtft.p99_ms,
    tokens_per_s: floorTokens,
    slow_stream_cpu_us_per_token: ((held.samples[2]! - held.samples[0]!) * 1e6) / (held.events[2]! - held.events[0]!),
    allocated_kb_per_request: allocated.floor ?? null,
  };

  const grown: Record<string, Growth> = {};
  for (const name of ["pass_through", "floor", "router", ...(peer ? ["portkey"] : [])] as const) {
    say(`cost growth (prompt size, stream length): ${name}`);
    grown[name] = await growth(urls[name as NonStreamName], pidOf(name), 3);
  }

  // What a caller coming back after a pause pays: every target after the same idle.
  for (const name of nonStreamNames) {
    say(`first streams after ${COLD_IDLE_MS / 1000} s idle: ${name}`);
    const t = await coldTimeToFirstToken(urls[name], 8, COLD_IDLE_MS);
    const fig: FloorFigures | undefined = figures[name];
    if (fig) Object.assign(fig, { ttft_cold_p50_ms: percentile(t, 50), ttft_cold_max_ms: t[t.length - 1]! });
  }

  say("measuring the bundle's start-up evaluation");
  const bundleFigures = await bundle.figures();
  const r = ratios(figures);
  const date = new Date().toISOString();
  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 1024 ** 3),
    load_average_at_end: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    node: process.version,
    wrangler: (JSON.parse(readFileSync(join(ROOT, "node_modules/wrangler/package.json"), "utf8")) as { version: string }).version,
  };
  const settings = { seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, unloaded_seconds: UNLOADED_SECONDS, streams_held: STREAMS, ttft_streams: 300, ttft_warm_up_streams: 16, ttft_concurrency: 8, cold_idle_ms: COLD_IDLE_MS, long_stream_tokens: 50_000, long_streams: 4 };
  const out = { date, machine, settings, figures, ratios: r, growth: grown, peer: peer ? "@portkey-ai/gateway 1.15.2 on Node" : null, bundle: bundleFigures };
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  const file = join(ROOT, "bench/results", `${date.slice(0, 19).replaceAll(":", "-")}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\n${render(figures, r, bundleFigures, STREAMS, CONNECTIONS)}\n`);
  console.log(`${peerLines(figures, grown, peer !== null).join("\n")}\n`);
  console.log(`${machine.cpu}, ${machine.cores} cores, load ${machine.load_average_at_end}; ${date}`);
  console.log(`written to ${file}`);
} finally {
  peer?.close();
  await targets.close();
  rmSync(dir, { recursive: true, force: true });
}
