// The event-stream relay for a client that asked for usage itself: nothing needs
// stripping, so the client's copy of the origin's bytes never crosses JavaScript (a tee()
// branch piped natively into an identity stream), while JavaScript reads the other branch
// only to account the tokens and watch for a stall. The pipe leaves the client's stream
// open at its end, so that the relay can still end a failure with an explicit error event.

import { accountingReads } from "./accounting-reads.ts";
import { EventTally } from "./event-tally.ts";
import type { RelayEnd, RelayResult } from "./relay.ts";

export interface NativeRelayInput {
  /** The origin's first chunk, already read from `toTap`. */
  first: Uint8Array;
  /** The accounting branch of the origin's body's tee(), unlocked (its reader released). */
  toTap: ReadableStream<Uint8Array>;
  /** The client's branch, unread: the first chunk is still in it. */
  toClient: ReadableStream<Uint8Array>;
  idleTimeoutMs: number;
  errorEvent(end: RelayEnd): Uint8Array;
}

/** Like relay() for an event stream with includeUsage: the same results and the same ends. */
export function nativeRelay(input: NativeRelayInput): { body: ReadableStream<Uint8Array>; done: Promise<RelayResult> } {
  const { first, toTap, toClient, idleTimeoutMs } = input;
  // workerd's native pass-through stream: what the pipe writes is the client's body.
  const pass = new IdentityTransformStream();
  const stop = new AbortController();
  const firstByteAt = Date.now();
  // Every byte, the first chunk included, goes to the client by the native pipe.
  const piped = toClient.pipeTo(pass.writable, { preventClose: true, preventAbort: true, signal: stop.signal });
  // The pipe fails when either end does; only an errored client side means the client left.
  const clientGone = piped.then(
    () => false,
    () => !stop.signal.aborted && destinationErrored(pass.writable),
  );
  const tally = new EventTally();
  tally.chunk(first);

  const done = (async (): Promise<RelayResult> => {
    let end = await accountingReads({ stream: toTap, tally, idleTimeoutMs, pipeEnded: piped.catch(() => {}), clientGone });
    // Complete only once the client's copy is all written too.
    if (end === "complete" && (await clientGone)) end = "client_closed";
    if (end === "origin_error" || end === "origin_stalled") {
      stop.abort();
      await piped.catch(() => {});
    }
    // workerd cancels the origin from either branch, so a client that left can also look
    // like a failed read: the error event it can no longer take tells the two apart.
    if (!(await finishClient(pass.writable, end, tally.end(), input.errorEvent)) && end !== "complete") end = "client_closed";
    return { ...tally.result, end, firstByteAt };
  })();
  return { body: pass.readable, done };
}

/** Whether the client's side failed (the client went away), as its writer's null desiredSize says. */
function destinationErrored(writable: WritableStream<Uint8Array>): boolean {
  const writer = writable.getWriter();
  const errored = writer.desiredSize === null;
  writer.releaseLock();
  return errored;
}

/** Closes the client's stream, after an error event when the origin failed; false if the client was gone. */
async function finishClient(writable: WritableStream<Uint8Array>, end: RelayEnd, halfEvent: boolean, errorEvent: (end: RelayEnd) => Uint8Array): Promise<boolean> {
  const writer = writable.getWriter();
  try {
    if (end === "client_closed") {
      await writer.abort("client closed");
      return false;
    }
    if (end !== "complete") {
      // A half event already went out natively: end it, so the error event stands on its own.
      if (halfEvent) await writer.write(new Uint8Array([10, 10]));
      await writer.write(errorEvent(end));
    }
    await writer.close();
    return true;
  } catch {
    return false;
  }
}
