// The accounting copy's reader: it pauses between reads to batch them, yet a stream's end
// is never held up by a pause, and a silent origin is still called stalled after idle_ms
// (a pause only delays that, by at most itself). Fake timers: nothing here waits for real.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { accountingReads, BATCH_MS } from "../../src/streaming/accounting-reads.ts";
import { EventTally } from "../../src/streaming/event-tally.ts";

const enc = new TextEncoder();
const event = (i: number): Uint8Array => enc.encode(`data: {"choices":[{"index":0,"delta":{"content":" t${i}"}}]}\n\n`);
const USAGE = enc.encode('data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\ndata: [DONE]\n\n');

/** A stream the test writes into, chunk by chunk. */
function origin(): { stream: ReadableStream<Uint8Array>; send(b: Uint8Array): void; end(): void } {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) });
  return { stream, send: (b) => ctl.enqueue(b), end: () => ctl.close() };
}

const never = new Promise<never>(() => {});

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe("accountingReads", () => {
  it("ends as soon as the client's pipe ends, without waiting out a pause", async () => {
    const o = origin();
    const tally = new EventTally();
    let pipeDone!: () => void;
    const pipeEnded = new Promise<void>((r) => (pipeDone = r));
    const end = accountingReads({ stream: o.stream, tally, idleTimeoutMs: 30_000, pipeEnded, clientGone: never });
    o.send(event(0));
    await vi.advanceTimersByTimeAsync(0);
    o.send(event(1));
    o.send(USAGE);
    o.end();
    pipeDone();
    // No timer is advanced from here on: a pause not cut short would never end.
    expect(await end).toBe("complete");
    // Nor is one left behind: neither the pause's timer nor the stall watchdog.
    expect(vi.getTimerCount()).toBe(0);
    expect(tally.result.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3 });
    expect(tally.result.deltaEvents).toBe(2);
  });

  it("pauses before its first read too: the attempt has read the first chunk already", async () => {
    let reads = 0;
    // highWaterMark 0: pull() runs only for a read that is waiting, so it counts the reads.
    const stream = new ReadableStream<Uint8Array>({ pull: (c) => void (++reads === 1 ? c.enqueue(event(1)) : c.close()) }, { highWaterMark: 0 });
    const tally = new EventTally();
    tally.chunk(event(0));
    const end = accountingReads({ stream, tally, idleTimeoutMs: 30_000, pipeEnded: never, clientGone: never });
    await vi.advanceTimersByTimeAsync(BATCH_MS - 1);
    expect(reads).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(reads).toBe(1);
    await vi.advanceTimersByTimeAsync(BATCH_MS);
    expect(await end).toBe("origin_error");
    expect(tally.result.deltaEvents).toBe(2);
  });

  it("reads on after each pause while the stream goes on, and sees every event", async () => {
    const o = origin();
    const tally = new EventTally();
    const end = accountingReads({ stream: o.stream, tally, idleTimeoutMs: 30_000, pipeEnded: never, clientGone: never });
    for (let i = 0; i < 10; i++) {
      o.send(event(i));
      await vi.advanceTimersByTimeAsync(BATCH_MS / 5);
    }
    o.send(USAGE);
    o.end();
    // A JS stream gives one chunk a read (a tee branch in workerd gives all it kept): a pause each.
    await vi.advanceTimersByTimeAsync(BATCH_MS * 12);
    expect(await end).toBe("complete");
    expect(tally.result.deltaEvents).toBe(10);
  });

  it("calls a silent origin stalled after idle_ms, pauses included, and not before", async () => {
    const o = origin();
    const tally = new EventTally();
    let settled = false;
    const end = accountingReads({ stream: o.stream, tally, idleTimeoutMs: 2000, pipeEnded: never, clientGone: never }).finally(() => (settled = true));
    o.send(event(0));
    await vi.advanceTimersByTimeAsync(1900);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2000 / 4 + 200);
    expect(await end).toBe("origin_stalled");
  });

  it("a slow origin that keeps within idle_ms is never called stalled", async () => {
    const o = origin();
    const tally = new EventTally();
    const end = accountingReads({ stream: o.stream, tally, idleTimeoutMs: 2000, pipeEnded: never, clientGone: never });
    for (let i = 0; i < 6; i++) {
      o.send(event(i));
      await vi.advanceTimersByTimeAsync(1800);
    }
    o.send(USAGE);
    o.end();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await end).toBe("complete");
  });

  it("a client that leaves ends it as client_closed", async () => {
    const o = origin();
    const end = accountingReads({ stream: o.stream, tally: new EventTally(), idleTimeoutMs: 30_000, pipeEnded: never, clientGone: Promise.resolve(true) });
    await vi.advanceTimersByTimeAsync(0);
    expect(await end).toBe("client_closed");
  });
});
