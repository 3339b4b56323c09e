import { describe, expect, it } from "vitest";
import { encodeExportRequest, msToNanos, SPAN_KIND, STATUS_CODE, type OtlpBatch, type OtlpSpan } from "../../src/tracing/otlp-encode.ts";
import { decodeExport } from "../support/otlp-decode.ts";

const bytes = (n: number, start: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function spanOf(over: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: bytes(16, 1),
    spanId: bytes(8, 100),
    parentSpanId: null,
    name: "chat m",
    kind: SPAN_KIND.server,
    startMs: 1_764_620_000_123,
    endMs: 1_764_620_001_456.789,
    attributes: [],
    status: { code: STATUS_CODE.ok },
    ...over,
  };
}

const batch = (spans: OtlpSpan[]): OtlpBatch => ({ resource: [["service.name", "edge-inference-router"]], scope: { name: "router", version: "1" }, spans });

describe("OTLP protobuf encoder, read back with the official proto definitions", () => {
  it("resource, scope and the span's ids, name, kind and times survive", () => {
    const d = decodeExport(encodeExportRequest(batch([spanOf()])));
    expect(d.resourceSpans).toHaveLength(1);
    const rs = d.resourceSpans[0]!;
    expect(rs.resource).toEqual({ "service.name": { string: "edge-inference-router" } });
    expect(rs.scopes.map((s) => [s.name, s.version])).toEqual([["router", "1"]]);
    const s = rs.scopes[0]!.spans[0]!;
    expect(s.traceId).toBe(hex(bytes(16, 1)));
    expect(s.spanId).toBe(hex(bytes(8, 100)));
    expect(s.parentSpanId).toBe("");
    expect(s.name).toBe("chat m");
    expect(s.kind).toBe(2);
    expect(s.startTimeUnixNano).toBe("1764620000123000000");
    expect(s.endTimeUnixNano).toBe("1764620001456789000");
    expect(s.status).toEqual({ code: 1, message: "" });
  });

  it("attributes of each type: string (unicode), int (large, zero, negative), double, bool", () => {
    const attributes = [
      ["s", "héllo ✓ 𝄞"],
      ["empty", ""],
      ["i", 123456789012],
      ["zero", 0],
      ["neg", -5],
      ["big", Number.MAX_SAFE_INTEGER],
      ["d", 0.25],
      ["negd", -1.5e-7],
      ["t", true],
      ["f", false],
    ] as const;
    const s = decodeExport(encodeExportRequest(batch([spanOf({ attributes })]))).resourceSpans[0]!.scopes[0]!.spans[0]!;
    expect(s.attributes).toEqual({
      s: { string: "héllo ✓ 𝄞" },
      empty: { string: "" },
      i: { int: "123456789012" },
      zero: { int: "0" },
      neg: { int: "-5" },
      big: { int: String(Number.MAX_SAFE_INTEGER) },
      d: { double: 0.25 },
      negd: { double: -1.5e-7 },
      t: { bool: true },
      f: { bool: false },
    });
  });

  it("parent span id, trace state and an error status with its message", () => {
    const s = decodeExport(
      encodeExportRequest(batch([spanOf({ parentSpanId: bytes(8, 200), traceState: "vendor=x", status: { code: STATUS_CODE.error, message: "Rate limit reached." } })])),
    ).resourceSpans[0]!.scopes[0]!.spans[0]!;
    expect(s.parentSpanId).toBe(hex(bytes(8, 200)));
    expect(s.traceState).toBe("vendor=x");
    expect(s.status).toEqual({ code: 2, message: "Rate limit reached." });
  });

  it("many spans and a long attribute (multi-byte length prefix) keep their order and content", () => {
    const long = "x".repeat(70_000);
    const spans = Array.from({ length: 100 }, (_, i) => spanOf({ spanId: bytes(8, i), name: `span ${i}`, attributes: [["n", i], ["long", i === 7 ? long : "short"]] }));
    const out = decodeExport(encodeExportRequest(batch(spans))).resourceSpans[0]!.scopes[0]!.spans;
    expect(out.map((s) => s.name)).toEqual(spans.map((s) => s.name));
    expect(out[7]!.attributes.long).toEqual({ string: long });
    expect(out[99]!.attributes.n).toEqual({ int: "99" });
  });

  it("milliseconds become nanoseconds exactly, past 2^53", () => {
    expect(msToNanos(1_764_620_000_123)).toBe(1_764_620_000_123_000_000n);
    expect(msToNanos(0.001)).toBe(1000n);
  });
});
