import { fakeEnv, fakeExecutionContext } from "../support/fake-env.ts";
import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_BREAKER } from "../../src/origins/breaker.ts";
import { HEALTH_KEY } from "../../src/storage/kv-keys.ts";
import {
  breakerAllows,
  breakerConfig,
  claimOrigin,
  healthDocLoading,
  HEALTH_TTL_MS,
  probedDown,
  refreshHealthDoc,
  reportFailure,
  resetOriginHealth,
  retryAfterSeconds,
} from "../../src/origins/health-state.ts";

const cfg = { ...DEFAULT_BREAKER, failureThreshold: 2, cooldownMs: 2500 };

/** Just enough of KV and the execution context: counts reads, collects waitUntil work. */
function fakes(doc: unknown) {
  const reads: string[] = [];
  const kv = { get: async (key: string) => (reads.push(key), doc) };
  const pending: Promise<unknown>[] = [];
  const env = fakeEnv({ KV: kv, BREAKER_FAILURES: "2", BREAKER_COOLDOWN_MS: "" });
  const ctx = fakeExecutionContext(pending);
  return { env, ctx, reads, pending };
}

beforeEach(() => resetOriginHealth());

describe("isolate health state", () => {
  it("reads the breaker settings from env, with defaults for missing or bad values", () => {
    const { env } = fakes(null);
    expect(breakerConfig(env)).toMatchObject({ failureThreshold: 2, cooldownMs: DEFAULT_BREAKER.cooldownMs });
  });

  it("Retry-After is the wait until the first breaker may probe, in whole seconds, at least 1", () => {
    expect(retryAfterSeconds(["a", "b"], 0, cfg)).toBe(5);
    for (const id of ["a", "b"]) for (let i = 0; i < 2; i++) reportFailure(id, id === "a" ? 0 : 1000, cfg);
    expect(breakerAllows("a", 100, cfg)).toBe(false);
    expect(retryAfterSeconds(["a", "b"], 100, cfg)).toBe(3);
    expect(retryAfterSeconds(["a", "b"], 2499, cfg)).toBe(1);
    expect(claimOrigin("a", 2500, cfg)).toBe(true);
    expect(claimOrigin("a", 2500, cfg)).toBe(false);
  });

  it("loads the cron's document in the background, at most once per TTL", async () => {
    const now = 1_000_000;
    const { env, ctx, reads, pending } = fakes({ version: 1, checked_at: now, origins: { a: { up: false, status: 503, checked_at: now } } });
    refreshHealthDoc(env, ctx, now);
    // Nothing known until the read lands: the request does not wait for it.
    expect(probedDown("a", now)).toBe(false);
    expect(pending).toHaveLength(1);
    await healthDocLoading();
    expect(probedDown("a", now)).toBe(true);
    refreshHealthDoc(env, ctx, now + HEALTH_TTL_MS - 1);
    expect(reads).toEqual([HEALTH_KEY]);
    refreshHealthDoc(env, ctx, now + HEALTH_TTL_MS);
    await healthDocLoading();
    expect(reads).toHaveLength(2);
  });

  it("keeps the last document when KV fails", async () => {
    const now = 5_000_000;
    const good = fakes({ version: 1, checked_at: now, origins: { a: { up: false, status: null, checked_at: now } } });
    refreshHealthDoc(good.env, good.ctx, now);
    await healthDocLoading();
    const broken = fakes(null);
    (broken.env.KV as unknown as { get: () => Promise<never> }).get = () => Promise.reject(new Error("kv down"));
    refreshHealthDoc(broken.env, broken.ctx, now + HEALTH_TTL_MS);
    await healthDocLoading();
    expect(probedDown("a", now + HEALTH_TTL_MS)).toBe(true);
  });
});
