import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, readSettings } from "../../src/config/settings.ts";

describe("readSettings", () => {
  it("takes each var's value when it is a positive number", () => {
    const s = readSettings({ MAX_BODY_BYTES: "1024", CATALOG_TTL_MS: "250", LIMITER_FAILURE_MODE: "closed", BREAKER_FAILURES: "7", BREAKER_COOLDOWN_MS: "400", MAX_ADMISSION_WAIT_MS: "2500" });
    expect(s).toEqual({ maxBodyBytes: 1024, catalogTtlMs: 250, limiterFailureMode: "closed", breakerFailures: 7, breakerCooldownMs: 400, maxAdmissionWaitMs: 2500 });
  });

  it("falls back to the defaults for unset, empty, zero, negative and non-numeric values", () => {
    for (const bad of [undefined, "", " ", "0", "-5", "ten", "Infinity"]) {
      const s = readSettings({ MAX_BODY_BYTES: bad, CATALOG_TTL_MS: bad, BREAKER_FAILURES: bad, BREAKER_COOLDOWN_MS: bad });
      expect(s, String(bad)).toEqual(DEFAULT_SETTINGS);
    }
  });

  it("turns admission waits off with MAX_ADMISSION_WAIT_MS = 0, and caps them at a minute", () => {
    expect(readSettings({ MAX_ADMISSION_WAIT_MS: "0" }).maxAdmissionWaitMs).toBe(0);
    expect(readSettings({ MAX_ADMISSION_WAIT_MS: "600000" }).maxAdmissionWaitMs).toBe(60_000);
    expect(readSettings({}).maxAdmissionWaitMs).toBe(10_000);
  });

  it("fails open unless the failure mode is exactly 'closed'", () => {
    expect(readSettings({ LIMITER_FAILURE_MODE: "CLOSED" }).limiterFailureMode).toBe("open");
    expect(readSettings({ LIMITER_FAILURE_MODE: "closed" }).limiterFailureMode).toBe("closed");
  });
});
