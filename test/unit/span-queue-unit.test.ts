import { describe, expect, it } from "vitest";
import { afterAttempt, MAX_ATTEMPTS } from "../../src/tracing/export-retry.ts";
import { SpanQueue } from "../../src/tracing/span-queue.ts";

const span = (n: number): Uint8Array => new Uint8Array(n);
const limits = { maxBatch: 3, maxWaitMs: 1000, maxSpans: 5, maxBytes: 1000 };

describe("span queue (fake clock)", () => {
  it("a batch falls due a second after its oldest span, not before", () => {
    const q = new SpanQueue<string>(limits);
    q.add("a", "A", span(10), 100);
    q.add("a", "A", span(10), 600);
    expect(q.nextDueAt()).toBe(1100);
    expect(q.take(1099)).toEqual([]);
    const [b] = q.take(1100);
    expect(b?.spans).toHaveLength(2);
    expect(b?.destination).toBe("A");
    expect(q.nextDueAt()).toBeNull();
  });

  it("a full batch is due at once; the rest keeps its own oldest span's deadline", () => {
    const q = new SpanQueue<string>(limits);
    for (let t = 0; t < 4; t++) q.add("a", "A", span(1), t * 100);
    expect(q.nextDueAt()).toBe(0);
    const taken = q.take(300);
    expect(taken.map((b) => b.spans.length)).toEqual([3]);
    expect(q.nextDueAt()).toBe(1300);
  });

  it("batches are per destination", () => {
    const q = new SpanQueue<string>(limits);
    q.add("a", "A", span(1), 0);
    q.add("b", "B", span(1), 500);
    expect(q.take(1000).map((b) => b.destination)).toEqual(["A"]);
    expect(q.take(1500).map((b) => b.destination)).toEqual(["B"]);
  });

  it("take(all) empties the queue whatever the clock says", () => {
    const q = new SpanQueue<string>(limits);
    q.add("a", "A", span(1), 0);
    q.add("b", "B", span(1), 0);
    expect(q.take(0, true)).toHaveLength(2);
  });

  it("holds at most maxSpans, counting batches in flight; beyond that drops and counts", () => {
    const q = new SpanQueue<string>(limits);
    for (let i = 0; i < 5; i++) expect(q.add("a", "A", span(1), 0)).toBe(true);
    expect(q.add("a", "A", span(1), 0)).toBe(false);
    const batches = q.take(1000);
    expect(q.add("a", "A", span(1), 1000)).toBe(false);
    expect(q.stats()).toMatchObject({ queued: 0, inFlight: 5, droppedFull: 2 });
    q.settle(batches[0]!, true);
    q.settle(batches[1]!, false);
    expect(q.stats()).toMatchObject({ queued: 0, inFlight: 0, bytes: 0, droppedFailed: 2 });
    expect(q.add("a", "A", span(1), 1000)).toBe(true);
  });

  it("holds at most maxBytes", () => {
    const q = new SpanQueue<string>(limits);
    expect(q.add("a", "A", span(600), 0)).toBe(true);
    expect(q.add("a", "A", span(600), 0)).toBe(false);
    expect(q.add("a", "A", span(400), 0)).toBe(true);
    expect(q.stats()).toMatchObject({ bytes: 1000, droppedFull: 1 });
  });
});

describe("export retries", () => {
  it("2xx is delivered", () => expect(afterAttempt(200, 1)).toEqual({ kind: "delivered" }));

  it.each([429, 500, 503, null])("%s is retried with growing waits, then dropped", (status) => {
    const d1 = afterAttempt(status, 1);
    const d2 = afterAttempt(status, 2);
    expect(d1.kind === "retry" && d2.kind === "retry" && d2.delayMs > d1.delayMs).toBe(true);
    expect(afterAttempt(status, MAX_ATTEMPTS).kind).toBe("drop");
  });

  it.each([400, 401, 403, 404, 413, 415, 422])("%s is dropped at once", (status) => {
    expect(afterAttempt(status, 1)).toEqual({ kind: "drop", reason: `http_${status}` });
  });

  it("a Retry-After is honoured up to the cap", () => {
    expect(afterAttempt(429, 1, "1")).toEqual({ kind: "retry", delayMs: 1000 });
    expect(afterAttempt(429, 1, "3600")).toEqual({ kind: "retry", delayMs: 2000 });
  });
});
