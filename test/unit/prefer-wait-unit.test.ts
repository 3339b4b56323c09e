import { describe, expect, it, vi } from "vitest";
import { admissionWaitMs, operatorMaxWaitMs, preferredWaitSeconds, waitUnlessAborted } from "../../src/quota/prefer-wait.ts";

describe("Prefer: wait", () => {
  it("reads the wait preference among others, with parameters and any case", () => {
    expect(preferredWaitSeconds("wait=5")).toBe(5);
    expect(preferredWaitSeconds("respond-async, WAIT = 7")).toBe(7);
    expect(preferredWaitSeconds('return=minimal; foo="a,b", wait="3"; x=1')).toBe(3);
    expect(preferredWaitSeconds("return=minimal")).toBeNull();
    expect(preferredWaitSeconds("wait=-1")).toBeNull();
    expect(preferredWaitSeconds("wait=abc")).toBeNull();
    expect(preferredWaitSeconds(null)).toBeNull();
  });

  it("caps the caller's wait by the operator's, and the operator's by a minute", () => {
    expect(admissionWaitMs("wait=5", 10_000)).toBe(5000);
    expect(admissionWaitMs("wait=500", 10_000)).toBe(10_000);
    expect(admissionWaitMs("wait=5", 0)).toBe(0);
    expect(admissionWaitMs(null, 10_000)).toBe(0);
    expect(operatorMaxWaitMs(undefined)).toBe(10_000);
    expect(operatorMaxWaitMs("0")).toBe(0);
    expect(operatorMaxWaitMs("nonsense")).toBe(0);
    expect(operatorMaxWaitMs("999999")).toBe(60_000);
  });

  it("waits on one timer, and stops at once when the caller goes away", async () => {
    vi.useFakeTimers();
    try {
      const done = waitUnlessAborted(1000, undefined);
      vi.advanceTimersByTime(1000);
      expect(await done).toBe(true);
      const ac = new AbortController();
      const gone = waitUnlessAborted(10_000, ac.signal);
      ac.abort();
      expect(await gone).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
