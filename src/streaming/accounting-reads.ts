// Reads the accounting copy of a natively relayed stream: every byte goes through the tap
// (usage, token estimate, [DONE]), and a silence longer than the idle timeout ends it as a
// stall. Its pace is not the client's: the client's copy is piped natively beside it.

import type { EventStreamTap } from "./event-stream-tap.ts";
import { chunkReads, preferByob } from "./origin-reads.ts";
import type { RelayEnd } from "./relay.ts";

/** How the accounting copy ended; `clientGone` resolving true ends it as "client_closed". */
export async function accountingReads(stream: ReadableStream<Uint8Array>, tap: EventStreamTap, idleTimeoutMs: number, clientGone: Promise<boolean>): Promise<RelayEnd> {
  const reader = preferByob(stream, undefined);
  const read = chunkReads(reader);
  let stalled = false;
  let closedByClient = false;
  // One timer re-armed lazily, as relay()'s watchdog: a timer per token grows workerd's memory.
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
  void clientGone.then((gone) => {
    if (!gone) return;
    closedByClient = true;
    reader.cancel("client closed").catch(() => {});
  });
  try {
    for (;;) {
      const next = await read();
      last = Date.now();
      if (closedByClient) return "client_closed";
      if (stalled) return "origin_stalled";
      if (next.done) return tap.complete() ? "complete" : "origin_error";
      tap.chunk(next.value);
    }
  } catch {
    return closedByClient ? "client_closed" : stalled ? "origin_stalled" : "origin_error";
  } finally {
    clearTimeout(timer);
  }
}
