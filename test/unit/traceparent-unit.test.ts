import { describe, expect, it } from "vitest";
import { parseTraceparent, randomId, toHex } from "../../src/tracing/traceparent.ts";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const P = "00f067aa0ba902b7";

describe("W3C traceparent", () => {
  it("reads trace id, parent id and the sampled flag", () => {
    const c = parseTraceparent(`00-${T}-${P}-01`, "congo=t61rcWkgMzE");
    expect(c && toHex(c.traceId)).toBe(T);
    expect(c && toHex(c.parentSpanId)).toBe(P);
    expect(c?.sampled).toBe(true);
    expect(c?.traceState).toBe("congo=t61rcWkgMzE");
    expect(parseTraceparent(`00-${T}-${P}-00`)?.sampled).toBe(false);
  });

  it.each([
    ["missing", null],
    ["empty", ""],
    ["version ff", `ff-${T}-${P}-01`],
    ["uppercase", `00-${T.toUpperCase()}-${P}-01`],
    ["zero trace id", `00-${"0".repeat(32)}-${P}-01`],
    ["zero parent id", `00-${T}-${"0".repeat(16)}-01`],
    ["short trace id", `00-${T.slice(1)}-${P}-01`],
    ["version 00 with a tail", `00-${T}-${P}-01-extra`],
    ["bad separator", `00_${T}-${P}-01`],
    ["not hex", `00-${T.slice(0, 31)}g-${P}-01`],
  ])("refuses %s (the router's span is then a root)", (_, h) => {
    expect(parseTraceparent(h)).toBeNull();
  });

  it("a future version is read as 00, with its extra fields ignored", () => {
    expect(parseTraceparent(`01-${T}-${P}-01-future`)?.sampled).toBe(true);
    expect(parseTraceparent(`01-${T}-${P}-01x`)).toBeNull();
  });

  it("random ids have the asked length and differ", () => {
    expect(randomId(16)).toHaveLength(16);
    expect(toHex(randomId(8))).not.toBe(toHex(randomId(8)));
  });
});
