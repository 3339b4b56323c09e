// Relays an origin's response body to the client as it arrives, taps the token usage
// for accounting, and ends a failed stream with an explicit error event. Pull-based:
// the client's pace drives reads from the origin, and a client that goes away
// cancels the origin's body.

import { concat, eventData, includesBytes, SseSplitter } from "./sse-splitter.ts";
import { parseUsage, usageFromTail, type Usage } from "./usage.ts";

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
const DONE = enc.encode("[DONE]");
const USAGE = [enc.encode('"usage":{'), enc.encode('"usage": {')];
const ERROR = enc.encode('"error"');
const TAIL_BYTES = 4096;

class StallError extends Error {}

function errorEvent(end: RelayEnd): Uint8Array {
  const message =
    end === "origin_stalled"
      ? "The model origin stopped sending tokens; the stream was ended."
      : "The model origin ended the stream unexpectedly.";
  const code = end === "origin_stalled" ? "origin_timeout" : "origin_stream_error";
  return enc.encode(`data: ${JSON.stringify({ error: { message, type: "server_error", param: null, code } })}\n\n`);
}

/**
 * One timer per stream, not one per read: workerd keeps a cleared timer's memory until the
 * time it was set for, so a 30 s timer per chunk held ~600 bytes per relayed token for 30 s
 * (hundreds of MB with a few hundred busy streams). The watchdog only counts time spent
 * waiting on the origin, so a slow client never makes the origin look stalled.
 */
function idleWatchdog(idleMs: number, onStall: () => void): { waiting(on: boolean): void; stop(): void } {
  let waitingSince: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = (): void => {
    const idle = waitingSince === null ? 0 : Date.now() - waitingSince;
    if (idle >= idleMs) return onStall();
    timer = setTimeout(check, idleMs - idle);
  };
  return {
    waiting(on) {
      waitingSince = on ? Date.now() : null;
      timer ??= setTimeout(check, idleMs);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

interface Tap {
  /** Bytes to forward for this chunk. */
  chunk(bytes: Uint8Array): Uint8Array | null;
  /** Whether the body ended the way a complete response ends. */
  complete(): boolean;
  /** Bytes to send after an origin failure, if the format allows one. */
  failure(end: RelayEnd): Uint8Array | null;
  result: Pick<RelayResult, "usage" | "deltaEvents">;
}

function eventStreamTap(includeUsage: boolean): Tap {
  const splitter = new SseSplitter();
  let sawDone = false;
  const result: Tap["result"] = { usage: null, deltaEvents: 0 };
  return {
    result,
    chunk(bytes) {
      const keep: Uint8Array[] = [];
      for (const ev of splitter.push(bytes)) {
        if (ev.length <= 32 && includesBytes(ev, DONE)) {
          sawDone = true;
        } else if (includesBytes(ev, USAGE[0]!) || includesBytes(ev, USAGE[1]!)) {
          const parsed = parseEvent(ev);
          const usage = parseUsage(parsed?.usage);
          if (usage) result.usage = usage;
          const choices = parsed?.choices;
          if (!includeUsage && usage && Array.isArray(choices) && choices.length === 0) continue;
          if (Array.isArray(choices) && choices.length > 0) result.deltaEvents++;
        } else if (!includesBytes(ev, ERROR) && ev.length > 2) {
          result.deltaEvents++;
        }
        keep.push(ev);
      }
      // With nothing to strip, the origin's chunk goes out exactly as it came.
      if (includeUsage) return bytes;
      return keep.length === 0 ? null : concat(keep);
    },
    complete: () => sawDone,
    failure: errorEvent,
  };
}

function parseEvent(ev: Uint8Array): Record<string, unknown> | null {
  const data = eventData(ev);
  if (data === null) return null;
  try {
    const v: unknown = JSON.parse(data);
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A JSON body: forwarded untouched; only its last bytes are kept, to read the usage. */
function jsonTap(): Tap {
  let tail: Uint8Array = new Uint8Array(0);
  const result: Tap["result"] = { usage: null, deltaEvents: 0 };
  return {
    result,
    chunk(bytes) {
      tail = bytes.length >= TAIL_BYTES ? bytes.slice(-TAIL_BYTES) : concat([tail.slice(-(TAIL_BYTES - bytes.length)), bytes]);
      return bytes;
    },
    complete() {
      result.usage = usageFromTail(new TextDecoder().decode(tail));
      return true;
    },
    failure: () => null,
  };
}

export function relay(
  origin: ReadableStream<Uint8Array>,
  kind: "event-stream" | "json",
  opts: RelayOptions,
): { body: ReadableStream<Uint8Array>; done: Promise<RelayResult> } {
  const reader = origin.getReader();
  const tap = kind === "event-stream" ? eventStreamTap(opts.includeUsage) : jsonTap();
  let firstByteAt: number | null = null;
  let stalled = false;
  // A stalled origin's pending read is ended by cancelling it; `stalled` says why it ended.
  const watchdog = idleWatchdog(opts.idleTimeoutMs, () => {
    stalled = true;
    reader.cancel(new StallError()).catch(() => {});
  });
  let settle!: (r: RelayResult) => void;
  const done = new Promise<RelayResult>((r) => (settle = r));
  let ended = false;
  const finish = (end: RelayEnd): void => {
    if (ended) return;
    ended = true;
    watchdog.stop();
    settle({ ...tap.result, end, firstByteAt });
  };

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          let next: ReadableStreamReadResult<Uint8Array>;
          try {
            watchdog.waiting(true);
            next = await reader.read();
            watchdog.waiting(false);
            if (stalled) throw new StallError();
          } catch (err) {
            const end: RelayEnd = err instanceof StallError || stalled ? "origin_stalled" : "origin_error";
            reader.cancel().catch(() => {});
            finish(end);
            const tail = tap.failure(end);
            if (tail === null) return controller.error(new Error("origin failed mid-body"));
            controller.enqueue(tail);
            return controller.close();
          }
          if (next.done) {
            const ok = tap.complete();
            if (!ok) {
              const tail = tap.failure("origin_error");
              if (tail !== null) controller.enqueue(tail);
            }
            finish(ok ? "complete" : "origin_error");
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
        finish("client_closed");
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, done };
}
