// A non-streamed answer is read whole before anything is sent: the client cannot use
// half a JSON document anyway, and a whole one goes out as one native body, with no
// JavaScript stream in between. An origin that fails mid-body then gets a clean error
// status instead of a cut 200. Bodies over a size bound are relayed as they arrive.

import type { StartedBody } from "./origin-body.ts";
import { concat } from "./sse-splitter.ts";
import { usageOfJson, type Usage } from "./usage.ts";

/** Larger answers (big embedding batches) are relayed, not held in the isolate's memory. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

export type Collected =
  | { kind: "whole"; bytes: Uint8Array; usage: Usage | null }
  /** Over the bound: what was read so far, and the rest still to come from `reader`. */
  | { kind: "large"; first: Uint8Array; reader: ReadableStreamDefaultReader<Uint8Array>; stream?: ReadableStream<Uint8Array> }
  | { kind: "failed"; end: "origin_error" | "origin_stalled" | "client_closed" };

export interface CollectOptions {
  /** Longest silence between two chunks before the origin counts as stalled. */
  idleTimeoutMs: number;
  /** The origin's content-length, when it sent one for the bytes the reader gives (not encoded). */
  declaredLength: number | null;
  /** Aborts when the client goes away. */
  signal: AbortSignal | undefined;
  maxBytes?: number;
}

export async function collectJson(body: StartedBody, opts: CollectOptions): Promise<Collected> {
  const { reader } = body;
  const max = opts.maxBytes ?? MAX_BUFFERED_BYTES;
  const parts = [body.first];
  let size = body.first.length;
  const whole = (): Collected => {
    const bytes = concat(parts);
    return { kind: "whole", bytes, usage: usageOfJson(bytes) };
  };
  // The first chunk may be the whole declared body already (most declared ones are read
  // whole natively before they get here: forward.ts). Nothing is left to wait for, so no
  // timer and no further read (the HTTP layer reuses the connection as soon as the
  // declared bytes are in: the sim origin's connection count shows it).
  if (opts.declaredLength !== null && size >= opts.declaredLength) return whole();

  let stalled = false;
  let lastProgress = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = (): void => {
    const idle = Date.now() - lastProgress;
    if (idle < opts.idleTimeoutMs) {
      timer = setTimeout(check, opts.idleTimeoutMs - idle);
      return;
    }
    stalled = true;
    reader.cancel("origin stalled").catch(() => {});
  };
  timer = setTimeout(check, opts.idleTimeoutMs);
  const onAbort = (): void => void reader.cancel("client closed").catch(() => {});
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array> | null = null;
      try {
        next = await reader.read();
      } catch {
        // Told apart below: our own cancel (client gone, stall) or the origin breaking.
      }
      if (opts.signal?.aborted) return { kind: "failed", end: "client_closed" };
      if (stalled) return { kind: "failed", end: "origin_stalled" };
      if (next === null) return { kind: "failed", end: "origin_error" };
      if (next.done) {
        // A declared length the body fell short of is a cut body, not a whole one.
        if (opts.declaredLength !== null && size < opts.declaredLength) return { kind: "failed", end: "origin_error" };
        return whole();
      }
      lastProgress = Date.now();
      parts.push(next.value);
      size += next.value.length;
      if (size > max) return { kind: "large", first: concat(parts), reader, ...(body.stream ? { stream: body.stream } : {}) };
    }
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}
