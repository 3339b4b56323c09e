// The isolate's side of edge leases, pure: which lease it holds per limiter, when to ask
// for one, what to give back, and how to read the object's answer. The Worker wraps it
// around the limiter call; the limits benchmark runs the same code in simulated time.

import { LEASE_MS, leaseReturn, leaseSize, leaseSnapshot, mergeLease, takeFromLease, worthLeasing, type Lease } from "./lease.ts";
import { LIMITER_TIMEOUT_MS } from "./limiter-timeout.ts";
import type { Decision, Limits, Snapshot, Units } from "./rate-limiter.ts";

/** The object has requests waiting (Prefer: wait): this one waits too, or was refused behind them. */
const isQueue = (d: Decision): boolean => (d.kind === "granted" && d.startAt !== undefined) || (d.kind === "limited" && d.waiting === true);

export interface Returned {
  id: string;
  granted: Units;
  used: Units;
}

export interface LeaseAsk {
  /** Ask for this lease along with the request, if set. */
  lease?: { id: string; want: Units };
  /** Give these back in the same call. */
  returned: Returned[];
}

export class LeaseHolder {
  readonly #leases = new Map<string, Lease>();
  readonly #lastAsked = new Map<string, number>();
  /** When the lease ask still on its way per limiter was sent; gone once its answer is back. */
  readonly #asking = new Map<string, number>();

  readonly #newId: () => string;

  constructor(newId: () => string) {
    this.#newId = newId;
  }

  /** Stops admitting from the held lease; it is given back with the next call. */
  #close(name: string): void {
    const lease = this.#leases.get(name);
    if (lease) lease.expiresAt = -Infinity;
  }

  /** Admits from the held lease, without a call: the headers' counters, or null. */
  take(name: string, limits: Limits, want: Units, now: number): Snapshot | null {
    const lease = this.#leases.get(name);
    return takeFromLease(lease, limits, want, now) ? leaseSnapshot(lease!) : null;
  }

  /**
   * Before calling the object: the held lease could not serve this request (expired, too
   * small, other limits), so back it goes; and a busy isolate (it asked this limiter
   * within a lease's life) asks for a fresh one, unless one is on its way already: if each
   * of many concurrent requests asked, the burst would go into this isolate's leases at
   * once, starving the others, and what it did not use would come back only with its next
   * call, or never if none came (the object then stops holding it but does not refund it).
   * An ask whose answer never came (the call failed) stops counting after the longest wait.
   */
  beforeAcquire(name: string, limits: Limits, now: number): LeaseAsk {
    const old = this.#leases.get(name);
    this.#leases.delete(name);
    const size = leaseSize(limits);
    const busy = now - (this.#lastAsked.get(name) ?? -Infinity) < LEASE_MS;
    const onItsWay = now - (this.#asking.get(name) ?? -Infinity) < LIMITER_TIMEOUT_MS;
    this.#lastAsked.set(name, now);
    if (this.#lastAsked.size > 10_000) this.#lastAsked.clear();
    const ask = busy && !onItsWay && worthLeasing(size);
    if (ask) this.#asking.set(name, now);
    if (this.#asking.size > 10_000) this.#asking.clear();
    return {
      ...(ask ? { lease: { id: this.#newId(), want: size } } : {}),
      returned: old ? leaseReturn(old) : [],
    };
  }

  /**
   * The object's answer: a granted lease joins any another request brought meanwhile, and
   * a refusal is served from such a lease, so leased capacity never idles while requests wait.
   */
  afterAcquire(name: string, limits: Limits, ask: LeaseAsk, want: Units, decision: Decision & { lease?: Units }, now: number): Decision {
    if (ask.lease) this.#asking.delete(name);
    if (isQueue(decision)) {
      // Requests wait at the object: what this isolate holds goes back with its next call,
      // to the waiters in their order, rather than to requests that come after them.
      this.#close(name);
      return decision;
    }
    if (decision.lease && ask.lease) {
      const fresh: Lease = { parts: [{ id: ask.lease.id, granted: decision.lease }], limits, left: decision.lease, snapshot: decision.snapshot, expiresAt: now + LEASE_MS };
      this.#leases.set(name, mergeLease(this.#leases.get(name), fresh));
    }
    if (decision.kind === "limited") {
      const snapshot = this.take(name, limits, want, now);
      if (snapshot) return { kind: "granted", granted: want, snapshot };
    }
    return decision;
  }
}
