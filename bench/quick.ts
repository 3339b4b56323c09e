// npm run bench:quick: the non-stream half of the bench only (pass-through, router floor
// and router: CPU per request and throughput), for trying a change in a minute. Nothing is
// written: figures for the record come from `npm run bench`.
//   BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS as for npm run bench (5, 3, 16)

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundles } from "./bundle.ts";
import { nonStream } from "./load.ts";
import { cpuSeconds } from "./proc.ts";
import { startTargets } from "./targets.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

const dir = mkdtempSync(join(tmpdir(), "router-quick-"));
const targets = await startTargets((await buildBundles(dir)).file);
try {
  const urls = { pass_through: targets.passThrough, floor: targets.floor, router: targets.router };
  for (const url of Object.values(urls)) await nonStream(url, 1, CONNECTIONS);
  const sum = { pass_through: { cpu: 0, requests: 0 }, floor: { cpu: 0, requests: 0 }, router: { cpu: 0, requests: 0 } };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of ["pass_through", "floor", "router"] as const) {
      const before = cpuSeconds(targets.workerdPid);
      const fig = await nonStream(urls[name], SECONDS, CONNECTIONS);
      const cpu = cpuSeconds(targets.workerdPid) - before;
      sum[name].cpu += cpu;
      sum[name].requests += fig.requests;
      console.log(`round ${round} ${name.padEnd(12)} ${fig.rps.toFixed(0).padStart(6)} req/s  p50 ${fig.p50_ms.toFixed(2)} ms  CPU ${((cpu * 1000) / fig.requests).toFixed(3)} ms/req  errors ${fig.errors}`);
    }
  }
  const per = (n: keyof typeof sum): number => (sum[n].cpu * 1000) / sum[n].requests;
  const over = (a: keyof typeof sum, b: keyof typeof sum): string => (sum[a].requests / sum[b].requests).toFixed(2);
  console.log(`CPU ms/request: pass-through ${per("pass_through").toFixed(3)}, floor ${per("floor").toFixed(3)}, router ${per("router").toFixed(3)}`);
  console.log(`throughput: router / pass-through ${over("router", "pass_through")}, floor / pass-through ${over("floor", "pass_through")}; router - floor CPU ${(per("router") - per("floor")).toFixed(3)} ms/request`);
} finally {
  await targets.close();
  rmSync(dir, { recursive: true, force: true });
}
