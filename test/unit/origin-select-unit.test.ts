import { describe, expect, it } from "vitest";
import type { OriginSpec } from "../../src/catalog/types.ts";
import { callerLocation, haversineKm, proximityRank, FAR_RANK, UNKNOWN_LOCATION } from "../../src/origins/location.ts";
import { admitEarly, CLOSED, earlyProbeAt, onFailure, passBreaker, type BreakerState } from "../../src/origins/breaker.ts";
import { rankOrigins, soonestToRecover, weightedOrder } from "../../src/origins/select.ts";

const FRANKFURT = { lat: 50.11, lon: 8.68 };
const PARIS = { lat: 48.86, lon: 2.35 };
const VIRGINIA = { lat: 38.9, lon: -77.4 };
const SINGAPORE = { lat: 1.35, lon: 103.8 };

const o = (id: string, over: Partial<OriginSpec> = {}): OriginSpec => ({ id, url: `https://${id}.example/v1`, region: id, ...over });
const up = (): boolean => true;
const ids = (xs: OriginSpec[]): string[] => xs.map((x) => x.id);
/** A fixed sequence of draws, repeating its last value. */
const draws = (...xs: number[]) => {
  let i = 0;
  return () => xs[Math.min(i++, xs.length - 1)]!;
};
const inFrankfurt = callerLocation({ continent: "EU", country: "DE", colo: "FRA", latitude: "50.11", longitude: "8.68" });

describe("caller location from request.cf", () => {
  it("reads continent, country, colo and string coordinates", () => {
    expect(inFrankfurt).toEqual({ continent: "EU", country: "DE", colo: "FRA", lat: 50.11, lon: 8.68 });
  });
  it("tolerates a missing or odd cf", () => {
    expect(callerLocation(undefined)).toEqual(UNKNOWN_LOCATION);
    expect(callerLocation({ latitude: "x", longitude: "8" })).toMatchObject({ lat: null, lon: null });
    expect(callerLocation({ latitude: "91", longitude: "8" })).toMatchObject({ lat: null, lon: null });
    expect(callerLocation({ latitude: "50" })).toMatchObject({ lat: null, lon: null });
  });
});

describe("proximity", () => {
  it("measures great-circle distance", () => {
    expect(haversineKm(FRANKFURT.lat, FRANKFURT.lon, PARIS.lat, PARIS.lon)).toBeCloseTo(479, -1);
    expect(haversineKm(0, 0, 0, 0)).toBe(0);
  });
  it("ranks near origins 0 and farther ones higher, by coordinates when both have them", () => {
    expect(proximityRank(inFrankfurt, PARIS)).toBe(0);
    const us = proximityRank(inFrankfurt, VIRGINIA);
    const sg = proximityRank(inFrankfurt, SINGAPORE);
    expect(us).toBeGreaterThan(0);
    expect(sg).toBeGreaterThan(us);
  });
  it("falls back to the continent, and ranks the unknown as far", () => {
    const euOnly = callerLocation({ continent: "EU" });
    expect(proximityRank(euOnly, { continent: "EU" })).toBe(0);
    expect(proximityRank(euOnly, { continent: "NA" })).toBe(FAR_RANK);
    expect(proximityRank(euOnly, {})).toBe(FAR_RANK);
    expect(proximityRank(UNKNOWN_LOCATION, { continent: "EU", ...FRANKFURT })).toBe(FAR_RANK);
    expect(proximityRank(inFrankfurt, { continent: "EU" })).toBe(0);
  });
});

describe("rankOrigins", () => {
  const eu1 = o("eu-1", { continent: "EU", ...FRANKFURT });
  const eu2 = o("eu-2", { continent: "EU", ...PARIS });
  const us = o("us-1", { continent: "NA", ...VIRGINIA });
  const sg = o("sg-1", { continent: "AS", ...SINGAPORE });

  it("puts the caller's near origins first and the rest by distance", () => {
    expect(ids(rankOrigins([sg, us, eu1], inFrankfurt, up, draws(0)))).toEqual(["eu-1", "us-1", "sg-1"]);
    const inVirginia = callerLocation({ continent: "NA", latitude: "39", longitude: "-77" });
    expect(ids(rankOrigins([sg, eu1, us], inVirginia, up, draws(0)))[0]).toBe("us-1");
  });

  it("spreads load by weight among equally near origins", () => {
    const heavy = { ...eu1, weight: 3 };
    const light = { ...eu2, weight: 1 };
    // Total weight 4: draws below 0.75 land on the heavy one.
    expect(ids(rankOrigins([heavy, light, us], inFrankfurt, up, draws(0.74, 0)))).toEqual(["eu-1", "eu-2", "us-1"]);
    expect(ids(rankOrigins([heavy, light, us], inFrankfurt, up, draws(0.75, 0)))).toEqual(["eu-2", "eu-1", "us-1"]);
    let firstHeavy = 0;
    for (let i = 0; i < 100; i++) if (rankOrigins([heavy, light], inFrankfurt, up, draws(i / 100))[0]!.id === "eu-1") firstHeavy++;
    expect(firstHeavy).toBe(75);
  });

  it("orders by priority before proximity: a backup tier stays a backup", () => {
    const backup = { ...eu2, priority: 1 };
    expect(ids(rankOrigins([backup, us], inFrankfurt, up, draws(0)))).toEqual(["us-1", "eu-2"]);
  });

  it("skips unhealthy origins and origins of weight 0", () => {
    const isUp = (x: OriginSpec): boolean => x.id !== "eu-1";
    expect(ids(rankOrigins([eu1, eu2, us], inFrankfurt, isUp, draws(0)))).toEqual(["eu-2", "us-1"]);
    expect(ids(rankOrigins([{ ...eu1, weight: 0 }, us], inFrankfurt, up, draws(0)))).toEqual(["us-1"]);
    expect(rankOrigins([eu1], inFrankfurt, () => false, draws(0))).toEqual([]);
  });

  it("without any location, falls back to priority and weight alone", () => {
    const a = o("a", { weight: 1 });
    const b = o("b", { weight: 1, priority: 1 });
    const c = o("c", { weight: 1 });
    expect(ids(rankOrigins([b, a, c], UNKNOWN_LOCATION, up, draws(0.99, 0)))).toEqual(["c", "a", "b"]);
  });

  it("weightedOrder returns every member exactly once, whatever the draws", () => {
    const members = [o("x", { weight: 2 }), o("y", { weight: 0.5 }), o("z")];
    for (const d of [0, 0.3, 0.6, 0.999999]) expect(ids(weightedOrder(members, draws(d))).sort()).toEqual(["x", "y", "z"]);
  });
});

describe("when every origin's breaker is open", () => {
  // Fake clock: breakers as (id -> state) at now = 10_000, cool-down 5 s, probes time out after 30 s.
  const cfg = { failureThreshold: 3, cooldownMs: 5_000, maxCooldownMs: 60_000, probeTimeoutMs: 30_000 };
  const now = 10_000;
  const states: Record<string, BreakerState> = {
    killed: { kind: "open", until: 14_000, cooldownMs: 5_000 },
    survivor: { kind: "open", until: 12_000, cooldownMs: 5_000 },
    backoff: { kind: "open", until: 40_000, cooldownMs: 40_000 },
    probing: { kind: "half_open", probeSince: 9_000, cooldownMs: 5_000 },
  };
  const at = (x: OriginSpec): number | null => earlyProbeAt(states[x.id] ?? CLOSED, now, cfg);

  it("picks the one whose cool-down ends first, whatever the order", () => {
    expect(soonestToRecover([o("killed"), o("survivor"), o("backoff")], at)?.id).toBe("survivor");
    expect(soonestToRecover([o("backoff"), o("killed")], at)?.id).toBe("killed");
  });

  it("never picks one whose probe is already out, nor one of weight 0", () => {
    expect(soonestToRecover([o("probing"), o("backoff")], at)?.id).toBe("backoff");
    expect(soonestToRecover([o("survivor", { weight: 0 }), o("killed")], at)?.id).toBe("killed");
    expect(soonestToRecover([o("probing"), o("survivor", { weight: 0 })], at)).toBeNull();
    expect(soonestToRecover([], at)).toBeNull();
  });

  it("lets the early probe through the open breaker as its one probe, and no second one", () => {
    const s = states.survivor!;
    expect(passBreaker(s, now, cfg).allowed).toBe(false);
    const probe = admitEarly(s, now, cfg);
    expect(probe).toEqual({ allowed: true, next: { kind: "half_open", probeSince: now, cooldownMs: 5_000, earlyAt: now } });
    expect(admitEarly(probe.next, now + 1, cfg).allowed).toBe(false);
    expect(earlyProbeAt(probe.next, now + 1, cfg)).toBeNull();
    // The probe's verdict then counts as any probe's: a failure doubles the cool-down.
    const failed = onFailure(probe.next, now + 5, cfg);
    expect(failed).toEqual({ kind: "open", until: now + 5 + 10_000, cooldownMs: 10_000, earlyAt: now });
    // At most one early probe per base cool-down: a total outage fails fast in between.
    expect(earlyProbeAt(failed, now + 4_999, cfg)).toBeNull();
    expect(admitEarly(failed, now + 4_999, cfg).allowed).toBe(false);
    expect(earlyProbeAt(failed, now + 5_000, cfg)).toBe(now + 5 + 10_000);
    expect(admitEarly(failed, now + 5_000, cfg)).toEqual({ allowed: true, next: { kind: "half_open", probeSince: now + 5_000, cooldownMs: 10_000, earlyAt: now + 5_000 } });
  });
});
