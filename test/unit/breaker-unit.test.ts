import { describe, expect, it } from "vitest";
import { passBreaker, CLOSED, isAvailable, onAbandon, onFailure, onFirstByte, onSuccess, retryAt, type BreakerConfig, type BreakerState } from "../../src/origins/breaker.ts";

const cfg: BreakerConfig = { failureThreshold: 3, cooldownMs: 1000, maxCooldownMs: 4000, probeTimeoutMs: 10_000 };

function fail(s: BreakerState, times: number, now: number): BreakerState {
  for (let i = 0; i < times; i++) s = onFailure(s, now, cfg);
  return s;
}

describe("circuit breaker", () => {
  it("stays closed below the threshold and lets everything through", () => {
    const s = fail(CLOSED, 2, 0);
    expect(s).toEqual({ kind: "closed", failures: 2 });
    expect(passBreaker(s, 0, cfg).allowed).toBe(true);
  });

  it("a success resets the count of consecutive failures", () => {
    const s = fail(onSuccess(), 2, 0);
    expect(fail(onSuccess(), 2, 0)).toEqual(s);
    expect(onFailure(onSuccess(), 0, cfg)).toEqual({ kind: "closed", failures: 1 });
  });

  it("opens at the threshold and skips the origin until the cool-down ends", () => {
    const s = fail(CLOSED, 3, 100);
    expect(s).toEqual({ kind: "open", until: 1100, cooldownMs: 1000 });
    expect(isAvailable(s, 1099, cfg)).toBe(false);
    expect(passBreaker(s, 1099, cfg)).toEqual({ allowed: false, next: s });
    expect(retryAt(s, 500, cfg)).toBe(1100);
  });

  it("lets exactly one probe through after the cool-down", () => {
    const open = fail(CLOSED, 3, 0);
    const first = passBreaker(open, 1000, cfg);
    expect(first.allowed).toBe(true);
    expect(first.next).toEqual({ kind: "half_open", probeSince: 1000, cooldownMs: 1000 });
    expect(passBreaker(first.next, 1001, cfg).allowed).toBe(false);
    expect(isAvailable(first.next, 5000, cfg)).toBe(false);
  });

  it("closes when the probe succeeds", () => {
    const probing = passBreaker(fail(CLOSED, 3, 0), 1000, cfg).next;
    expect(onSuccess()).toEqual(CLOSED);
    expect(isAvailable(onSuccess(), 1001, cfg)).toBe(true);
    expect(probing.kind).toBe("half_open");
  });

  it("a first byte settles a probe but keeps a closed breaker's failure count", () => {
    const probing = passBreaker(fail(CLOSED, 3, 0), 1000, cfg).next;
    expect(onFirstByte(probing)).toEqual(CLOSED);
    const twice = fail(CLOSED, 2, 0);
    expect(onFirstByte(twice)).toBe(twice);
    // Streams that keep breaking after their first byte still open the breaker.
    expect(onFailure(onFirstByte(twice), 0, cfg).kind).toBe("open");
    const open = fail(CLOSED, 3, 0);
    expect(onFirstByte(open)).toBe(open);
  });

  it("reopens with a doubled cool-down when the probe fails, up to the maximum", () => {
    let s = fail(CLOSED, 3, 0);
    const cooldowns: number[] = [];
    let now = 0;
    for (let i = 0; i < 4; i++) {
      now = (s as { until: number }).until;
      s = passBreaker(s, now, cfg).next;
      s = onFailure(s, now, cfg);
      cooldowns.push((s as { cooldownMs: number }).cooldownMs);
    }
    expect(cooldowns).toEqual([2000, 4000, 4000, 4000]);
    expect(s).toMatchObject({ kind: "open", until: now + 4000 });
  });

  it("a probe that never reports frees its slot after the probe timeout", () => {
    const probing = passBreaker(fail(CLOSED, 3, 0), 1000, cfg).next;
    expect(retryAt(probing, 2000, cfg)).toBe(11_000);
    expect(passBreaker(probing, 10_999, cfg).allowed).toBe(false);
    const again = passBreaker(probing, 11_000, cfg);
    expect(again).toEqual({ allowed: true, next: { kind: "half_open", probeSince: 11_000, cooldownMs: 1000 } });
  });

  it("an abandoned probe lets the next request probe at once", () => {
    const probing = passBreaker(fail(CLOSED, 3, 0), 1000, cfg).next;
    const s = onAbandon(probing, 1500);
    expect(passBreaker(s, 1500, cfg).allowed).toBe(true);
    expect(onAbandon(CLOSED, 5)).toEqual(CLOSED);
  });

  it("ignores late failures while open", () => {
    const open = fail(CLOSED, 3, 0);
    expect(onFailure(open, 500, cfg)).toBe(open);
  });

  it("reports no retry time when the origin may be tried", () => {
    expect(retryAt(CLOSED, 0, cfg)).toBeNull();
    expect(retryAt(fail(CLOSED, 3, 0), 1000, cfg)).toBeNull();
  });
});
