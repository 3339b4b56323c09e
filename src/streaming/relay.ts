// Relays an origin's response body to the client as it arrives, taps the token usage
// for accounting, and ends a failed stream with an explicit error event. Pull-based:
// the client's pace drives reads from the origin, and a client that goes away
// cancels the origin's body.

import type { StartedBody } from "./origin-body.ts";
import { EventStreamTap } from "./event-stream-tap.ts";
import { nativeRelay } from "./native-relay.ts";
import { chunkReads, preferByob, type ChunkReader } from "./origin-reads.ts";
import { JsonUsageScanner, type Usage } from "./usage.ts";

export type RelayEnd = "complete" | "client_closed" | "origin_error" | "origin_stalled";

export interface RelayResult {
  usage: Usage | null;
  /** Content-bearing events relayed: the estimate of completion tokens when usage is missing. */
  deltaEvents: number;
  end: RelayEnd;
  firstByteAt: number | null;
}

export interface RelayOptions {
  /** Forward the origin's usage chunk (the client asked for it); otherwise strip it. */
  includeUsage: boolean;
  /** Longest silence between two chunks before the origin counts as stalled. */
  idleTimeoutMs: number;
}

const enc = new TextEncoder();

function errorEvent(end: RelayEnd): Uint8Array {
  const message =
    end === "origin_stalled"
      ? "The model origin stopped sending tokens; the stream was ended."
      : "The model origin ended the stream unexpectedly.";
  const code = end === "origin_stalled" ? "origin_timeout" : "origin_stream_error";
  return enc.encode(`data: ${JSON.stringify({ error: { message, type: "server_error", param: null, code } })}\n\n`);
}

/**
 * One lazily re-armed timer per stream, not one per chunk (workerd keeps a cleared
 * timer's memory until its deadline, so a timer per token grew memory with stream
 * length). Only time spent waiting on the origin counts: a slow client, which simply
 * pulls later, never makes the origin look stalled.
 */
function idleWatchdog(idleMs: number, onStall: () => void): { waiting(on: boolean): void; stop(): void; fired(): boolean } {
  let since: number | null = null;
  let fired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = (): void => {
    timer = undefined;
    if (since === null) return;
    const idle = Date.now() - since;
    if (idle < idleMs) {
      timer = setTimeout(check, idleMs - idle);
      return;
    }
    fired = true;
    onStall();
  };
  return {
    waiting(on) {
      since = on ? Date.now() : null;
      if (on) timer ??= setTimeout(check, idleMs);
    },
    stop: () => clearTimeout(timer),
    fired: () => fired,
  };
}

interface Tap {
  /** Bytes to forward for this chunk. */
  chunk(bytes: Uint8Array): Uint8Array | null;
  /** Bytes still held back when the origin's body ended. */
  rest(): Uint8Array | null;
  /** Whether the body ended the way a complete response ends. */
  complete(): boolean;
  /** Bytes to send after an origin failure, if the format allows one. */
  failure(end: RelayEnd): Uint8Array | null;
  result: Pick<RelayResult, "usage" | "deltaEvents">;
}

function eventStreamTap(includeUsage: boolean): Tap {
  const events = new EventStreamTap(includeUsage);
  return {
    result: events.result,
    chunk: (bytes) => events.chunk(bytes),
    rest: () => events.rest(),
    complete: () => events.complete(),
    failure: errorEvent,
  };
}

/** A JSON body: forwarded untouched; its top-level usage is read as it passes, in bounded memory. */
function jsonTap(): Tap {
  const scanner = new JsonUsageScanner();
  const result: Tap["result"] = { usage: null, deltaEvents: 0 };
  return {
    result,
    chunk(bytes) {
      scanner.push(bytes);
      return bytes;
    },
    rest: () => null,
    complete() {
      result.usage = scanner.usage();
      return true;
    },
    failure: () => null,
  };
}

/**
 * Where the relay reads: a stream, or a reader whose first chunk was already taken (with
 * the stream it reads, if known). A byte stream, such as an origin's fetch body, is read
 * through a BYOB reader, in chunks as large as what has arrived.
 */
export type RelaySource = ReadableStream<Uint8Array> | (Omit<StartedBody, "reader"> & { reader: ChunkReader });

export function relay(
  origin: RelaySource,
  kind: "event-stream" | "json",
  opts: RelayOptions,
): { body: ReadableStream<Uint8Array>; done: Promise<RelayResult> } {
  // Nothing to strip: the client's copy, tee()d by the attempt, bypasses JavaScript (see
  // native-relay.ts). Only a fetch body's tee() was shown to keep every chunk read before an
  // origin error in the client's branch; a JS stream's tee drops what its branch had queued.
  if (kind === "event-stream" && opts.includeUsage && !(origin instanceof ReadableStream) && origin.client !== undefined && origin.stream !== undefined) {
    origin.reader.releaseLock();
    return nativeRelay({ first: origin.first, toTap: origin.stream, toClient: origin.client, idleTimeoutMs: opts.idleTimeoutMs, errorEvent });
  }
  const reader = origin instanceof ReadableStream ? preferByob(origin, undefined) : preferByob(origin.stream, origin.reader);
  const read = chunkReads(reader);
  let first: Uint8Array | null = origin instanceof ReadableStream ? null : origin.first;
  const tap = kind === "event-stream" ? eventStreamTap(opts.includeUsage) : jsonTap();
  let firstByteAt: number | null = null;
  let resolveDone!: (r: RelayResult) => void;
  const done = new Promise<RelayResult>((r) => (resolveDone = r));
  let ended = false;
  const finish = (end: RelayEnd): void => {
    if (ended) return;
    ended = true;
    resolveDone({ ...tap.result, end, firstByteAt });
  };

  const dog = idleWatchdog(opts.idleTimeoutMs, () => void reader.cancel("origin stalled").catch(() => {}));
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, end: RelayEnd): void => {
    finish(end);
    const tail = tap.failure(end);
    if (tail === null) return controller.error(new Error("origin failed mid-body"));
    controller.enqueue(tail);
    controller.close();
  };

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          let next: ReadableStreamReadResult<Uint8Array>;
          dog.waiting(true);
          try {
            next = first !== null ? { done: false, value: first } : await read();
            first = null;
          } catch {
            dog.stop();
            reader.cancel().catch(() => {});
            return fail(controller, dog.fired() ? "origin_stalled" : "origin_error");
          }
          dog.waiting(false);
          if (dog.fired()) return fail(controller, "origin_stalled");
          if (next.done) {
            dog.stop();
            const rest = tap.rest();
            // A half event before an error event would merge with it; it is unusable anyway.
            if (!tap.complete()) return fail(controller, "origin_error");
            if (rest !== null) controller.enqueue(rest);
            finish("complete");
            return controller.close();
          }
          const out = tap.chunk(next.value);
          if (out !== null && out.length > 0) {
            firstByteAt ??= Date.now();
            controller.enqueue(out);
            return;
          }
        }
      },
      cancel(reason) {
        dog.stop();
        finish("client_closed");
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, done };
}
