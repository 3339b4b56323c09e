// For capture "full" only: a pass-through that reads a copy of an event stream's events into
// the answer's choices. Bytes go on unchanged and at once; the copy is bounded.

import { concat, eventData, SseSplitter } from "../streaming/sse-splitter.ts";
import { MAX_CAPTURED_CHARS, StreamAssembler } from "./assemble-output.ts";

/** An event longer than this is not read (a chunk of a normal answer is far smaller). */
const MAX_EVENT_BYTES = MAX_CAPTURED_CHARS;

export function captureStream(assembler: StreamAssembler): TransformStream<Uint8Array, Uint8Array> {
  const splitter = new SseSplitter();
  const ends: number[] = [];
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  const event = (raw: Uint8Array): void => {
    const data = eventData(raw);
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
        if (heldBytes + part.length <= MAX_EVENT_BYTES) event(held.length === 0 ? part : concat([...held, part]));
        held = [];
        heldBytes = 0;
        start = end;
      }
      if (start < chunk.length && heldBytes <= MAX_EVENT_BYTES) {
        held.push(chunk.slice(start));
        heldBytes += chunk.length - start;
      }
    },
  });
}
