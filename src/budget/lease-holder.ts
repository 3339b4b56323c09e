// The isolate's side of budget leases, pure: per project and key, a slice of the budget
// the object has already set aside, from which requests reserve their worst case without
// a round trip. What a request did not use comes back into the lease when it settles
// while the lease is live; the rest goes back to the object when the lease is replaced.

import { LEASE_MS } from "./book.ts";

/** What the response headers show: the binding budget as the object last reported it. */
export interface BudgetSnapshot {
  scope: "project" | "key";
  limit: number;
  /** Headroom at the object when it answered, every hold out (this isolate's lease included). */
  remaining: number;
  reset: number;
}

interface Lease {
  id: string;
  left: number;
  until: number;
  snapshot: BudgetSnapshot;
}

export interface Returned {
  id: string;
  unused: number;
}

export interface LeaseAsk {
  lease?: { id: string };
  /** Leases given back: the object stops holding what they did not commit. */
  returned: Returned[];
}

const MAX_NAMES = 10_000;

export class BudgetLeaseHolder {
  readonly #leases = new Map<string, Lease>();
  readonly #lastAsked = new Map<string, number>();
  /** Names with a lease asked for and not yet answered: one ask at a time per name. */
  readonly #asking = new Set<string>();
  /** Leases granted while another was live: given back whole with the next call. */
  #spare: Array<Returned & { prefix: string }> = [];
  readonly #newId: () => string;

  constructor(newId: () => string) {
    this.#newId = newId;
  }

  /** Reserves `worst` from the live lease: its id and the headers' view, or null. */
  take(name: string, worst: number, now: number): { leaseId: string; snapshot: BudgetSnapshot } | null {
    const l = this.#leases.get(name);
    if (l === undefined || l.until <= now || l.left < worst) return null;
    // Remaining as the request found it: the object's headroom plus what this lease still had.
    const snapshot = { ...l.snapshot, remaining: l.snapshot.remaining + l.left };
    l.left -= worst;
    return { leaseId: l.id, snapshot };
  }

  /**
   * A request from lease `leaseId` ended: if that lease is still the live one, what the
   * request did not use is usable again here, and true tells the object so.
   */
  refund(name: string, leaseId: string, micros: number, now: number): boolean {
    const l = this.#leases.get(name);
    if (l === undefined || l.id !== leaseId || l.until <= now) return false;
    l.left += micros;
    return true;
  }

  /**
   * Leases past their use window, removed: every call to an object carries them back, so
   * an idle lease holds the budget only until this isolate next talks to that object.
   */
  expired(prefix: string, now: number): Returned[] {
    const out: Returned[] = [];
    if (this.#spare.length > 0) {
      for (const r of this.#spare) if (r.prefix === prefix) out.push({ id: r.id, unused: r.unused });
      this.#spare = this.#spare.filter((r) => r.prefix !== prefix);
    }
    for (const [name, l] of this.#leases) {
      if (l.until <= now && name.startsWith(prefix)) {
        this.#leases.delete(name);
        out.push({ id: l.id, unused: l.left });
      }
    }
    return out;
  }

  /** Before asking the object: the old lease goes back; a busy isolate asks for a new one. */
  beforeReserve(name: string, prefix: string, now: number): LeaseAsk {
    const old = this.#leases.get(name);
    this.#leases.delete(name);
    const returned = this.expired(prefix, now);
    if (old !== undefined) returned.push({ id: old.id, unused: old.left });
    const busy = now - (this.#lastAsked.get(name) ?? -Infinity) < LEASE_MS;
    if (this.#lastAsked.size >= MAX_NAMES) this.#lastAsked.clear();
    this.#lastAsked.set(name, now);
    if (!busy || this.#asking.has(name)) return { returned };
    this.#asking.add(name);
    return { lease: { id: this.#newId() }, returned };
  }

  /** The object's answer: a granted lease becomes the live one. */
  afterReserve(name: string, prefix: string, ask: LeaseAsk, lease: number, snapshot: BudgetSnapshot, now: number): void {
    if (ask.lease === undefined) return;
    this.#asking.delete(name);
    if (lease <= 0) return;
    const live = this.#leases.get(name);
    // A lease must never be dropped while the object holds it: one too many goes back.
    if ((live !== undefined && live.until > now) || this.#leases.size >= MAX_NAMES) {
      this.#spare.push({ id: ask.lease.id, unused: lease, prefix });
      return;
    }
    if (live !== undefined) this.#spare.push({ id: live.id, unused: live.left, prefix });
    this.#leases.set(name, { id: ask.lease.id, left: lease, until: now + LEASE_MS, snapshot });
  }

  /** The call failed: the lease it asked for may come later, so asking is open again. */
  askFailed(name: string): void {
    this.#asking.delete(name);
  }
}
