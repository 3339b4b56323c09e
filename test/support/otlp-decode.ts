// Decodes OTLP trace exports with the generated code of the official opentelemetry-proto
// definitions (as shipped by @opentelemetry/otlp-transformer 0.52), independent of the
// router's own hand-written encoder, into plain JSON a test can compare field by field.

import { createRequire } from "node:module";

interface PbMessage {
  decode(bytes: Uint8Array): unknown;
  encode(msg: unknown): { finish(): Uint8Array };
  toObject(msg: unknown, opts: Record<string, unknown>): unknown;
  create(props?: Record<string, unknown>): unknown;
}
interface Root {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: PbMessage; ExportTraceServiceResponse: PbMessage } } } } };
}

const require = createRequire(import.meta.url);
const root = require("@opentelemetry/otlp-transformer/build/src/generated/root.js") as Root;
const { ExportTraceServiceRequest, ExportTraceServiceResponse } = root.opentelemetry.proto.collector.trace.v1;

export type DecodedValue = { string: string } | { int: string } | { double: number } | { bool: boolean } | { other: unknown };

export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, DecodedValue>;
  status: { code: number; message: string };
}

export interface DecodedExport {
  resourceSpans: { resource: Record<string, DecodedValue>; scopes: { name: string; version: string; spans: DecodedSpan[] }[] }[];
}

type Obj = Record<string, unknown>;
const hex = (b: unknown): string => (b instanceof Uint8Array ? Buffer.from(b).toString("hex") : "");

function value(v: Obj | undefined): DecodedValue {
  if (v === undefined) return { other: null };
  if ("stringValue" in v) return { string: v.stringValue as string };
  if ("intValue" in v) return { int: String(v.intValue) };
  if ("doubleValue" in v) return { double: v.doubleValue as number };
  if ("boolValue" in v) return { bool: v.boolValue as boolean };
  return { other: v };
}

function attrs(list: unknown): Record<string, DecodedValue> {
  const out: Record<string, DecodedValue> = {};
  for (const kv of (list as Obj[] | undefined) ?? []) out[kv.key as string] = value(kv.value as Obj | undefined);
  return out;
}

function span(s: Obj): DecodedSpan {
  const status = (s.status as Obj | undefined) ?? {};
  return {
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    parentSpanId: hex(s.parentSpanId),
    traceState: (s.traceState as string | undefined) ?? "",
    name: s.name as string,
    kind: s.kind as number,
    startTimeUnixNano: String(s.startTimeUnixNano),
    endTimeUnixNano: String(s.endTimeUnixNano),
    attributes: attrs(s.attributes),
    status: { code: (status.code as number | undefined) ?? 0, message: (status.message as string | undefined) ?? "" },
  };
}

/** Throws on bytes that are not a valid ExportTraceServiceRequest. */
export function decodeExport(bytes: Uint8Array): DecodedExport {
  const msg = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), { longs: String, enums: Number, bytes: Uint8Array, defaults: true, oneofs: false }) as Obj;
  return {
    resourceSpans: ((msg.resourceSpans as Obj[]) ?? []).map((rs) => ({
      resource: attrs((rs.resource as Obj | undefined)?.attributes),
      scopes: ((rs.scopeSpans as Obj[]) ?? []).map((ss) => {
        const scope = (ss.scope as Obj | undefined) ?? {};
        return { name: (scope.name as string) ?? "", version: (scope.version as string) ?? "", spans: ((ss.spans as Obj[]) ?? []).map(span) };
      }),
    })),
  };
}

/** The empty ExportTraceServiceResponse (full success), as MLflow answers. */
export function encodeExportResponse(): Uint8Array {
  return ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({})).finish();
}

/** An attribute's value as the JSON MLflow's own attributes carry. */
export function jsonAttr(s: DecodedSpan, key: string): unknown {
  const v = s.attributes[key];
  if (v === undefined || !("string" in v)) return undefined;
  return JSON.parse(v.string);
}
