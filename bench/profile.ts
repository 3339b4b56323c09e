// npm run bench:profile: where the router's CPU goes. Runs a load against the router (or the
// pass-through) with V8's sampling profiler on, and prints the functions with the most self time.
//   PROFILE_LOAD       nonstream (default): autocannon's non-stream requests;
//                      stream: long streams relayed as fast as they come (the bench's tokens/s);
//                      slow: 200 streams at a token every 20 ms (the bench's memory load)
//                      short: 400 streams of 100 tokens, 8 at a time (the bench's cost-growth row)
//                      ttft: 300 streams of 4 tokens, 8 at a time (the bench's TTFT row); figures per stream
//   BENCH_SECONDS      length of the profiled non-stream load (5)
//   BENCH_CONNECTIONS  concurrent connections (16)
//   PROFILE_STREAMS, PROFILE_TOKENS  the stream load: streams at once, tokens each (4, 50000)
//   PROFILE_OUT        also write the .cpuprofile here (open it in Chrome DevTools)
//   BENCH_UNMINIFIED=1 profile the unminified bundle, so that functions show their own names
//   PROFILE_TARGET     router (default), floor (the router floor) or
//                      pass-through (the bare fetch), to compare the router with
//   PROFILE_PROMPT_KB  non-stream requests carry a prompt of this many KB (0: the bench's short one),
//                      to see where the per-KB cost (the bench's prompt slope) goes
//   PROFILE_PERF=1     sample workerd's real CPU with Linux perf instead of V8's profiler, each
//                      sample charged to the nearest JavaScript function (perf-attribution.ts);
//                      with BENCH_UNMINIFIED=1 the functions have their own names

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundles } from "./bundle.ts";
import { Inspector, type CpuProfile as Profile } from "./inspector.ts";
import { attribute, PERF_V8_FLAGS, perfAvailable, perfRecord } from "./perf-attribution.ts";
import { holdStreams, nonStream, promptOf, relayedTokensPerSecond, streamLoad, timeToFirstToken } from "./load.ts";
import { cpuSeconds } from "./proc.ts";
import { freePort } from "../test/support/free-port.ts";
import { startTargets } from "./targets.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const LOAD = process.env.PROFILE_LOAD ?? "nonstream";
const STREAMS = Number(process.env.PROFILE_STREAMS ?? 4);
const TOKENS = Number(process.env.PROFILE_TOKENS ?? 50_000);
const PROMPT_KB = Number(process.env.PROFILE_PROMPT_KB ?? 0);
const PROMPT = promptOf(PROMPT_KB * 1024);
/** A free port chosen now, so that two profiles (or a bench beside one) never collide. */
const INSPECTOR_PORT = await freePort();
const TARGETS = ["router", "floor", "pass-through"] as const;
const TARGET = TARGETS.find((t) => t === (process.env.PROFILE_TARGET ?? "router"));
if (TARGET === undefined) throw new Error(`PROFILE_TARGET must be one of ${TARGETS.join(", ")}`);
if (!["nonstream", "stream", "slow", "short", "ttft"].includes(LOAD)) throw new Error(`PROFILE_LOAD must be nonstream, stream, slow, short or ttft, not ${LOAD}`);

const PERF = process.env.PROFILE_PERF === "1";
if (PERF && !perfAvailable()) throw new Error("PROFILE_PERF=1 needs Linux perf (apt-get install -y linux-perf)");
// Read by Miniflare when it starts workerd.
if (PERF) process.env.MINIFLARE_WORKERD_V8_FLAGS = PERF_V8_FLAGS;

const dir = mkdtempSync(join(tmpdir(), "router-profile-"));
const bundle = await buildBundles(dir);
const targets = await startTargets(bundle.file, { inspectorPort: INSPECTOR_PORT });
try {
  const url = { router: targets.router, floor: targets.floor, "pass-through": targets.passThrough }[TARGET];
  // Warm up first: JIT, caches, leases.
  if (LOAD === "nonstream") await nonStream(url, 2, CONNECTIONS, undefined, PROMPT);
  else await relayedTokensPerSecond(url, STREAMS, TOKENS / 10);
  const inspector = await Inspector.forWorker(INSPECTOR_PORT, TARGET);
  const perfFile = join(dir, "perf.data");
  let stopPerf: (() => Promise<void>) | null = null;
  const start = async (): Promise<number> => {
    if (PERF) stopPerf = await perfRecord(targets.workerdPid, perfFile);
    else await inspector.startProfiler();
    return cpuSeconds(targets.workerdPid);
  };
  const stop = async (cpu0: number): Promise<{ profile: Profile | null; cpu: number }> => {
    const cpu = cpuSeconds(targets.workerdPid) - cpu0;
    if (stopPerf === null) return { profile: await inspector.stopProfiler(), cpu };
    await stopPerf();
    return { profile: null, cpu };
  };
  // The unit per-item figures are given in: a request, or a relayed token (one SSE event).
  let units: number;
  let summary: string;
  let result: { profile: Profile | null; cpu: number };
  if (LOAD === "stream") {
    const t0 = performance.now();
    const cpu0 = await start();
    const perSecond = await relayedTokensPerSecond(url, STREAMS, TOKENS);
    result = await stop(cpu0);
    units = STREAMS * TOKENS;
    summary = `${STREAMS} streams of ${TOKENS} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s (${perSecond.toFixed(0)} tokens/s)`;
  } else if (LOAD === "ttft") {
    const cpu0 = await start();
    const t = await timeToFirstToken(url, 300, 8);
    result = await stop(cpu0);
    units = 300;
    summary = `300 streams of 4 tokens, 8 at a time: TTFT p50 ${t.p50_ms.toFixed(2)} ms, p99 ${t.p99_ms.toFixed(2)} ms`;
  } else if (LOAD === "short") {
    const cpu0 = await start();
    units = await streamLoad(url, { count: 400, concurrency: 8, tokens: 100, itlMs: 0 });
    result = await stop(cpu0);
    summary = `400 streams of 100 tokens, 8 at a time: ${units} tokens`;
  } else if (LOAD === "slow") {
    // Profiled from when every stream is open until 10 s later: neither set-up nor teardown.
    let cpu0 = 0;
    const { events, samples } = await holdStreams(url, 200, 20, [2000, 12_000], async () => {
      if (cpu0 === 0) cpu0 = await start();
      else return stop(cpu0);
    });
    result = samples[1]!;
    units = events[1]! - events[0]!;
    summary = `200 streams at a token every 20 ms: ${units} tokens in 10 s`;
  } else {
    const cpu0 = await start();
    const fig = await nonStream(url, SECONDS, CONNECTIONS, undefined, PROMPT);
    result = await stop(cpu0);
    units = fig.requests;
    summary = `${fig.requests} requests in ${SECONDS} s (${fig.rps.toFixed(0)} req/s)`;
  }
  const { profile, cpu } = result;
  inspector.close();
  const unit = LOAD === "nonstream" ? "req" : LOAD === "ttft" ? "stream" : "token";
  const digits = LOAD === "nonstream" || LOAD === "ttft" ? 1 : 3;
  if (profile === null) {
    // perf: the process's CPU over the load, shared out by the samples' owners.
    const { owners, samples } = attribute(perfFile);
    const perUnit = (cpu * 1e6) / units;
    console.log(`${summary}; ${samples} perf samples; workerd process CPU ${perUnit.toFixed(3)} us per ${unit}`);
    for (const [name, n] of [...owners.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
      console.log(`${((100 * n) / samples).toFixed(1).padStart(5)}%  ${((perUnit * n) / samples).toFixed(digits).padStart(6)} us/${unit}  ${name}`);
    }
  } else {
    if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));

    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    // Built-ins have no script URL: charge them to the nearest script function that called them.
    const caller = (id: number): string => {
      for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
        const f = byId.get(p)!.callFrame;
        if (f.url) return ` <- ${f.functionName || "(anonymous)"}:${f.lineNumber + 1}`;
      }
      return "";
    };
    const self = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      const n = byId.get(id)!;
      const dt = profile.timeDeltas[i] ?? 0;
      total += dt;
      const f = n.callFrame;
      const file = f.url.split("/").pop() ?? "";
      const name = `${f.functionName || "(anonymous)"} ${file ? `${file}:${f.lineNumber + 1}` : caller(id)}`;
      self.set(name, (self.get(name) ?? 0) + dt);
    });
    const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
    console.log(`${summary}; ${(total / 1000).toFixed(0)} ms sampled`);
    const idle = self.get("(idle) ") ?? 0;
    // The whole process's CPU includes what JS never sees: sockets, HTTP, workerd's own stream pumps.
    console.log(`isolate busy ${((total - idle) / units).toFixed(3)} us per ${unit}; workerd process CPU ${((cpu * 1e6) / units).toFixed(3)} us per ${unit}`);
    for (const [name, us] of rows) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / units).toFixed(digits).padStart(6)} us/${unit}  ${name}`);
  }
} finally {
  await targets.close();
  rmSync(dir, { recursive: true, force: true });
}
