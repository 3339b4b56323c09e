// Circuit breaker for one origin, as a pure state machine: (state, event, now) -> state.
// Closed lets traffic through and counts consecutive failures; open skips the origin
// until a cool-down ends; half-open lets exactly one probe request through.

export interface BreakerConfig {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** First cool-down; doubled after each failed probe, up to maxCooldownMs. */
  cooldownMs: number;
  maxCooldownMs: number;
  /** A probe that never reports back frees its slot after this long. */
  probeTimeoutMs: number;
}

export const DEFAULT_BREAKER: BreakerConfig = { failureThreshold: 3, cooldownMs: 5_000, maxCooldownMs: 60_000, probeTimeoutMs: 30_000 };

export type BreakerState =
  | { kind: "closed"; failures: number }
  | { kind: "open"; until: number; cooldownMs: number }
  | { kind: "half_open"; probeSince: number; cooldownMs: number };

export const CLOSED: BreakerState = { kind: "closed", failures: 0 };

/** Whether a request could be sent now, without claiming anything (for ranking). */
export function isAvailable(s: BreakerState, now: number, cfg: BreakerConfig): boolean {
  switch (s.kind) {
    case "closed":
      return true;
    case "open":
      return now >= s.until;
    case "half_open":
      return now - s.probeSince >= cfg.probeTimeoutMs;
  }
}

/** Lets a request through the breaker if the state allows; a request let through an expired breaker is its probe. */
export function passBreaker(s: BreakerState, now: number, cfg: BreakerConfig): { allowed: boolean; next: BreakerState } {
  if (!isAvailable(s, now, cfg)) return { allowed: false, next: s };
  if (s.kind === "closed") return { allowed: true, next: s };
  return { allowed: true, next: { kind: "half_open", probeSince: now, cooldownMs: s.cooldownMs } };
}

/** A complete answer proves the origin works: the breaker closes and forgets past failures. */
export function onSuccess(): BreakerState {
  return CLOSED;
}

/**
 * The first bytes of an answer arrived, the rest may still break. That settles a probe
 * (the origin serves again) but does not wipe out the count of a closed breaker, so an
 * origin that keeps breaking its streams still opens it.
 */
export function onFirstByte(s: BreakerState): BreakerState {
  return s.kind === "half_open" ? CLOSED : s;
}

export function onFailure(s: BreakerState, now: number, cfg: BreakerConfig): BreakerState {
  switch (s.kind) {
    case "closed": {
      const failures = s.failures + 1;
      if (failures < cfg.failureThreshold) return { kind: "closed", failures };
      return { kind: "open", until: now + cfg.cooldownMs, cooldownMs: cfg.cooldownMs };
    }
    case "half_open": {
      const cooldownMs = Math.min(s.cooldownMs * 2, cfg.maxCooldownMs);
      return { kind: "open", until: now + cooldownMs, cooldownMs };
    }
    case "open":
      // A late report from a request let through before the breaker opened.
      return s;
  }
}

/** A probe that ended without a verdict (the client left): the next request may probe at once. */
export function onAbandon(s: BreakerState, now: number): BreakerState {
  return s.kind === "half_open" ? { kind: "open", until: now, cooldownMs: s.cooldownMs } : s;
}

/** When the origin may next be tried, or null if it may be tried now. */
export function retryAt(s: BreakerState, now: number, cfg: BreakerConfig): number | null {
  if (isAvailable(s, now, cfg)) return null;
  return s.kind === "open" ? s.until : s.kind === "half_open" ? s.probeSince + cfg.probeTimeoutMs : null;
}
