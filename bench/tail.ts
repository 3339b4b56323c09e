// npm run bench:tail: where the one-connection tail comes from. One request at a time
// against the router and the router floor, every response's start and latency kept, then
// the slowest 1 % listed with when they started, so a periodic cause (a 50 ms batch, a
// 1 s lease, a 5 s key confirmation) shows as a period, and a GC pause or the machine as none.
//   BENCH_SECONDS  per target (10);  TAIL_TARGETS  router,floor (any of router, floor, pass-through)
// Each slow response's server-timing header (the limiter's round trip) is printed beside it.
//   TAIL_PROFILE=1  also run V8's sampling profiler in the target's isolate (which the
//                   Durable Objects share) and say, for the slowest 1 % and for the typical
//                   request, what the isolate did while each was open: see tail-profile.ts.

import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundles } from "./bundle.ts";
import { chatBody, percentile } from "./load.ts";
import { BENCH_KEY, startTargets } from "./targets.ts";
import { Inspector } from "./inspector.ts";
import { freePort } from "../test/support/free-port.ts";
import { describeSpent, gcPauses, isolateDuring, longestSampleUs, monotonicUs, type Window } from "./tail-profile.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const NAMES = (process.env.TAIL_TARGETS ?? "router,floor").split(",");
const PROFILE = process.env.TAIL_PROFILE === "1";

interface Sample extends Window {
  at: number;
  ms: number;
  timing: string;
}

function once(agent: Agent, url: string, body: string): Promise<{ ms: number; timing: string } & Window> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const fromUs = monotonicUs();
    const req = request(url + "/v1/chat/completions", { method: "POST", agent, headers: { authorization: `Bearer ${BENCH_KEY}`, "content-type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ ms: performance.now() - t0, timing: String(res.headers["server-timing"] ?? ""), fromUs, toUs: monotonicUs() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function sequential(url: string, seconds: number): Promise<Sample[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = chatBody({ tokens: 16 });
  const out: Sample[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const at = performance.now() - t0;
    const r = await once(agent, url, body);
    out.push({ at, ...r });
  }
  agent.destroy();
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "router-tail-"));
const inspectorPort = PROFILE ? await freePort() : undefined;
const targets = await startTargets((await buildBundles(dir)).file, inspectorPort === undefined ? {} : { inspectorPort });
try {
  const urls: Record<string, string> = { router: targets.router, floor: targets.floor, "pass-through": targets.passThrough };
  for (const name of NAMES) await sequential(urls[name]!, 2);
  for (const name of NAMES) {
    const inspector = inspectorPort === undefined ? null : await Inspector.forWorker(inspectorPort, name);
    await inspector?.startProfiler();
    const samples = await sequential(urls[name]!, SECONDS);
    const profile = inspector ? await inspector.stopProfiler() : null;
    inspector?.close();
    const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    console.log(`${name}: ${samples.length} requests, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, p99.9 ${percentile(sorted, 99.9).toFixed(2)} ms`);
    const slow = samples.filter((s) => s.ms >= p99);
    const gaps = slow.slice(1).map((s, i) => s.at - slow[i]!.at);
    console.log(`  slowest 1 %: ${slow.length}; gaps between them (ms): ${gaps.map((g) => g.toFixed(0)).join(" ")}`);
    for (const s of slow.slice(0, 40)) console.log(`  at ${s.at.toFixed(1).padStart(8)} ms  ${s.ms.toFixed(2).padStart(6)} ms  ${s.timing}${profile ? `  ${describeSpent(isolateDuring(profile, s))}` : ""}`);
    if (profile) {
      const typical = samples.filter((s) => s.ms < p99);
      console.log(`  the other 99 %, summed: ${describeSpent(isolateDuring(profile, ...typical))}`);
      // Why each of the slowest was slow: a GC pause inside it, or a stretch in which the
      // sampler did not run at all (workerd was not scheduled), or neither.
      const gcIn = (s: Sample): number => isolateDuring(profile, s).gc / 1000;
      const stalled = slow.filter((s) => longestSampleUs(profile, s) >= 5000).length;
      const collected = slow.filter((s) => longestSampleUs(profile, s) < 5000 && gcIn(s) >= 1).length;
      console.log(`  of the slowest 1 %: ${collected} had a GC of 1 ms or more, ${stalled} a stretch of 5 ms or more unsampled (workerd not scheduled), ${slow.length - collected - stalled} neither`);
      const pauses = gcPauses(profile).filter((us) => us >= 1000);
      console.log(`  GC pauses of 1 ms or more in ${SECONDS} s: ${pauses.length}, ms: ${pauses.map((us) => (us / 1000).toFixed(1)).join(" ")}`);
    }
  }
} finally {
  await targets.close();
  rmSync(dir, { recursive: true, force: true });
}
