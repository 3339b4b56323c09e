// The admission half of `npm run bench:limits`: the pure limiter driven in simulated time
// by many clients at a fraction of a project's limits, with reservations settled when each
// simulated request ends (summed per isolate and 5-ms window, as the Worker batches them),
// and the figures that say how exact the admission was.

import { grantWithLease, returnLease } from "../src/quota/lease.ts";
import { LeaseHolder } from "../src/quota/lease-holder.ts";
import { freshState, settleNet, type Decision, type Limits, type Units } from "../src/quota/rate-limiter.ts";
// A simulated isolate's batches carry a record or two: the Worker gathers those for the longest window.
import { BATCH_WINDOW_MAX_MS as BATCH_WINDOW_MS } from "../src/quota/settle-batch.ts";
import { SettleSum } from "../src/quota/settle-sum.ts";
import { COMPLETION_WEIGHT, EXPECTED_COMPLETION } from "../src/quota/estimate.ts";
import { bucketOf, MINUTE_MS } from "../src/quota/token-bucket.ts";
import { prng } from "../sim/prng.ts";

export interface SimRun {
  load: number;
  attempts: number;
  admitted: number;
  /** Worst count above limit + burst in any 60-s window, requests and TPM units. */
  overRequests: number;
  overTokens: number;
  /** Share of the capacity (burst + limit x duration) of the busier dimension left unused. */
  underAdmission: number;
  /** Limiter calls (acquires, and settle batches per isolate and 5-ms window) per attempted request. */
  callsPerRequest: number;
  /** Attempts admitted from an isolate's lease, without a call. */
  fromLease: number;
  /** Settled units that differed from the reservation: refunded and charged as debt. */
  refunded: number;
  charged: number;
}


interface Req {
  prompt: number;
  maxTokens: number;
  completion: number;
}

/** A chat request: prompt 50-500 tokens, max_tokens 16-400, the answer 20-110 % of 256 or max_tokens. */
function request(rnd: () => number): Req {
  const prompt = 50 + Math.floor(rnd() * 450);
  const maxTokens = 16 + Math.floor(rnd() * 384);
  const completion = Math.min(maxTokens, Math.floor(Math.min(maxTokens, EXPECTED_COMPLETION) * (0.2 + rnd() * 0.9)));
  return { prompt, maxTokens, completion };
}
const unitsOf = (prompt: number, completion: number): number => prompt + COMPLETION_WEIGHT * completion;

/** Most a 60-s window holds above `allowed`, over windows that start at each event. */
function worstExcess(events: ReadonlyArray<{ at: number; units: number }>, allowed: number): number {
  let worst = 0;
  let sum = 0;
  let j = 0;
  for (let i = 0; i < events.length; i++) {
    while (j < events.length && events[j]!.at < events[i]!.at + MINUTE_MS) sum += events[j++]!.units;
    worst = Math.max(worst, sum - allowed);
    sum -= events[i]!.units;
  }
  return Math.max(0, worst);
}

/**
 * `isolates` edge isolates share the clients (each client always reaches the same one),
 * each running the Worker's own lease code (LeaseHolder) against one limiter that runs the
 * object's (grantWithLease); with `leases: false` every attempt asks the limiter.
 */
export function simulate(limits: Limits, load: number, opts: { clients: number; durationMs: number; seed: number; isolates: number; leases: boolean }): SimRun {
  const rnd = prng(opts.seed);
  // Mean TPM units of a request, to size the offered load on the busier limit.
  let probe = 0;
  for (let i = 0; i < 10_000; i++) {
    const r = request(rnd);
    probe += unitsOf(r.prompt, r.completion);
  }
  const meanUnits = probe / 10_000;
  const perMinute = load * Math.min(limits.rpm, limits.tpm / meanUnits);
  // Each client sends at its own Poisson rate; together they offer `load` x the limit.
  const meanGapMs = (MINUTE_MS * opts.clients) / perMinute;
  type Ev =
    | { at: number; kind: "arrive"; req: Req; isolate: number }
    | { at: number; kind: "settle"; granted: Units; used: Units; isolate: number }
    | { at: number; kind: "flush"; isolate: number };
  const queue: Ev[] = [];
  for (let c = 0; c < opts.clients; c++) {
    for (let t = -Math.log(1 - rnd()) * meanGapMs; t < opts.durationMs; t += -Math.log(1 - rnd()) * meanGapMs) {
      queue.push({ at: Math.floor(t), kind: "arrive", req: request(rnd), isolate: c % opts.isolates });
    }
  }
  queue.sort((a, b) => a.at - b.at);

  let state = freshState(limits, 0);
  let calls = 0;
  let fromLease = 0;
  let leaseSeq = 0;
  const holders = Array.from({ length: opts.isolates }, () => new LeaseHolder(() => `lease-${leaseSeq++}`));
  // Each isolate's open settle batch, sent (applied at the object) when its window ends.
  const batches = new Map<number, SettleSum>();
  let settleCalls = 0;
  const NAME = "project/model";
  let attempts = 0;
  let refunded = 0;
  let charged = 0;
  const grantedReqs: Array<{ at: number; units: number }> = [];
  const grantedTokens: Array<{ at: number; units: number }> = [];
  // Settlements are few at a time; a sorted insert keeps the queue in time order.
  const push = (ev: Ev): void => {
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.at > ev.at) i--;
    queue.splice(i, 0, ev);
  };
  while (queue.length > 0) {
    const ev = queue.shift()!;
    if (ev.kind === "flush") {
      settleCalls++;
      state = settleNet(limits, state, batches.get(ev.isolate)!.batch().net, ev.at);
      batches.delete(ev.isolate);
      continue;
    }
    if (ev.kind === "settle") {
      let batch = batches.get(ev.isolate);
      if (!batch) {
        batch = new SettleSum(`batch-${settleCalls}`, limits);
        batches.set(ev.isolate, batch);
        push({ at: ev.at + BATCH_WINDOW_MS, kind: "flush", isolate: ev.isolate });
      }
      batch.add({ limits, granted: ev.granted, used: ev.used, usage: null, keyId: "k", hour: 0 });
      const diff = ev.granted.tokens - ev.used.tokens;
      if (diff > 0) refunded += diff;
      else charged -= diff;
      continue;
    }
    attempts++;
    const { prompt, maxTokens, completion } = ev.req;
    // max_tokens is reserved whole (estimate.ts): the worst case, so no answer exceeds it.
    const want = { requests: 1, tokens: unitsOf(prompt, maxTokens) };
    const holder = holders[ev.isolate]!;
    let granted = opts.leases && holder.take(NAME, limits, want, ev.at) !== null;
    if (granted) {
      fromLease++;
    } else {
      calls++;
      const ask = opts.leases ? holder.beforeAcquire(NAME, limits, ev.at) : { returned: [] };
      if (ask.returned.length > 0) state = returnLease(limits, state, ask.returned, ev.at);
      const g = grantWithLease(limits, state, want, ask.lease, ev.at);
      state = g.state;
      const answer: Decision & { lease?: Units } = g.lease ? { ...g.decision, lease: g.lease } : g.decision;
      const decision = opts.leases ? holder.afterAcquire(NAME, limits, ask, want, answer, ev.at) : answer;
      granted = decision.kind === "granted";
    }
    if (!granted) continue;
    const used = { requests: 1, tokens: unitsOf(prompt, completion) };
    grantedReqs.push({ at: ev.at, units: 1 });
    grantedTokens.push({ at: ev.at, units: used.tokens });
    // A stream of 30 ms per token after 200 ms to the first.
    push({ at: ev.at + 200 + 30 * completion, kind: "settle", granted: want, used, isolate: ev.isolate });
  }
  const rb = bucketOf(limits.rpm);
  const tb = bucketOf(limits.tpm);
  const capacityReq = rb.burst + (limits.rpm * opts.durationMs) / MINUTE_MS;
  const capacityTok = tb.burst + (limits.tpm * opts.durationMs) / MINUTE_MS;
  const usedReq = grantedReqs.length;
  const usedTok = grantedTokens.reduce((n, e) => n + e.units, 0);
  return {
    load,
    attempts,
    admitted: usedReq,
    overRequests: worstExcess(grantedReqs, limits.rpm + rb.burst),
    overTokens: worstExcess(grantedTokens, limits.tpm + tb.burst),
    underAdmission: Math.max(0, 1 - Math.max(usedReq / capacityReq, usedTok / capacityTok)),
    callsPerRequest: (calls + settleCalls) / attempts,
    fromLease,
    refunded,
    charged,
  };
}
