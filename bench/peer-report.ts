// The issue-16 targets, each a ratio within one run: the router against the Portkey peer,
// the router floor and the pass-through; plus the cost-growth table for every column.

import type { Growth } from "./growth.ts";
import type { Figures } from "./report.ts";

const n = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || Number.isNaN(v) ? "-" : v.toFixed(digits));
const verdict = (ok: boolean | null): string => (ok === null ? "no figure" : ok ? "met" : "MISSED");

/** One line per target: the figure, the bound, met or missed. */
export function targetChecks(f: Figures, g: Record<string, Growth>): TargetCheck[] {
  const r = f.router;
  const pk = f.portkey;
  const pt = f.pass_through;
  const fl = f.floor;
  const cpuR = r.cpu_ms_per_request ?? Number.NaN;
  const tokR = g.router?.cpu_us_per_token_100_token_streams ?? Number.NaN;
  // `floor`: the same figure for the router floor, where it has one: whether the least any
  // metering router pays could meet the target at all in this run.
  const check = (target: string, value: number, bound: number, le = true, digits = 2, floor = Number.NaN): TargetCheck => ({
    target,
    value: `${n(value, digits)} (bound ${n(bound, digits)})`,
    met: Number.isNaN(value) || Number.isNaN(bound) ? null : le ? value <= bound : value >= bound,
    floor: Number.isNaN(floor) ? "-" : n(floor, digits),
  });
  const slow = (t: { slow_stream_cpu_us_per_token?: number | null } | undefined): number => t?.slow_stream_cpu_us_per_token ?? Number.NaN;
  const num = (v: number | null | undefined): number => v ?? Number.NaN;
  const cpuF = num(fl?.cpu_ms_per_request);
  return [
    check("non-stream throughput router / Portkey >= 1.2", pk ? r.rps / pk.rps : Number.NaN, 1.2, false, 2, pk && fl ? fl.rps / pk.rps : Number.NaN),
    check("non-stream throughput router / floor >= 0.9", fl ? r.rps / fl.rps : Number.NaN, 0.9, false),
    check("CPU/request router / Portkey <= 0.8", pk ? cpuR / num(pk.cpu_ms_per_request) : Number.NaN, 0.8, true, 2, pk ? cpuF / num(pk.cpu_ms_per_request) : Number.NaN),
    check("CPU/request router - floor <= 0.15 ms", cpuR - cpuF, 0.15, true, 3),
    check("added p50 at 1 conn: router <= Portkey (ms over direct)", r.unloaded_p50_ms - f.direct.unloaded_p50_ms, pk ? pk.unloaded_p50_ms - f.direct.unloaded_p50_ms : Number.NaN, true, 2, num(fl?.unloaded_p50_ms) - f.direct.unloaded_p50_ms),
    check("p99 at 1 conn: router <= floor + 1 ms", r.unloaded_p99_ms, num(fl?.unloaded_p99_ms) + 1),
    check("CPU/token, 1 token a chunk: router <= Portkey (us)", slow(r), slow(pk), true, 2, slow(fl)),
    check("CPU/token, 1 token a chunk: router <= 1.5 x pass-through (us)", slow(r), 1.5 * slow(pt), true, 2, slow(fl)),
    check("TTFT p50 at 8 streams: router <= pass-through + 1 ms", r.ttft_p50_ms, pt.ttft_p50_ms + 1, true, 2, num(fl?.ttft_p50_ms)),
    check("TTFT p99 at 8 streams: router <= 2 x pass-through", r.ttft_p99_ms, 2 * pt.ttft_p99_ms, true, 2, num(fl?.ttft_p99_ms)),
    check("long-stream tokens/s router / pass-through >= 0.8", r.tokens_per_s / pt.tokens_per_s, 0.8, false, 2, num(fl?.tokens_per_s) / pt.tokens_per_s),
    check("prompt slope router <= 2 x pass-through (us/KB)", num(g.router?.cpu_us_per_prompt_kb), 2 * num(g.pass_through?.cpu_us_per_prompt_kb), true, 2, num(g.floor?.cpu_us_per_prompt_kb)),
    check("CPU/token in 100-token streams: router <= Portkey (us)", tokR, num(g.portkey?.cpu_us_per_token_100_token_streams), true, 2, num(g.floor?.cpu_us_per_token_100_token_streams)),
  ];
}

interface TargetCheck {
  target: string;
  value: string;
  met: boolean | null;
  /** The router floor's own figure for the same target ("-": none). */
  floor: string;
}

export function peerLines(f: Figures, g: Record<string, Growth>, peerRan: boolean): string[] {
  const cols = ["pass_through", "floor", "router", "portkey"].filter((c) => g[c] !== undefined);
  const head = ["cost growth".padEnd(36), ...cols.map((c) => c.padStart(13))].join("");
  const row = (label: string, pick: (x: Growth) => number | null, digits: number): string =>
    [label.padEnd(36), ...cols.map((c) => n(pick(g[c]!), digits).padStart(13))].join("");
  const lines = [
    peerRan ? "peer: @portkey-ai/gateway 1.15.2 on Node (hono 4.9.7, @hono/node-server 1.13.5), loopback, warmed" : "peer: not installed or not started; the Portkey targets have no figure",
    "",
    head,
    row("CPU ms/request, 100 B prompt", (x) => x.cpu_ms_per_request_prompt_100b, 3),
    row("CPU ms/request, 10 KB prompt", (x) => x.cpu_ms_per_request_prompt_10kb, 3),
    row("CPU ms/request, 200 KB prompt", (x) => x.cpu_ms_per_request_prompt_200kb, 3),
    row("CPU us per further KB of prompt", (x) => x.cpu_us_per_prompt_kb, 1),
    row("CPU us/token, 100-token streams", (x) => x.cpu_us_per_token_100_token_streams, 1),
    row("CPU us/token, 5,000-token streams", (x) => x.cpu_us_per_token_5000_token_streams, 1),
    "",
    "targets (issue 16), ratios within this run (the floor: the router floor's own figure, where it has one):",
  ];
  for (const c of targetChecks(f, g)) lines.push(`  ${c.target.padEnd(62)} ${c.value.padStart(24)}  ${verdict(c.met).padEnd(6)}  floor ${c.floor}`);
  return lines;
}
