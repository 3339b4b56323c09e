// Load for one target: non-stream requests through autocannon at a fixed concurrency, and
// streams through a small node:http client that times the first byte and counts events.

import autocannon from "autocannon";
import { Agent, request } from "node:http";
import { DEFAULT_BEHAVIOUR } from "../sim/protocol.ts";
import { BENCH_KEY, BENCH_MODEL } from "./targets.ts";

const PATH = "/v1/chat/completions";
const HEADERS = { authorization: `Bearer ${BENCH_KEY}`, "content-type": "application/json" };

/**
 * Streams ask for usage as the AI SDK and LangChain do (the relay's native path);
 * BENCH_STREAM_USAGE=0 leaves it out, so the router strips the usage chunk in JavaScript.
 */
const STREAM = process.env.BENCH_STREAM_USAGE === "0" ? { stream: true } : { stream: true, stream_options: { include_usage: true } };

/**
 * Where load goes: a base URL, or a peer that needs its own headers and drops the body's
 * `sim` object (Portkey forwards only the parameters it knows), so that the origin's
 * behaviour is set for it globally through `simControl` (the origin's URL) for the phase.
 */
export type Target = string | { url: string; headers: Record<string, string>; simControl: string };
const urlOf = (t: Target): string => (typeof t === "string" ? t : t.url);
const headersOf = (t: Target): Record<string, string> => (typeof t === "string" ? HEADERS : { ...HEADERS, ...t.headers });

/** Runs `phase` with the origin's global behaviour set to `sim` for a peer that drops it from the body. */
async function withSim<T>(t: Target, sim: Record<string, unknown>, phase: () => Promise<T>): Promise<T> {
  if (typeof t === "string") return phase();
  const config = (b: Record<string, unknown>): Promise<unknown> =>
    fetch(`${t.simControl}/_sim/config`, { method: "POST", body: JSON.stringify(b) }).then((r) => r.arrayBuffer());
  await config(sim);
  try {
    return await phase();
  } finally {
    const { ttftMs, itlMs, tokens } = DEFAULT_BEHAVIOUR;
    await config({ ttftMs, itlMs, tokens });
  }
}

/** Request fields for a prompt of `bytes` bytes, as the cost-growth rows, bench:ab and bench:profile send it (none for 0). */
export const promptOf = (bytes: number): Record<string, unknown> => (bytes > 0 ? { messages: [{ role: "user", content: "x".repeat(bytes) }] } : {});

export const chatBody = (sim: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model: BENCH_MODEL, messages: [{ role: "user", content: "Say something." }], sim, ...extra });

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface NonStreamFigures {
  requests: number;
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

/** autocannon's histograms round to whole milliseconds; its per-response times do not. */
export async function nonStream(target: Target, seconds: number, connections: number, sim: Record<string, unknown> = { tokens: 16 }, extra: Record<string, unknown> = {}): Promise<NonStreamFigures> {
  return withSim(target, sim, () => nonStreamPhase(target, seconds, connections, chatBody(sim, extra)));
}

async function nonStreamPhase(target: Target, seconds: number, connections: number, body: string): Promise<NonStreamFigures> {
  const times: number[] = [];
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      { url: urlOf(target) + PATH, method: "POST", headers: headersOf(target), body, connections, duration: seconds },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  instance.on("response", (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    if (status === 200) times.push(responseTime);
  });
  const result = await done;
  times.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    errors: result.non2xx + result.errors + result.timeouts,
    rps: times.length / seconds,
    p50_ms: percentile(times, 50),
    p99_ms: percentile(times, 99),
  };
}

interface StreamResult {
  ttftMs: number;
  events: number;
  ms: number;
}

/**
 * One streamed request: time to the first body byte, and `data:` events received. `tally`
 * counts events as they arrive, for a stream that is aborted rather than finished.
 */
function streamOnce(agent: Agent, target: Target, body: string, signal?: AbortSignal, tally?: { events: number }): Promise<StreamResult> {
  const base = urlOf(target);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttft = Number.NaN;
    let events = 0;
    let carry = "";
    const req = request(base + PATH, { method: "POST", agent, headers: headersOf(target), ...(signal ? { signal } : {}) }, (res) => {
      res.setEncoding("latin1");
      if (res.statusCode !== 200) {
        // Say what went wrong: a figure built on error responses would be meaningless.
        let text = "";
        res.on("data", (c: string) => void (text += c));
        res.on("end", () => reject(new Error(`${base}: status ${res.statusCode}: ${text.slice(0, 500)}`)));
        return;
      }
      res.on("data", (chunk: string) => {
        if (Number.isNaN(ttft)) ttft = performance.now() - t0;
        // Count event starts; keep a few bytes in case "data:" straddles two chunks.
        const text = carry + chunk;
        const before = events;
        for (let i = text.indexOf("data:"); i !== -1; i = text.indexOf("data:", i + 5)) events++;
        if (tally) tally.events += events - before;
        carry = text.slice(-4);
      });
      res.on("end", () => resolve({ ttftMs: ttft, events, ms: performance.now() - t0 }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function pool<T>(count: number, concurrency: number, job: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      out.push(await job());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

const SHORT_STREAM = { tokens: 4, itlMs: 2 };

/**
 * Short streams: time to first token, with the origin answering at once. The first
 * 2 x `concurrency` streams open the connections and are not counted, for every target
 * alike: each target idles a different while before its turn, so without them the p99
 * would measure how long each had idled (coldTimeToFirstToken measures that on its own).
 */
export async function timeToFirstToken(base: Target, count: number, concurrency: number): Promise<{ p50_ms: number; p99_ms: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const body = chatBody(SHORT_STREAM, STREAM);
  const once = (): Promise<StreamResult> => streamOnce(agent, base, body);
  const results = await withSim(base, SHORT_STREAM, async () => {
    await pool(2 * concurrency, concurrency, once);
    return pool(count, concurrency, once);
  });
  agent.destroy();
  const t = results.map((r) => r.ttftMs).sort((a, b) => a - b);
  return { p50_ms: percentile(t, 50), p99_ms: percentile(t, 99) };
}

/**
 * What a caller coming back pays: `concurrency` short streams at once on new connections,
 * after `idleMs` without a request (longer than the router's key trust and its limiter
 * lease, so it confirms the key and asks the limiter again). Times to first token, sorted.
 */
export async function coldTimeToFirstToken(base: Target, concurrency: number, idleMs: number): Promise<number[]> {
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const body = chatBody(SHORT_STREAM, STREAM);
  const results = await withSim(base, SHORT_STREAM, () => Promise.all(Array.from({ length: concurrency }, () => streamOnce(agent, base, body))));
  agent.destroy();
  return results.map((r) => r.ttftMs).sort((a, b) => a - b);
}

/** Long streams with no inter-token delay: how many tokens per second get through. */
export async function relayedTokensPerSecond(base: Target, streams: number, tokens: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: streams });
  const sim = { tokens, itlMs: 0 };
  const body = chatBody(sim, STREAM);
  const t0 = performance.now();
  const results = await withSim(base, sim, () => Promise.all(Array.from({ length: streams }, () => streamOnce(agent, base, body))));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return results.reduce((n, r) => n + r.events, 0) / seconds;
}

/**
 * Holds `count` slow streams open and samples `sample()` as they grow longer; also returns
 * how many events the streams had received by each sample.
 */
export async function holdStreams<T>(
  base: Target,
  count: number,
  itlMs: number,
  at: readonly number[],
  sample: () => T | Promise<T>,
): Promise<{ samples: T[]; events: number[] }> {
  const agent = new Agent({ keepAlive: false, maxSockets: count });
  const sim = { tokens: 1_000_000, itlMs };
  const body = chatBody(sim, STREAM);
  const tally = { events: 0 };
  return withSim(base, sim, () => holding(agent, base, body, count, at, sample, tally));
}

async function holding<T>(agent: Agent, base: Target, body: string, count: number, at: readonly number[], sample: () => T | Promise<T>, tally: { events: number }): Promise<{ samples: T[]; events: number[] }> {
  const abort = new AbortController();
  const open = Array.from({ length: count }, () => streamOnce(agent, base, body, abort.signal, tally).catch(() => null));
  const samples: T[] = [];
  const events: number[] = [];
  const t0 = performance.now();
  try {
    for (const ms of at) {
      await new Promise((r) => setTimeout(r, Math.max(0, ms - (performance.now() - t0))));
      events.push(tally.events);
      samples.push(await sample());
    }
  } finally {
    abort.abort();
    await Promise.all(open);
    agent.destroy();
  }
  return { samples, events };
}

/**
 * `count` streams of `tokens` tokens, `itlMs` apart (one token per chunk when the gap is
 * above zero), `concurrency` at a time; `extra` goes into the body (stream_options).
 * Returns the events received, for a cost per token.
 */
export async function streamLoad(base: Target, opts: { count: number; concurrency: number; tokens: number; itlMs: number; extra?: Record<string, unknown> }): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const sim = { tokens: opts.tokens, itlMs: opts.itlMs };
  const body = chatBody(sim, { ...STREAM, ...opts.extra });
  const results = await withSim(base, sim, () => pool(opts.count, opts.concurrency, () => streamOnce(agent, base, body)));
  agent.destroy();
  return results.reduce((n, r) => n + r.events, 0);
}
