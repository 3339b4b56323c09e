import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeExport, encodeExportRequest, SPAN_KIND, STATUS_CODE } from "../../src/tracing/otlp-encode.ts";
import { startTraceReceiver, type TraceReceiver } from "../support/trace-receiver.ts";

let recv: TraceReceiver;
beforeAll(async () => {
  recv = await startTraceReceiver();
});
afterAll(() => recv.close());

const body = encodeExportRequest({
  resource: [],
  scope: { name: "t", version: "1" },
  spans: [{ traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), parentSpanId: null, name: "s", kind: SPAN_KIND.server, startMs: 1, endMs: 2, attributes: [], status: { code: STATUS_CODE.ok } }],
});
const post = (headers: Record<string, string>, b: Uint8Array = body) => fetch(`${recv.url}/v1/traces`, { method: "POST", headers, body: b });

describe("the test receiver keeps MLflow's OTLP contract", () => {
  it("refuses a missing experiment header", async () => {
    expect((await post({ "content-type": "application/x-protobuf" })).status).toBe(400);
  });
  it("refuses another content type", async () => {
    expect((await post({ "content-type": "application/json", "x-mlflow-experiment-id": "rc-1" })).status).toBe(415);
  });
  it("refuses an export with no resource spans, and bytes that are not one", async () => {
    expect((await post({ "content-type": "application/x-protobuf", "x-mlflow-experiment-id": "rc-2" }, encodeExport([], { name: "t", version: "1" }, []).subarray(0, 0))).status).toBe(400);
    expect((await post({ "content-type": "application/x-protobuf", "x-mlflow-experiment-id": "rc-2" }, new Uint8Array([0xff, 0xff, 0xff]))).status).toBe(400);
    expect(recv.received("rc-2").spans).toEqual([]);
  });
  it("accepts gzip and answers a protobuf ExportTraceServiceResponse", async () => {
    const res = await post({ "content-type": "application/x-protobuf", "content-encoding": "gzip", "x-mlflow-experiment-id": "rc-3" }, gzipSync(body));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    expect(recv.received("rc-3").spans.map((s) => s.name)).toEqual(["s"]);
  });
});
