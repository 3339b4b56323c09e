// Encodes spans as an OTLP ExportTraceServiceRequest in protobuf, the body MLflow's
// /v1/traces accepts (field numbers from opentelemetry-proto's trace.proto and common.proto).

import { ProtoWriter } from "./protobuf-writer.ts";

/** Integers become int_value, other numbers double_value. */
export type AttrValue = string | number | boolean;
export type Attributes = ReadonlyArray<readonly [string, AttrValue]>;

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

export interface OtlpSpan {
  /** 16 bytes. */
  traceId: Uint8Array;
  /** 8 bytes. */
  spanId: Uint8Array;
  /** 8 bytes, or null for a root span. */
  parentSpanId: Uint8Array | null;
  traceState?: string;
  name: string;
  kind: (typeof SPAN_KIND)[keyof typeof SPAN_KIND];
  /** Unix milliseconds; sent as nanoseconds. */
  startMs: number;
  endMs: number;
  attributes: Attributes;
  status: { code: (typeof STATUS_CODE)[keyof typeof STATUS_CODE]; message?: string };
}

export interface OtlpBatch {
  resource: Attributes;
  scope: { name: string; version: string };
  spans: readonly OtlpSpan[];
}

/** Fractions of a millisecond are kept to the microsecond, which is all Date.now() and performance give. */
export const msToNanos = (ms: number): bigint => BigInt(Math.round(ms * 1000)) * 1000n;

function anyValue(w: ProtoWriter, v: AttrValue): void {
  if (typeof v === "string") w.string(1, v);
  else if (typeof v === "boolean") w.bool(2, v);
  else if (Number.isInteger(v)) w.int64(3, v);
  else w.double(4, v);
}

function attributes(w: ProtoWriter, field: number, attrs: Attributes): void {
  for (const [key, value] of attrs) {
    w.message(field, (kv) => {
      kv.string(1, key);
      kv.message(2, (av) => anyValue(av, value));
    });
  }
}

function span(w: ProtoWriter, s: OtlpSpan): void {
  w.bytes(1, s.traceId);
  w.bytes(2, s.spanId);
  if (s.traceState) w.string(3, s.traceState);
  if (s.parentSpanId !== null) w.bytes(4, s.parentSpanId);
  w.string(5, s.name);
  w.uint(6, s.kind);
  w.fixed64(7, msToNanos(s.startMs));
  w.fixed64(8, msToNanos(s.endMs));
  attributes(w, 9, s.attributes);
  w.message(15, (st) => {
    if (s.status.message) st.string(2, s.status.message);
    if (s.status.code !== 0) st.uint(3, s.status.code);
  });
}

/** One Span message, encoded as it ends: the queue holds these bytes, so its memory is exact. */
export function encodeSpan(s: OtlpSpan): Uint8Array {
  const w = new ProtoWriter();
  span(w, s);
  return w.finish();
}

/** One ResourceSpans holding one ScopeSpans: every span of a batch shares the router's resource. */
export function encodeExport(resource: Attributes, scope: OtlpBatch["scope"], spans: readonly Uint8Array[]): Uint8Array {
  const w = new ProtoWriter();
  w.message(1, (rs) => {
    rs.message(1, (res) => attributes(res, 1, resource));
    rs.message(2, (ss) => {
      ss.message(1, (sc) => {
        sc.string(1, scope.name);
        sc.string(2, scope.version);
      });
      for (const s of spans) ss.bytes(2, s);
    });
  });
  return w.finish();
}

export const encodeExportRequest = (batch: OtlpBatch): Uint8Array => encodeExport(batch.resource, batch.scope, batch.spans.map(encodeSpan));
