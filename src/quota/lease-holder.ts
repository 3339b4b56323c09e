// The isolate's side of edge leases, pure: which lease it holds per limiter, when to ask
// for one, what to give back, and how to read the object's answer. The Worker wraps it
// around the limiter call; the limits benchmark runs the same code in simulated time.

import { LEASE_MS, leaseReturn, leaseSize, leaseSnapshot, mergeLease, takeFromLease, worthLeasing, type Lease } from "./lease.ts";
import { LIMITER_TIMEOUT_MS } from "./limiter-timeout.ts";

/**
 * A lease in use asks for its successor in its last this many ms, beside the request it
 * served: a busy isolate's requests then never wait for the limiter at a lease's end.
 */
export const LEASE_RENEW_AHEAD_MS = 250;
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
  private readonly leases = new Map<string, Lease>();
  private readonly lastAsked = new Map<string, number>();
  /** When the lease ask still on its way per limiter was sent; gone once its answer is back. */
  private readonly asking = new Map<string, number>();
  /** Leases replaced by a successor asked ahead: what they did not use goes back with the next call. */
  private readonly retired = new Map<string, Returned[]>();

  private readonly newId: () => string;

  constructor(newId: () => string) {
    this.newId = newId;
  }

  /** Stops admitting from the held lease; it is given back with the next call. */
  private close(name: string): void {
    const lease = this.leases.get(name);
    if (lease) lease.expiresAt = -Infinity;
  }

  /** Admits from the held lease, without a call: the headers' counters, or null. */
  take(name: string, limits: Limits, want: Units, now: number): Snapshot | null {
    const lease = this.leases.get(name);
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
    const old = this.leases.get(name);
    this.leases.delete(name);
    const size = leaseSize(limits);
    const busy = now - (this.lastAsked.get(name) ?? -Infinity) < LEASE_MS;
    const onItsWay = now - (this.asking.get(name) ?? -Infinity) < LIMITER_TIMEOUT_MS;
    this.lastAsked.set(name, now);
    if (this.lastAsked.size > 10_000) this.lastAsked.clear();
    const ask = busy && !onItsWay && worthLeasing(size);
    if (ask) this.asking.set(name, now);
    if (this.asking.size > 10_000) this.asking.clear();
    return {
      ...(ask ? { lease: { id: this.newId(), want: size } } : {}),
      returned: [...this.takeRetired(name), ...(old ? leaseReturn(old) : [])],
    };
  }

  private takeRetired(name: string): Returned[] {
    const r = this.retired.get(name) ?? [];
    this.retired.delete(name);
    return r;
  }

  /**
   * After a request was served from the held lease: in the lease's last
   * LEASE_RENEW_AHEAD_MS, the ask for its successor (nothing for the request itself), to
   * send in the background while the held lease keeps serving; null if not due or an ask
   * is on its way (one per limiter, as in beforeAcquire; a failed one stops counting only
   * after LIMITER_TIMEOUT_MS, so a failing object is not asked by every request).
   */
  aheadAsk(name: string, limits: Limits, now: number): LeaseAsk | null {
    const lease = this.leases.get(name);
    if (!lease || lease.expiresAt - now > LEASE_RENEW_AHEAD_MS || lease.expiresAt <= now) return null;
    if (now - (this.asking.get(name) ?? -Infinity) < LIMITER_TIMEOUT_MS) return null;
    const size = leaseSize(limits);
    if (!worthLeasing(size)) return null;
    this.asking.set(name, now);
    this.lastAsked.set(name, now);
    return { lease: { id: this.newId(), want: size }, returned: this.takeRetired(name) };
  }

  /**
   * The answer to an ask made ahead: the successor replaces the held lease, whose unused
   * rest goes back with the next call. The held lease stops serving now, not later: its
   * capacity is held at the object only for its own life (LEASE_HOLD_MS from its grant),
   * so merging it into the successor would let it be used past that.
   */
  afterAhead(name: string, limits: Limits, decision: Decision & { lease?: Units }, ask: LeaseAsk, now: number): void {
    this.asking.delete(name);
    if (isQueue(decision)) return this.close(name);
    if (!decision.lease || !ask.lease) return;
    const held = this.leases.get(name);
    if (held) this.retired.set(name, [...(this.retired.get(name) ?? []), ...leaseReturn(held)]);
    if (this.retired.size > 10_000) this.retired.clear();
    this.leases.set(name, { parts: [{ id: ask.lease.id, granted: decision.lease }], limits, left: decision.lease, snapshot: decision.snapshot, expiresAt: now + LEASE_MS });
  }

  /**
   * The object's answer: a granted lease joins any another request brought meanwhile, and
   * a refusal is served from such a lease, so leased capacity never idles while requests wait.
   */
  afterAcquire(name: string, limits: Limits, ask: LeaseAsk, want: Units, decision: Decision & { lease?: Units }, now: number): Decision {
    if (ask.lease) this.asking.delete(name);
    if (isQueue(decision)) {
      // Requests wait at the object: what this isolate holds goes back with its next call,
      // to the waiters in their order, rather than to requests that come after them.
      this.close(name);
      return decision;
    }
    if (decision.lease && ask.lease) {
      const fresh: Lease = { parts: [{ id: ask.lease.id, granted: decision.lease }], limits, left: decision.lease, snapshot: decision.snapshot, expiresAt: now + LEASE_MS };
      this.leases.set(name, mergeLease(this.leases.get(name), fresh));
    }
    if (decision.kind === "limited") {
      const snapshot = this.take(name, limits, want, now);
      if (snapshot) return { kind: "granted", granted: want, snapshot };
    }
    return decision;
  }
}
