// npm run bench:limits: how exactly the rate limiter admits, and what it costs.
//   1. The pure limiter in simulated time: 200 clients at 80 %, 100 % and 200 % of a
//      project's limits for 10 simulated minutes; over- and under-admission, calls per request.
//   1b. Chats without max_tokens, skewed answers (limits-chats.ts): usable share of the TPM,
//      over-admission beyond the stated bound, share admitted after a wait, wait p50 / p99.
//   2. The real router (npm start's stack: workerd, Durable Objects, simulated origin) under
//      concurrent load for BENCH_SECONDS (default 20): the limiter's round trip as the
//      Worker measured it (Server-Timing), p50 and p99. LIMITS_SIM_ONLY=1 skips this part.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/support/free-port.ts";
import { LONG_SHARE, simulateChats } from "./limits-chats.ts";
import { simulate } from "./limits-sim.ts";

const ROOT = join(import.meta.dirname, "..");
const limits = { rpm: 600, tpm: 300_000 };
const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

console.log(`# Rate limiter benchmark, ${new Date().toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`);
const ISOLATES = 8;
console.log(`\n## Admission in simulated time: ${limits.rpm} RPM, ${limits.tpm} TPM, 200 clients over ${ISOLATES} edge isolates, 10 minutes per load`);
console.log("| load | leases | attempts | admitted | from a lease | over-admission RPM / TPM | under-admission | limiter calls per request | refunded / charged units |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const leases of [false, true]) {
  for (const load of [0.8, 1, 2]) {
    const r = simulate(limits, load, { clients: 200, durationMs: 600_000, seed: 42, isolates: ISOLATES, leases });
    console.log(
      `| ${load * 100} % | ${leases ? "on" : "off"} | ${r.attempts} | ${r.admitted} | ${r.fromLease} | ${r.overRequests} / ${r.overTokens} | ${load >= 1 ? pct(r.underAdmission) : "n/a (below the limit)"} | ${r.callsPerRequest.toFixed(2)} | ${r.refunded} / ${r.charged} |`,
    );
  }
}

// ---- realistic chats: no max_tokens, skewed answers --------------------------------------

const base = { rpm: 600, tpm: 200_000 };
const RESERVATION_LABEL = { fixed: "fixed 256 (first)", p99: "learned p99 (second)", mean: "learned mean (now)" };
const shares = process.env.LONG_SHARE ? [LONG_SHARE] : [0.01, 0.05];
console.log(
  `\n## Chats without max_tokens in simulated time: ${base.rpm} RPM, ${base.tpm} TPM (the Base plan), 200 clients over ${ISOLATES} isolates, 10 minutes per load; ` +
    `answers short (5-60 tokens) but for a share of long ones (100-1500), 30 ms per token`,
);
console.log("Usable share: TPM units really used / (burst + limit x duration). Over the bound: the most any 60-s window held above limit + burst + X_end + F_start + D_end (docs/design/rate-limits.md). Max X_end: the largest in-flight excess at a window's end; max D_end: the largest excess charged and not yet paid off at a window's end.");
console.log("| long answers | reservation | Prefer: wait | load | attempts | admitted | usable share | over limit + burst | max X_end | max D_end | over the bound | waited instead of 429 | wait p50 / p99 |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const longShare of shares) {
  for (const reservation of ["fixed", "p99", "mean"] as const) {
    for (const waitMs of [0, 10_000]) {
      for (const load of [0.8, 1, 2]) {
        const r = simulateChats(base, load, { clients: 200, durationMs: 600_000, seed: 42, isolates: ISOLATES, reservation, waitMs, longShare });
        console.log(
          `| ${longShare * 100} % | ${RESERVATION_LABEL[reservation]} | ${waitMs > 0 ? `${waitMs / 1000} s` : "no"} | ${load * 100} % | ${r.attempts} | ${r.admitted} | ${pct(r.usableShare)} | ` +
            `${r.overLimitBurst} | ${r.xEndMax} | ${r.dEndMax} | ${r.overBound} | ${waitMs > 0 ? pct(r.waitedShare) : "n/a"} | ${waitMs > 0 ? `${r.waitP50} / ${r.waitP99} ms` : "n/a"} |`,
        );
      }
    }
  }
}

// ---- the real round trip --------------------------------------------------------------

// LIMITS_SIM_ONLY=1: the simulations above only, no router started (seconds, not minutes).
if (process.env.LIMITS_SIM_ONLY === "1") process.exit(0);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
// A port free right now, unless one is asked for: fixed ports collide with other runs.
const port = process.env.BENCH_PORT ? Number(process.env.BENCH_PORT) : await freePort();
const state = mkdtempSync(join(tmpdir(), "bench-limits-"));
const stack = spawn(process.execPath, [join(ROOT, "scripts/start.ts")], {
  cwd: ROOT,
  env: { ...process.env, PORT: String(port), SIM_ORIGIN_PORT: "0", STATE_DIR: state, WRANGLER_SEND_METRICS: "false", ADMIN_TOKEN: crypto.randomUUID() },
  // wrangler's own shutdown noise is not the benchmark's output.
  stdio: ["ignore", "pipe", "ignore"],
});
const router = `http://127.0.0.1:${port}`;
const key = "sk-eir-demo-local-development-key-0000";

/**
 * Waits for the start script's own "router ready" line: polling with the demo key before
 * the script has created it would leave "no such key" in the isolate's key cache.
 */
function ready(): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("router did not start")), 150_000);
    stack.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("router ready on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    stack.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`router exited with ${code}`));
    });
  });
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function drive(clients: number, secs: number, print = true): Promise<void> {
  const limiterMs: number[] = [];
  const totalMs: number[] = [];
  const status: Record<number, number> = {};
  const until = Date.now() + secs * 1000;
  const body = JSON.stringify({ model: "llama-3.1-8b-instruct", messages: [{ role: "user", content: "bench" }], max_tokens: 8, sim: { tokens: 8 } });
  const client = async (): Promise<void> => {
    while (Date.now() < until) {
      const t0 = performance.now();
      const res = await fetch(`${router}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body });
      await res.arrayBuffer();
      totalMs.push(performance.now() - t0);
      status[res.status] = (status[res.status] ?? 0) + 1;
      const m = /limiter;dur=(\d+(?:\.\d+)?)/.exec(res.headers.get("server-timing") ?? "");
      if (m) limiterMs.push(Number(m[1]));
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const n = totalMs.length;
  if (!print) return;
  console.log(
    `| ${clients} | ${n} (${Object.entries(status).map(([s, c]) => `${s}: ${c}`).join(", ")}) | ${(n / secs).toFixed(0)} | ` +
      `${quantile(limiterMs, 0.5)} / ${quantile(limiterMs, 0.99)} ms | ${quantile(totalMs, 0.5).toFixed(1)} / ${quantile(totalMs, 0.99).toFixed(1)} ms |`,
  );
}

try {
  await ready();
  console.log(`\n## The real limiter round trip: wrangler dev (workerd, local Durable Objects with SQLite), ${seconds} s per row`);
  console.log("Limiter = Worker -> LimiterObject.acquire -> Worker, as the Worker measured it (workerd clock, 1 ms resolution).");
  console.log("| clients | requests | per second | limiter p50 / p99 | whole request p50 / p99 |");
  console.log("| --- | --- | --- | --- | --- |");
  // Warm up the isolate, the catalog cache and the object first.
  await drive(1, 2, false);
  await drive(1, seconds);
  await drive(32, seconds);
} finally {
  if (stack.exitCode === null) {
    stack.kill("SIGTERM");
    await new Promise((r) => stack.once("exit", r));
  }
  rmSync(state, { recursive: true, force: true });
}
