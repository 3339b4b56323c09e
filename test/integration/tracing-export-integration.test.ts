// The exporter against a receiver that keeps MLflow's contract, and against one that fails:
// down, slow past the timeout, 500, 429, 413. Nothing waits on it, drops are counted, and
// the queue stays within its bounds.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { freePort } from "../support/free-port.ts";
import { exporterStats, exportSpan, flush, resetExporter, type Destination } from "../../src/tracing/exporter.ts";
import { SPAN_KIND, STATUS_CODE, type OtlpSpan } from "../../src/tracing/otlp-encode.ts";
import { RECEIVER, behave, freshExperiment, received, spansOf } from "./trace-recv.ts";

afterEach(() => resetExporter());

const span = (name: string): OtlpSpan => ({
  traceId: crypto.getRandomValues(new Uint8Array(16)),
  spanId: crypto.getRandomValues(new Uint8Array(8)),
  parentSpanId: null,
  name,
  kind: SPAN_KIND.server,
  startMs: Date.now() - 5,
  endMs: Date.now(),
  attributes: [["n", 1]],
  status: { code: STATUS_CODE.ok },
});

const dest = (experimentId: string, endpoint = `${RECEIVER()}/v1/traces`): Destination => ({ endpoint, experimentId, authorization: "Bearer tkn", projectId: "proj_export_test" });

describe("exporting spans", () => {
  it("batches spans of one destination into one gzipped protobuf POST with MLflow's headers", async () => {
    const exp = freshExperiment("batch");
    const ctx = createExecutionContext();
    for (let i = 0; i < 5; i++) exportSpan(ctx, dest(exp), span(`s${i}`));
    await waitOnExecutionContext(ctx);
    const r = await received(exp);
    expect(r.spans.map((s) => s.name)).toEqual(["s0", "s1", "s2", "s3", "s4"]);
    expect(r.requests).toEqual([{ authorization: "Bearer tkn", contentEncoding: "gzip", contentType: "application/x-protobuf" }]);
    expect(exporterStats()).toMatchObject({ queued: 0, inFlight: 0, bytes: 0 });
  });

  it("a full batch (100 spans) goes at once, without waiting out the second", async () => {
    const exp = freshExperiment("full");
    const ctx = createExecutionContext();
    for (let i = 0; i < 99; i++) exportSpan(ctx, dest(exp), span(`s${i}`));
    expect(exporterStats()).toMatchObject({ queued: 99, inFlight: 0 });
    exportSpan(ctx, dest(exp), span("s99"));
    // Taken for sending at once, not held for the batch's second.
    expect(exporterStats()).toMatchObject({ queued: 0, inFlight: 100 });
    expect((await spansOf(exp, 100)).length).toBe(100);
    await waitOnExecutionContext(ctx);
  });

  it.each([
    ["500", { status: 500 }, 3],
    ["429", { status: 429, retryAfter: "0" }, 3],
    ["413", { status: 413 }, 1],
    ["slow past the timeout", { delayMs: 1500 }, 3],
  ])("MLflow answering %s: retried as bounded, then the batch is dropped and counted", async (_, behaviour, attempts) => {
    resetExporter(undefined, 300);
    const exp = freshExperiment("fault");
    await behave(exp, behaviour);
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const ctx = createExecutionContext();
    const t0 = Date.now();
    exportSpan(ctx, dest(exp), span("a"));
    exportSpan(ctx, dest(exp), span("b"));
    // Queueing never waits on the network.
    expect(Date.now() - t0).toBeLessThan(50);
    await flush(ctx, Date.now(), true);
    await waitOnExecutionContext(ctx);
    const lines = log.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("trace_export_dropped"));
    log.mockRestore();
    expect((await received(exp)).attempts).toBe(attempts);
    expect(exporterStats()).toMatchObject({ queued: 0, inFlight: 0, bytes: 0, droppedFailed: 2 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: "trace_export_dropped", spans: 2, project_id: "proj_export_test" });
    expect(lines[0]).not.toContain("tkn");
    expect(lines[0]).not.toContain(RECEIVER());
  });

  it("MLflow down (nobody listens): dropped after the retries, counted", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const ctx = createExecutionContext();
    exportSpan(ctx, dest("down", `http://127.0.0.1:${await freePort()}/v1/traces`), span("a"));
    await flush(ctx, Date.now(), true);
    await waitOnExecutionContext(ctx);
    log.mockRestore();
    expect(exporterStats()).toMatchObject({ queued: 0, inFlight: 0, droppedFailed: 1 });
  });

  it("memory is bounded: beyond the cap spans are dropped and counted, nothing grows", async () => {
    resetExporter({ maxBatch: 100, maxWaitMs: 1000, maxSpans: 50, maxBytes: 1 << 20 }, 300);
    const exp = freshExperiment("cap");
    await behave(exp, { delayMs: 1000 });
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const ctx = createExecutionContext();
    for (let i = 0; i < 500; i++) exportSpan(ctx, dest(exp), span(`s${i}`));
    const s = exporterStats();
    expect(s.queued + s.inFlight).toBe(50);
    expect(s.droppedFull).toBe(450);
    await flush(ctx, Date.now(), true);
    await waitOnExecutionContext(ctx);
    log.mockRestore();
    expect(exporterStats()).toMatchObject({ queued: 0, inFlight: 0, bytes: 0 });
  });
});
