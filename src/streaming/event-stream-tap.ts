// The JS relay's event-stream tap: forwards whole events only (holding a half event back
// until its end arrives), strips the usage-only event the client did not ask for, and hands
// every chunk to the tally, which does the accounting for both relays.

import { EventTally, parseObject } from "./event-tally.ts";
import { concat, eventData, SseSplitter } from "./sse-splitter.ts";
import { parseUsage } from "./usage.ts";

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const USAGE = /usage": ?\{/;

export class EventStreamTap {
  readonly #tally = new EventTally();
  readonly result = this.#tally.result;
  readonly #includeUsage: boolean;
  readonly #splitter = new SseSplitter();
  /** Where events end in the current chunk; reused, so a chunk allocates no array. */
  readonly #ends: number[] = [];
  /** The unfinished event's bytes so far, in the pieces they came in. */
  #held: Uint8Array[] = [];
  #heldBytes = 0;

  constructor(includeUsage: boolean) {
    this.#includeUsage = includeUsage;
  }

  /**
   * The bytes to forward for this chunk: every event it completes, as the origin sent
   * them (the chunk itself when it holds only whole events), or null if none. Whole
   * events only, so an error event can never be glued to a half event.
   */
  chunk(bytes: Uint8Array): Uint8Array | null {
    const marked = this.#tally.chunk(bytes);
    const ends = this.#ends;
    ends.length = 0;
    this.#splitter.scan(bytes, ends);
    if (ends.length === 0) {
      this.#hold(bytes);
      return null;
    }
    const last = ends[ends.length - 1]!;
    const head = last === bytes.length ? bytes : bytes.subarray(0, last);
    // Offsets in `ends` are the chunk's; the held bytes come first in `whole`.
    const offset = this.#heldBytes;
    let whole = head;
    if (offset > 0) {
      this.#held.push(head);
      whole = concat(this.#held);
    }
    this.#held = [];
    this.#heldBytes = 0;
    if (last < bytes.length) this.#hold(bytes.subarray(last));
    // Only a run whose text mentions a usage object (or [DONE]) can hold the usage-only event.
    return marked && !this.#includeUsage ? this.#strip(whole, offset) : whole;
  }

  /** Bytes still held when the origin's body ended: an unfinished event. */
  rest(): Uint8Array | null {
    return this.#held.length === 0 ? null : concat(this.#held);
  }

  /** Whether the stream ended the way a complete one ends, with [DONE]. */
  complete(): boolean {
    return this.#tally.complete();
  }

  #hold(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#held.push(piece);
    this.#heldBytes += piece.length;
  }

  /** The run less its usage-only events: data with a usage object and an empty choices array. */
  #strip(whole: Uint8Array, offset: number): Uint8Array | null {
    const keep: Uint8Array[] = [];
    let dropped = false;
    let start = 0;
    for (const end of this.#ends) {
      const ev = whole.subarray(start, end + offset);
      start = end + offset;
      const text = decoder.decode(ev);
      const parsed = USAGE.test(text) ? parseObject(eventData(text) ?? "") : null;
      const choices = parsed?.choices;
      if (parseUsage(parsed?.usage) && Array.isArray(choices) && choices.length === 0) dropped = true;
      else keep.push(ev);
    }
    return !dropped ? whole : keep.length === 0 ? null : concat(keep);
  }
}
