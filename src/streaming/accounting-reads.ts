// Reads the accounting copy of a natively relayed stream: every byte goes through the tally
// (usage, token estimate, [DONE]), and a silence longer than the idle timeout ends it as a
// stall. Its pace is not the client's: the client's copy is piped natively beside it.
//
// Why it pauses between reads: each read costs JavaScript a fixed ~35 µs however little
// it returns, and the origin sends one token per chunk. While no read is pending, the
// tee keeps what arrives for this branch, and the next read takes all of it at once. It
// must not ask for more than one byte instead (readAtLeast): workerd's tee reads its
// source with the largest minimum any branch asks for, so the client's copy would wait
// for that many bytes too (the lock-step test deadlocks that way).

import type { EventTally } from "./event-tally.ts";
import { chunkReads, preferByob } from "./origin-reads.ts";
import type { RelayEnd } from "./relay.ts";

/** The pause between two reads; never more than a quarter of the idle timeout. */
export const BATCH_MS = 500;
/**
 * A read this large says the origin is fast: read on without pausing, so that what the tee
 * keeps for this branch stays small (a few reads' worth, whatever the rate), and a fast
 * stream's reads are large anyway.
 */
export const FAST_BYTES = 16 * 1024;

export interface AccountingInput {
  stream: ReadableStream<Uint8Array>;
  tally: EventTally;
  idleTimeoutMs: number;
  /** Settles when the client's pipe ends (origin done or failed, client gone): no more pausing. */
  pipeEnded: Promise<unknown>;
  /** Resolves true if the client went away: the accounting ends as "client_closed". */
  clientGone: Promise<boolean>;
}

export async function accountingReads(input: AccountingInput): Promise<RelayEnd> {
  const { tally, idleTimeoutMs } = input;
  const reader = preferByob(input.stream, undefined);
  const read = chunkReads(reader);
  let pipeEnded = false;
  const pause = pauses(Math.min(BATCH_MS, idleTimeoutMs / 4));
  void input.pipeEnded.finally(() => {
    pipeEnded = true;
    pause.wake();
  });
  let stalled = false;
  let closedByClient = false;
  // One timer re-armed lazily, as relay()'s watchdog: a timer per token grows workerd's
  // memory. A pause between reads delays noticing a stall by at most itself, never fakes one.
  let last = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = (): void => {
    const idle = Date.now() - last;
    if (idle < idleTimeoutMs) return void (timer = setTimeout(check, idleTimeoutMs - idle));
    stalled = true;
    reader.cancel("origin stalled").catch(() => {});
  };
  timer = setTimeout(check, idleTimeoutMs);
  // The client going away ends the accounting too, and with it the origin's request.
  void input.clientGone.then((gone) => {
    if (!gone) return;
    closedByClient = true;
    reader.cancel("client closed").catch(() => {});
    pause.wake();
  });
  // The pause comes before each read, the first too: the attempt has read the first chunk,
  // and a stream that ends within the pause is then read in one go, as the floor reads it.
  let fast = false;
  try {
    for (;;) {
      if (!pipeEnded && !fast) await pause.wait();
      const next = await read();
      last = Date.now();
      if (closedByClient) return "client_closed";
      if (stalled) return "origin_stalled";
      if (next.done) return tally.complete() ? "complete" : "origin_error";
      tally.chunk(next.value);
      fast = next.value.length >= FAST_BYTES;
    }
  } catch {
    return closedByClient ? "client_closed" : stalled ? "origin_stalled" : "origin_error";
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A pause of `ms` that `wake()` ends early. One waker for all pauses: racing the pipe's end
 * afresh at every pause would leave a reaction on it per pause for as long as the stream
 * lasts, and the pause's timer pending after the stream ended.
 */
function pauses(ms: number): { wait(): Promise<void>; wake(): void } {
  let wake: (() => void) | null = null;
  return {
    wait: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => wake?.(), ms);
        wake = () => {
          wake = null;
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wake?.(),
  };
}
