// Where settle batches go when the limiter object cannot take them: KV, one parking
// function per environment, and the cron's sweep that delivers them later.

import { limiterStubByName } from "./limiter-stub.ts";
import { parkInKv, sweepParked, type SweepResult } from "./parked.ts";
import type { ParkBatch } from "./settle-batch.ts";

/** One parking function per environment, not a closure per request. */
const parkers = new WeakMap<Env, ParkBatch>();

export function parkerFor(env: Env): ParkBatch {
  let park = parkers.get(env);
  if (park === undefined) {
    park = parkInKv(env.KV);
    parkers.set(env, park);
  }
  return park;
}

/** The cron's part: delivers the settle batches parked in KV to their limiter objects. */
export function sweepParkedSettles(env: Env): Promise<SweepResult | null> {
  return sweepParked(env.KV, (limiter) => limiterStubByName(env, limiter)).catch((err: unknown) => {
    // KV itself failed: the batches stay parked for the next minute's run.
    console.log(JSON.stringify({ level: "error", event: "settle_parked_sweep_failed", error: String(err) }));
    return null;
  });
}
