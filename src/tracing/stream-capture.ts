// For capture "full" only: pass-throughs that read a copy of the answer as it goes to the
// client (an event stream's events, or a JSON body) into its choices. Bytes go on unchanged
// and at once; the copy is bounded. `onEnd` runs when the body has been read to its end.

import { concat, eventData, SseSplitter } from "../streaming/sse-splitter.ts";
import { choicesOfBody, MAX_CAPTURED_CHARS, type StreamAssembler } from "./assemble-output.ts";
import type { AssembledChoice } from "./traced-inference.ts";

/** An event or JSON body longer than this is not read (a normal stream chunk is far smaller). */
const MAX_READ_BYTES = 4 * MAX_CAPTURED_CHARS;
const decoder = new TextDecoder();

/** Feeds `assembler` event by event, so a stream the client cut short still shows what it got. */
export function captureStream(assembler: StreamAssembler, onEnd: () => void): TransformStream<Uint8Array, Uint8Array> {
  const splitter = new SseSplitter();
  const ends: number[] = [];
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  const event = (raw: Uint8Array): void => {
    const data = eventData(decoder.decode(raw));
    if (data === null || data === "[DONE]") return;
    try {
      assembler.chunk(JSON.parse(data));
    } catch {
      // Not JSON: the client gets it as sent; the trace just does not show it.
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      ends.length = 0;
      splitter.scan(chunk, ends);
      let start = 0;
      for (const end of ends) {
        const part = chunk.subarray(start, end);
        if (heldBytes + part.length <= MAX_READ_BYTES) event(held.length === 0 ? part : concat([...held, part]));
        held = [];
        heldBytes = 0;
        start = end;
      }
      if (start < chunk.length && heldBytes <= MAX_READ_BYTES) {
        held.push(chunk.slice(start));
        heldBytes += chunk.length - start;
      }
    },
    flush: onEnd,
  });
}

export function captureJson(onEnd: (choices: AssembledChoice[] | null) => void): TransformStream<Uint8Array, Uint8Array> {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  return new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      bytes += chunk.length;
      if (bytes <= MAX_READ_BYTES) parts.push(chunk.slice());
    },
    flush() {
      if (bytes > MAX_READ_BYTES) return onEnd(null);
      try {
        onEnd(choicesOfBody(JSON.parse(new TextDecoder().decode(concat(parts)))));
      } catch {
        onEnd(null);
      }
    },
  });
}
