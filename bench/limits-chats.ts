// The realistic half of `npm run bench:limits`: chats without max_tokens whose answers are
// skewed (many short, a few long), offered at a share of the TPM by many clients, through
// the Worker's own lease and admission code in simulated time. Reservations are either
// the old fixed 256, the learned p99 (the first learned rule) or the learned mean
// (completion-sketch.ts, today's); callers either take the 429 or send
// Prefer: wait. Prints how much of the limit is usable and whether the stated bound holds.

import { addCounts, countsOf, emptySketch, quantilePerChoice, reservedPerChoice, type Sketch } from "../src/quota/completion-sketch.ts";
import { COMPLETION_WEIGHT, EXPECTED_COMPLETION } from "../src/quota/estimate.ts";
import { grantWithLease, returnLease } from "../src/quota/lease.ts";
import { LeaseHolder } from "../src/quota/lease-holder.ts";
import { freshState, settleNet, unpaidDebt, type Decision, type LimiterState, type Limits, type Units } from "../src/quota/rate-limiter.ts";
// A simulated isolate's batches carry a record or two: the Worker gathers those for the longest window.
import { BATCH_WINDOW_MAX_MS as BATCH_WINDOW_MS } from "../src/quota/settle-batch.ts";
import { bucketOf, MINUTE_MS } from "../src/quota/token-bucket.ts";
import { prng } from "../sim/prng.ts";

export interface ChatRun {
  attempts: number;
  admitted: number;
  /** Units really used / (burst + limit x duration), on the TPM. */
  usableShare: number;
  /** Worst 60-s window above limit + burst, and above the stated bound (limit + burst + X_end + F_start). */
  overLimitBurst: number;
  overBound: number;
  /** The largest X_end of any window: the excess over reservation of requests in flight at its end. */
  xEndMax: number;
  /** The largest D_end of any window: excess already charged and not yet paid off by the refill at its end. */
  dEndMax: number;
  /** Of the requests over the limit when they came: the share admitted after a wait, not refused. */
  waitedShare: number;
  waitP50: number;
  waitP99: number;
}

/** LONG_SHARE long answers (100-1500 tokens, most near 100), the rest short (5-60); prompts of 20-300 tokens. */
export const LONG_SHARE = Number(process.env.LONG_SHARE ?? 0.05);
function chatOf(rnd: () => number, longShare = LONG_SHARE): { prompt: number; completion: number } {
  const prompt = 20 + Math.floor(rnd() * 280);
  const completion = rnd() >= longShare ? 5 + Math.floor(rnd() * 55) : 100 + Math.floor(rnd() ** 2 * 1400);
  return { prompt, completion };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

interface Done {
  start: number;
  end: number;
  reserved: number;
  used: number;
}

/** The bound of docs/design/rate-limits.md, checked over windows that open at each start. */
function windows(done: Done[], allowed: number, debtAt: (t: number) => number): { overLimitBurst: number; overBound: number; xEndMax: number; dEndMax: number } {
  const byStart = [...done].sort((a, b) => a.start - b.start);
  let overLimitBurst = 0;
  let overBound = 0;
  let xEndMax = 0;
  let dEndMax = 0;
  for (let i = 0; i < byStart.length; i++) {
    const a = byStart[i]!.start;
    const b = a + MINUTE_MS;
    let used = 0;
    let xEnd = 0;
    for (let j = i; j < byStart.length && byStart[j]!.start < b; j++) {
      const d = byStart[j]!;
      used += d.used;
      if (d.end >= b) xEnd += Math.max(0, d.used - d.reserved);
    }
    let fStart = 0;
    for (const d of done) if (d.start < a && d.end >= a && d.end < b) fStart += Math.max(0, d.reserved - d.used);
    const dEnd = debtAt(b);
    xEndMax = Math.max(xEndMax, xEnd);
    dEndMax = Math.max(dEndMax, dEnd);
    overLimitBurst = Math.max(overLimitBurst, used - allowed);
    overBound = Math.max(overBound, used - (allowed + xEnd + fStart + dEnd));
  }
  return { overLimitBurst: Math.max(0, overLimitBurst), overBound: Math.max(0, overBound), xEndMax, dEndMax };
}

/** D_end at `t` (unpaidDebt), from `timeline`: the limiter's state after each event, in time order. */
function debtFrom(limits: Limits, timeline: ReadonlyArray<{ at: number; state: LimiterState }>): (t: number) => number {
  return (t) => {
    let lo = 0;
    let hi = timeline.length - 1;
    if (hi < 0 || timeline[0]!.at > t) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (timeline[mid]!.at <= t) lo = mid;
      else hi = mid - 1;
    }
    return unpaidDebt(limits, timeline[lo]!.state, t);
  };
}

/** How a request without max_tokens reserves its completion: fixed 256 (first), learned p99 (second), learned mean (now). */
export type Reservation = "fixed" | "p99" | "mean";
const perChoice = (r: Reservation, s: Sketch): number => (r === "fixed" ? EXPECTED_COMPLETION : r === "p99" ? quantilePerChoice(s, 0.99) : reservedPerChoice(s));

type Ev =
  | { at: number; kind: "arrive"; prompt: number; completion: number; isolate: number }
  | { at: number; kind: "settle"; granted: Units; used: Units; sample: number; isolate: number }
  | { at: number; kind: "flush"; isolate: number };

export function simulateChats(limits: Limits, load: number, opts: { clients: number; durationMs: number; seed: number; isolates: number; waitMs: number; reservation: Reservation; longShare?: number }): ChatRun {
  const rnd = prng(opts.seed);
  let probe = 0;
  for (let i = 0; i < 10_000; i++) {
    const c = chatOf(rnd, opts.longShare);
    probe += c.prompt + COMPLETION_WEIGHT * c.completion;
  }
  const perMinute = (load * limits.tpm) / (probe / 10_000);
  const meanGapMs = (MINUTE_MS * opts.clients) / perMinute;
  const queue: Ev[] = [];
  for (let c = 0; c < opts.clients; c++) {
    for (let t = -Math.log(1 - rnd()) * meanGapMs; t < opts.durationMs; t += -Math.log(1 - rnd()) * meanGapMs) queue.push({ at: Math.floor(t), kind: "arrive", ...chatOf(rnd, opts.longShare), isolate: c % opts.isolates });
  }
  queue.sort((a, b) => a.at - b.at);
  const push = (ev: Ev): void => {
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.at > ev.at) i--;
    queue.splice(i, 0, ev);
  };
  let state = freshState(limits, 0);
  let sketch = emptySketch();
  let seq = 0;
  const holders = Array.from({ length: opts.isolates }, () => new LeaseHolder(() => `lease-${seq++}`));
  const known = Array.from({ length: opts.isolates }, () => EXPECTED_COMPLETION);
  const batches = new Map<number, { net: Units; samples: number[] }>();
  const done: Done[] = [];
  const waits: number[] = [];
  let attempts = 0;
  let refused = 0;
  const timeline: Array<{ at: number; state: LimiterState }> = [];
  const NAME = "project/model";
  while (queue.length > 0) {
    const ev = queue.shift()!;
    if (ev.kind === "flush") {
      const batch = batches.get(ev.isolate)!;
      batches.delete(ev.isolate);
      state = settleNet(limits, state, batch.net, ev.at);
      timeline.push({ at: ev.at, state });
      sketch = addCounts(sketch, countsOf(batch.samples));
      known[ev.isolate] = perChoice(opts.reservation, sketch);
      continue;
    }
    if (ev.kind === "settle") {
      let batch = batches.get(ev.isolate);
      if (!batch) {
        batch = { net: { requests: 0, tokens: 0 }, samples: [] };
        batches.set(ev.isolate, batch);
        push({ at: ev.at + BATCH_WINDOW_MS, kind: "flush", isolate: ev.isolate });
      }
      batch.net.requests += ev.granted.requests - ev.used.requests;
      batch.net.tokens += ev.granted.tokens - ev.used.tokens;
      batch.samples.push(ev.sample);
      continue;
    }
    attempts++;
    const holder = holders[ev.isolate]!;
    const learnedNow = perChoice(opts.reservation, sketch);
    const leaseWant = { requests: 1, tokens: ev.prompt + COMPLETION_WEIGHT * known[ev.isolate]! };
    let granted: Units | null = holder.take(NAME, limits, leaseWant, ev.at) !== null ? leaseWant : null;
    let start = ev.at;
    if (!granted) {
      const want = { requests: 1, tokens: ev.prompt + COMPLETION_WEIGHT * learnedNow };
      known[ev.isolate] = learnedNow;
      const ask = holder.beforeAcquire(NAME, limits, ev.at);
      if (ask.returned.length > 0) state = returnLease(limits, state, ask.returned, ev.at);
      const g = grantWithLease(limits, state, want, ask.lease, ev.at, opts.waitMs);
      state = g.state;
      timeline.push({ at: ev.at, state });
      const answer: Decision & { lease?: Units } = g.lease ? { ...g.decision, lease: g.lease } : g.decision;
      const d = holder.afterAcquire(NAME, limits, ask, want, answer, ev.at);
      if (d.kind === "granted") {
        granted = d.granted;
        if (d.startAt !== undefined) {
          start = d.startAt;
          waits.push(d.startAt - ev.at);
        }
      } else refused++;
    }
    if (!granted) continue;
    const used = { requests: 1, tokens: ev.prompt + COMPLETION_WEIGHT * ev.completion };
    const end = start + 200 + 30 * ev.completion;
    done.push({ start, end, reserved: granted.tokens, used: used.tokens });
    push({ at: end, kind: "settle", granted, used, sample: ev.completion, isolate: ev.isolate });
  }
  const tb = bucketOf(limits.tpm);
  const capacity = tb.burst + (limits.tpm * opts.durationMs) / MINUTE_MS;
  const usedTok = done.filter((d) => d.start < opts.durationMs).reduce((n, d) => n + d.used, 0);
  return {
    attempts,
    admitted: done.length,
    usableShare: usedTok / capacity,
    ...windows(done, limits.tpm + tb.burst, debtFrom(limits, timeline)),
    waitedShare: waits.length + refused === 0 ? 0 : waits.length / (waits.length + refused),
    waitP50: quantile(waits, 0.5),
    waitP99: quantile(waits, 0.99),
  };
}
