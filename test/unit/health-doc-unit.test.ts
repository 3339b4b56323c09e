import { describe, expect, it } from "vitest";
import { HEALTH_STALE_MS, isMarkedDown, parseHealthDoc } from "../../src/origins/health-doc.ts";

describe("health document", () => {
  const doc = parseHealthDoc({
    version: 1,
    checked_at: 1000,
    origins: { a: { up: false, status: 503, checked_at: 1000 }, b: { up: true, status: 200, checked_at: 1000 }, junk: { up: "no" } },
  });

  it("parses what the cron writes and drops malformed entries", () => {
    expect(doc).not.toBeNull();
    expect(Object.keys(doc!.origins).sort()).toEqual(["a", "b"]);
    expect(parseHealthDoc(null)).toBeNull();
    expect(parseHealthDoc({ version: 2, checked_at: 1, origins: {} })).toBeNull();
  });

  it("marks an origin down only while the probe is fresh", () => {
    expect(isMarkedDown(doc, "a", 1000 + HEALTH_STALE_MS - 1)).toBe(true);
    expect(isMarkedDown(doc, "a", 1000 + HEALTH_STALE_MS)).toBe(false);
    expect(isMarkedDown(doc, "b", 1000)).toBe(false);
    expect(isMarkedDown(doc, "unknown", 1000)).toBe(false);
    expect(isMarkedDown(null, "a", 1000)).toBe(false);
  });
});
