// The isolate's lease flow around one limiter call: admit from the held lease, else call
// the object (asking for a lease when busy) and read its answer. No bindings: the call and
// the clock come in, so unit tests drive it with a fake clock and a hand-made answer.

import { LeaseHolder, type LeaseAsk } from "./lease-holder.ts";
import type { Decision, Limits, Units } from "./rate-limiter.ts";

export type LeaseAnswer = Decision & { lease?: Units };

export class LeaseAdmitter {
  private readonly holder: LeaseHolder;
  private readonly clock: () => number;

  constructor(holder: LeaseHolder, clock: () => number) {
    this.holder = holder;
    this.clock = clock;
  }

  /**
   * Admits `want` from the held lease or by `call` (one round trip to the object, bounded by
   * the caller's timeout; it throws if the object could not be asked).
   */
  async admit<A extends LeaseAnswer>(name: string, limits: Limits, want: Units, now: number, call: (ask: LeaseAsk) => Promise<A>): Promise<A | Decision> {
    const fromLease = this.holder.take(name, limits, want, now);
    if (fromLease) return { kind: "granted", granted: want, snapshot: fromLease };
    const ask = this.holder.beforeAcquire(name, limits, now);
    const answer = await call(ask);
    const decision = this.holder.afterAcquire(name, limits, ask, want, answer, this.clock());
    return decision === answer ? answer : decision;
  }
}
