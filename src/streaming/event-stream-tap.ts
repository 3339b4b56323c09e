// What the relay learns from an event stream as it passes, and what it changes: counts
// completion events, reads the usage, notes the closing [DONE], strips the usage-only
// event the client did not ask for, and holds back a half event until its end arrives.

import { concat, eventData, SseSplitter } from "./sse-splitter.ts";
import { parseUsage, type Usage } from "./usage.ts";

// A BOM is a character like any other here (the spec strips one only at the stream's
// start), so decoding a run of events gives exactly the texts of its events decoded alone.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
/**
 * What `account` looks for, in one expression: one regular expression search costs less
 * than four substring searches for patterns that start with a quote, JSON's commonest byte.
 */
const SPECIAL = /\[DONE\]|"usage": ?\{|"error"/;

export class EventStreamTap {
  readonly result: { usage: Usage | null; deltaEvents: number } = { usage: null, deltaEvents: 0 };
  private readonly includeUsage: boolean;
  private readonly splitter = new SseSplitter();
  /** Where events end in the current chunk; reused, so a chunk allocates no array. */
  private readonly ends: number[] = [];
  /** The unfinished event's bytes so far, in the pieces they came in. */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private sawDone = false;

  constructor(includeUsage: boolean) {
    this.includeUsage = includeUsage;
  }

  /**
   * The bytes to forward for this chunk: every event it completes, as the origin sent
   * them (the chunk itself when it holds only whole events), or null if none. Whole
   * events only, so an error event can never be glued to a half event.
   */
  chunk(bytes: Uint8Array): Uint8Array | null {
    const ends = this.ends;
    ends.length = 0;
    this.splitter.scan(bytes, ends);
    if (ends.length === 0) {
      this.hold(bytes);
      return null;
    }
    const last = ends[ends.length - 1]!;
    const head = last === bytes.length ? bytes : bytes.subarray(0, last);
    // Offsets in `ends` are the chunk's; the held bytes come first in `whole`.
    const offset = this.heldBytes;
    let whole = head;
    if (offset > 0) {
      this.held.push(head);
      whole = concat(this.held);
    }
    this.held = [];
    this.heldBytes = 0;
    if (last < bytes.length) this.hold(bytes.subarray(last));

    // One native decode and search for the whole run. Without any of these markers every
    // event is a completion event, bar blank ones, exactly as one by one would find.
    if (SPECIAL.test(decoder.decode(whole))) return this.eventByEvent(whole, offset);
    let start = 0;
    for (const end of ends) {
      if (end + offset - start > 2) this.result.deltaEvents++;
      start = end + offset;
    }
    return whole;
  }

  /** Bytes still held when the origin's body ended: an unfinished event. */
  rest(): Uint8Array | null {
    return this.held.length === 0 ? null : concat(this.held);
  }

  /** Whether the stream ended the way a complete one ends, with [DONE]. */
  complete(): boolean {
    return this.sawDone;
  }

  private hold(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.held.push(piece);
    this.heldBytes += piece.length;
  }

  /** The careful path, for a run that mentions [DONE], a usage object or an error. */
  private eventByEvent(whole: Uint8Array, offset: number): Uint8Array | null {
    const keep: Uint8Array[] = [];
    let start = 0;
    for (const end of this.ends) {
      const ev = whole.subarray(start, end + offset);
      start = end + offset;
      if (this.account(ev)) keep.push(ev);
    }
    if (keep.length === this.ends.length) return whole;
    return keep.length === 0 ? null : concat(keep);
  }

  /** Counts one event; false for the usage-only event the client did not ask for. */
  private account(ev: Uint8Array): boolean {
    const text = decoder.decode(ev);
    if (text.length <= 32 && text.includes("[DONE]")) {
      this.sawDone = true;
    } else if (text.includes('"usage":{') || text.includes('"usage": {')) {
      const parsed = parseEvent(ev);
      const usage = parseUsage(parsed?.usage);
      if (usage) this.result.usage = usage;
      const choices = parsed?.choices;
      if (!this.includeUsage && usage && Array.isArray(choices) && choices.length === 0) return false;
      if (Array.isArray(choices) && choices.length > 0) this.result.deltaEvents++;
    } else if (text.length > 2 && !text.includes('"error"')) {
      this.result.deltaEvents++;
    }
    return true;
  }
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
