// Turns the measured figures into one table, the ratios the targets are set on, and the
// JSON record kept under bench/results/. Targets are reported, never asserted.

export interface TargetFigures {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** One connection, one request at a time: the latency a request pays with no queue. */
  unloaded_p50_ms: number;
  unloaded_p99_ms: number;
  errors: number;
  cpu_ms_per_request: number | null;
  ttft_p50_ms: number;
  ttft_p99_ms: number;
  /** 8 streams at once after an idle longer than the router's key trust and lease: median and slowest (added 2026-12-02). */
  ttft_cold_p50_ms?: number;
  ttft_cold_max_ms?: number;
  tokens_per_s: number;
  /** workerd's resident memory while it holds the slow streams, read before each forced GC. */
  rss_mb: MemorySamples | null;
  /** The same right after a forced full GC of this Worker's isolate (added 2026-11-22; absent in older results). */
  rss_after_gc_mb?: MemorySamples | null;
  /** This Worker's V8 heap in use right after that GC: what it retains, without uncollected garbage. */
  heap_after_gc_mb?: MemorySamples | null;
  /** workerd CPU per token relayed while it holds the slow streams (each token arrives as its own chunk). */
  slow_stream_cpu_us_per_token?: number | null;
  /** KB the Worker's isolate allocates per non-stream request, collected or not (added 2026-12-02). */
  allocated_kb_per_request?: number | null;
}

export interface MemorySamples {
  idle: number;
  short_streams: number;
  long_streams: number;
  longer_streams: number;
}

/** The router floor's figures: the non-stream ones, and its stream figures since 2026-12-02 (no memory rows: it shares workerd). */
export type FloorFigures = Pick<TargetFigures, "rps" | "p50_ms" | "p99_ms" | "unloaded_p50_ms" | "unloaded_p99_ms" | "errors" | "cpu_ms_per_request"> &
  Partial<Pick<TargetFigures, "ttft_p50_ms" | "ttft_p99_ms" | "ttft_cold_p50_ms" | "ttft_cold_max_ms" | "tokens_per_s" | "slow_stream_cpu_us_per_token" | "allocated_kb_per_request">>;

/** `floor` was added 2026-12-01; older results lack it. */
export type Figures = Record<"direct" | "pass_through" | "router", TargetFigures> & { floor?: FloorFigures; /** The Portkey peer (added 2026-12-01). */ portkey?: TargetFigures };

export interface Ratios {
  throughput_router_over_pass_through: number;
  added_p50_ms_router_minus_pass_through: number;
  added_p99_ms_router_minus_pass_through: number;
  added_unloaded_p50_ms_router_minus_pass_through: number;
  added_unloaded_p99_ms_router_minus_pass_through: number;
  ttft_p50_router_over_direct: number;
  cpu_ms_per_request_router: number;
  rss_growth_mb_long_minus_short_router: number;
  rss_growth_mb_longer_minus_long_router: number;
  heap_after_gc_growth_mb_long_minus_short_router?: number;
  heap_after_gc_growth_mb_longer_minus_long_router?: number;
  /** Against the router floor (added 2026-12-01; absent in older results). */
  throughput_floor_over_pass_through?: number;
  throughput_router_over_floor?: number;
  /** The router's own logic: what it costs above the least any metering router pays. */
  cpu_ms_per_request_router_minus_floor?: number;
}

export function ratios(f: Figures): Ratios {
  const rss = f.router.rss_mb;
  const heap = f.router.heap_after_gc_mb;
  const floor = f.floor;
  return {
    throughput_router_over_pass_through: f.router.rps / f.pass_through.rps,
    added_p50_ms_router_minus_pass_through: f.router.p50_ms - f.pass_through.p50_ms,
    added_p99_ms_router_minus_pass_through: f.router.p99_ms - f.pass_through.p99_ms,
    added_unloaded_p50_ms_router_minus_pass_through: f.router.unloaded_p50_ms - f.pass_through.unloaded_p50_ms,
    added_unloaded_p99_ms_router_minus_pass_through: f.router.unloaded_p99_ms - f.pass_through.unloaded_p99_ms,
    ttft_p50_router_over_direct: f.router.ttft_p50_ms / f.direct.ttft_p50_ms,
    cpu_ms_per_request_router: f.router.cpu_ms_per_request ?? Number.NaN,
    rss_growth_mb_long_minus_short_router: rss ? rss.long_streams - rss.short_streams : Number.NaN,
    rss_growth_mb_longer_minus_long_router: rss ? rss.longer_streams - rss.long_streams : Number.NaN,
    heap_after_gc_growth_mb_long_minus_short_router: heap ? heap.long_streams - heap.short_streams : Number.NaN,
    heap_after_gc_growth_mb_longer_minus_long_router: heap ? heap.longer_streams - heap.long_streams : Number.NaN,
    throughput_floor_over_pass_through: floor ? floor.rps / f.pass_through.rps : Number.NaN,
    throughput_router_over_floor: floor ? f.router.rps / floor.rps : Number.NaN,
    cpu_ms_per_request_router_minus_floor: (f.router.cpu_ms_per_request ?? Number.NaN) - (floor?.cpu_ms_per_request ?? Number.NaN),
  };
}

const n = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || Number.isNaN(v) ? "-" : v.toFixed(digits));
const signed = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? "-" : `${v >= 0 ? "+" : ""}${v.toFixed(2)}`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")).join("\n");
}

export function render(f: Figures, r: Ratios, bundle: { minified_gzip_bytes: number; raw_gzip_bytes: number; startup_eval_ms: number }, streamsHeld: number, connections: number): string {
  const peer = f.portkey;
  const cols = [["", "direct to origin", "pass-through", "router floor", "router", ...(peer ? ["Portkey (Node)"] : [])]];
  // The router floor has a figure in the non-stream and stream rows, none in the memory rows.
  const both = (label: string, pick: (t: FloorFigures) => string): string[] => [label, pick(f.direct), pick(f.pass_through), f.floor ? pick(f.floor) : "-", pick(f.router), ...(peer ? [pick(peer)] : [])];
  const row = (label: string, pick: (t: TargetFigures) => string): string[] => [label, pick(f.direct), pick(f.pass_through), "-", pick(f.router), ...(peer ? [pick(peer)] : [])];
  const body = [
    both(`non-stream req/s, ${connections} conns`, (t) => n(t.rps, 0)),
    both(`latency p50 ms, ${connections} conns`, (t) => n(t.p50_ms)),
    both(`latency p99 ms, ${connections} conns`, (t) => n(t.p99_ms)),
    both("latency p50 ms, 1 conn", (t) => n(t.unloaded_p50_ms)),
    both("latency p99 ms, 1 conn", (t) => n(t.unloaded_p99_ms)),
    both("errors", (t) => String(t.errors)),
    both("serving process CPU ms/request", (t) => n(t.cpu_ms_per_request, 3)),
    both("stream TTFT p50 ms", (t) => n(t.ttft_p50_ms)),
    both("stream TTFT p99 ms", (t) => n(t.ttft_p99_ms)),
    both("TTFT after idle, median ms", (t) => n(t.ttft_cold_p50_ms)),
    both("TTFT after idle, slowest ms", (t) => n(t.ttft_cold_max_ms)),
    both("long-stream tokens/s", (t) => n(t.tokens_per_s, 0)),
    row("workerd RSS MB idle", (t) => n(t.rss_mb?.idle, 1)),
    row(`  + ${streamsHeld} streams, short`, (t) => n(t.rss_mb?.short_streams, 1)),
    row(`  + ${streamsHeld} streams, 5x longer`, (t) => n(t.rss_mb?.long_streams, 1)),
    row(`  + ${streamsHeld} streams, 10x longer`, (t) => n(t.rss_mb?.longer_streams, 1)),
    row("workerd RSS MB after GC, idle", (t) => n(t.rss_after_gc_mb?.idle, 1)),
    row(`  + ${streamsHeld} streams, short`, (t) => n(t.rss_after_gc_mb?.short_streams, 1)),
    row(`  + ${streamsHeld} streams, 5x longer`, (t) => n(t.rss_after_gc_mb?.long_streams, 1)),
    row(`  + ${streamsHeld} streams, 10x longer`, (t) => n(t.rss_after_gc_mb?.longer_streams, 1)),
    row("isolate JS heap MB after GC, idle", (t) => n(t.heap_after_gc_mb?.idle, 2)),
    row(`  + ${streamsHeld} streams, short`, (t) => n(t.heap_after_gc_mb?.short_streams, 2)),
    row(`  + ${streamsHeld} streams, 5x longer`, (t) => n(t.heap_after_gc_mb?.long_streams, 2)),
    row(`  + ${streamsHeld} streams, 10x longer`, (t) => n(t.heap_after_gc_mb?.longer_streams, 2)),
    both("slow streams: CPU us/token", (t) => n(t.slow_stream_cpu_us_per_token, 1)),
  ];
  const check = (ok: boolean): string => (ok ? "meets target" : "MISSES target");
  const lines = [
    table([...cols, ...body]),
    "",
    `router / pass-through throughput   ${n(r.throughput_router_over_pass_through)}   (target >= 0.8: ${check(r.throughput_router_over_pass_through >= 0.8)})`,
    `floor / pass-through throughput    ${n(r.throughput_floor_over_pass_through)}   (only the steps no metering router can skip)`,
    `router / floor throughput          ${n(r.throughput_router_over_floor)}`,
    `router - pass-through p50 latency  ${n(r.added_unloaded_p50_ms_router_minus_pass_through)} ms at 1 connection (target < 1 ms: ${check(r.added_unloaded_p50_ms_router_minus_pass_through < 1)}); p99 ${n(r.added_unloaded_p99_ms_router_minus_pass_through)} ms`,
    `  at ${connections} connections (queueing)   p50 ${n(r.added_p50_ms_router_minus_pass_through)} ms, p99 ${n(r.added_p99_ms_router_minus_pass_through)} ms: saturated, so it follows throughput`,
    `router / direct TTFT p50           ${n(r.ttft_p50_router_over_direct)}`,
    `router CPU per request             ${n(r.cpu_ms_per_request_router, 3)} ms (target < 0.5 ms: ${check(r.cpu_ms_per_request_router < 0.5)})`,
    `router - floor CPU per request     ${n(r.cpu_ms_per_request_router_minus_floor, 3)} ms (the router's own logic; the floor pays ${n(f.floor?.cpu_ms_per_request, 3)} ms)`,
    `JS allocated per request           router ${n(f.router.allocated_kb_per_request, 1)} KB, floor ${n(f.floor?.allocated_kb_per_request, 1)} KB, pass-through ${n(f.pass_through.allocated_kb_per_request, 1)} KB (one connection; what the collector pays for)`,
    `router RSS as streams grow 5x, 10x  +${n(r.rss_growth_mb_long_minus_short_router, 1)} MB, then +${n(r.rss_growth_mb_longer_minus_long_router, 1)} MB (before GC: garbage included)`,
    `router heap after GC, same         ${signed(r.heap_after_gc_growth_mb_long_minus_short_router)} MB, then ${signed(r.heap_after_gc_growth_mb_longer_minus_long_router)} MB (target: flat: ${check(Math.abs(r.heap_after_gc_growth_mb_long_minus_short_router ?? Number.NaN) < 1 && Math.abs(r.heap_after_gc_growth_mb_longer_minus_long_router ?? Number.NaN) < 1)})`,
    `bundle                             ${n(bundle.minified_gzip_bytes / 1024, 1)} KiB minified+gzip, ${n(bundle.raw_gzip_bytes / 1024, 1)} KiB as deployed+gzip (target < 50 KiB: ${check(bundle.minified_gzip_bytes < 50 * 1024)}); evaluates in ${n(bundle.startup_eval_ms)} ms`,
  ];
  return lines.join("\n");
}
