// The isolate's lease flow around one limiter call: admit from the held lease, else call
// the object (asking for a lease when busy) and read its answer. No bindings: the call and
// the clock come in, so unit tests drive it with a fake clock and a hand-made answer.

import { LeaseHolder, type LeaseAsk } from "./lease-holder.ts";
import type { Decision, Limits, Units } from "./rate-limiter.ts";

export type LeaseAnswer = Decision & { lease?: Units };

export class LeaseAdmitter {
  private readonly holder: LeaseHolder;
  private readonly clock: () => number;
  /** Per limiter: settles once the lease ask on its way is answered, or failed. */
  private readonly onItsWay = new Map<string, Promise<void>>();

  constructor(holder: LeaseHolder, clock: () => number) {
    this.holder = holder;
    this.clock = clock;
  }

  /**
   * Admits `want` from the held lease or by `call` (one round trip to the object, bounded by
   * the caller's timeout; it throws if the object could not be asked). A request that finds
   * this isolate's lease ask on its way waits for that answer instead, never longer than the
   * ask itself, and takes from the lease it brings: after an idle second every concurrent
   * request otherwise called the object, each ~1.5 ms CPU on the isolate's one thread. Only
   * if the lease cannot cover it, or the ask failed or brought none, does it call as before.
   * Waiters resume in the order they came, so the first arrivals are served first.
   */
  async admit<A extends LeaseAnswer>(name: string, limits: Limits, want: Units, now: number, call: (ask: LeaseAsk) => Promise<A>): Promise<A | Decision> {
    const fromLease = this.holder.take(name, limits, want, now);
    if (fromLease) return { kind: "granted", granted: want, snapshot: fromLease };
    const pending = this.onItsWay.get(name);
    if (pending) {
      await pending;
      const brought = this.holder.take(name, limits, want, this.clock());
      if (brought) return { kind: "granted", granted: want, snapshot: brought };
    }
    return this.acquire(name, limits, want, pending ? this.clock() : now, call);
  }

  private async acquire<A extends LeaseAnswer>(name: string, limits: Limits, want: Units, now: number, call: (ask: LeaseAsk) => Promise<A>): Promise<A | Decision> {
    const ask = this.holder.beforeAcquire(name, limits, now);
    const answered = call(ask).then((answer) => {
      const decision = this.holder.afterAcquire(name, limits, ask, want, answer, this.clock());
      return decision === answer ? answer : decision;
    });
    if (ask.lease) {
      const settled = answered.then(
        () => undefined,
        () => undefined,
      );
      this.onItsWay.set(name, settled);
      // Gone once answered: a later request that finds no lease asks the object itself.
      void settled.then(() => {
        if (this.onItsWay.get(name) === settled) this.onItsWay.delete(name);
      });
    }
    return answered;
  }
}
