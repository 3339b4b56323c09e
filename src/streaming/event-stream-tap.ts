// What the relay learns from an event stream as it passes, and what it changes: counts
// well-formed completion events, reads the usage, notes the closing [DONE], strips the usage-only
// event the client did not ask for, and holds back a half event until its end arrives.

import { concat, eventData, SseSplitter } from "./sse-splitter.ts";
import { parseUsage, type Usage } from "./usage.ts";

// A BOM is a character like any other here (the spec strips one only at the stream's
// start), so decoding a run of events gives exactly the texts of its events decoded alone.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
/**
 * What `account` looks for, in one expression: one regular expression search costs less
 * than several substring searches for patterns that start with a quote, JSON's commonest byte.
 */
const SPECIAL = /\[DONE\]|"usage": ?\{/;
const LF = 0x0a;
const CR = 0x0d;
const OPEN_BRACKET = 0x5b;
const encoder = new TextEncoder();
const DATA_FIELD = encoder.encode("data:");
const CHOICES_KEY = encoder.encode('"choices":');

export class EventStreamTap {
  readonly result: { usage: Usage | null; deltaEvents: number } = { usage: null, deltaEvents: 0 };
  readonly #includeUsage: boolean;
  readonly #splitter = new SseSplitter();
  /** Where events end in the current chunk; reused, so a chunk allocates no array. */
  readonly #ends: number[] = [];
  /** The unfinished event's bytes so far, in the pieces they came in. */
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #sawDone = false;
  readonly #cursor: BracketCursor = { at: -1 };

  constructor(includeUsage: boolean) {
    this.#includeUsage = includeUsage;
  }

  /**
   * The bytes to forward for this chunk: every event it completes, as the origin sent
   * them (the chunk itself when it holds only whole events), or null if none. Whole
   * events only, so an error event can never be glued to a half event.
   */
  chunk(bytes: Uint8Array): Uint8Array | null {
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

    // One native decode and search for the whole run. Without any of these markers an
    // event only needs judging as content or not, exactly as one by one would find; so
    // only the events from the first marker on take the careful path. The marker's index
    // in the text is never past its byte offset (no byte sequence decodes to more UTF-16
    // units than it has bytes), so every event that ends by that index has none.
    const marker = decoder.decode(whole).search(SPECIAL);
    const start = this.#countPlain(whole, offset, marker === -1 ? whole.length : marker);
    return marker === -1 ? whole : this.#eventByEvent(whole, offset, start);
  }

  /** Counts the content events that end at or before `upTo`, as plain ones; returns where the first other event starts. */
  #countPlain(whole: Uint8Array, offset: number, upTo: number): number {
    let start = 0;
    const cursor = this.#cursor;
    cursor.at = whole.indexOf(OPEN_BRACKET);
    for (const end of this.#ends) {
      if (end + offset > upTo) break;
      if (isContentEvent(whole, start, end + offset, cursor)) this.result.deltaEvents++;
      start = end + offset;
    }
    return start;
  }

  /** Bytes still held when the origin's body ended: an unfinished event. */
  rest(): Uint8Array | null {
    return this.#held.length === 0 ? null : concat(this.#held);
  }

  /** Whether the stream ended the way a complete one ends, with [DONE]. */
  complete(): boolean {
    return this.#sawDone;
  }

  #hold(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#held.push(piece);
    this.#heldBytes += piece.length;
  }

  /** The careful path, for the events of a run from `from` on, the first that mentions [DONE] or a usage object. */
  #eventByEvent(whole: Uint8Array, offset: number, from: number): Uint8Array | null {
    const keep: Uint8Array[] = from > 0 ? [whole.subarray(0, from)] : [];
    let dropped = false;
    let start = 0;
    for (const end of this.#ends) {
      const ev = whole.subarray(start, end + offset);
      start = end + offset;
      if (start <= from) continue;
      if (this.#account(ev)) keep.push(ev);
      else dropped = true;
    }
    if (!dropped) return whole;
    return keep.length === 0 ? null : concat(keep);
  }

  /** Counts one event; false for the usage-only event the client did not ask for. */
  #account(ev: Uint8Array): boolean {
    const text = decoder.decode(ev);
    if (text.length <= 32 && text.includes("[DONE]")) {
      this.#sawDone = true;
    } else if (text.includes('"usage":{') || text.includes('"usage": {')) {
      const parsed = parseEvent(ev);
      const usage = parseUsage(parsed?.usage);
      if (usage) this.result.usage = usage;
      const choices = parsed?.choices;
      if (!this.#includeUsage && usage && Array.isArray(choices) && choices.length === 0) return false;
      if (Array.isArray(choices) && choices.length > 0) this.result.deltaEvents++;
    } else if (isContentEvent(ev, 0, ev.length)) {
      this.result.deltaEvents++;
    }
    return true;
  }
}

/**
 * Where the next `[` of a run is (-1: none left), carried from event to event so that no
 * byte is searched twice; one behind the event's start is looked for again.
 */
export interface BracketCursor {
  at: number;
}

/**
 * A completion event, the estimate's unit when the origin sends no usage: one whose data
 * is a JSON object with a non-empty `choices` array. Comments, blank events, error events
 * and events that are not JSON (a garbled or cut origin) deliver no token and count for
 * nothing. An event shaped as serialisers write one (`data: {` ... `"choices":[{` ... `}`)
 * is taken as it is, without a parse; any other is parsed.
 */
export function isContentEvent(bytes: Uint8Array, start: number, end: number, cursor: BracketCursor = { at: -2 }): boolean {
  let e = end;
  while (e > start && (bytes[e - 1] === LF || bytes[e - 1] === CR)) e--;
  if (e - start < 2 + DATA_FIELD.length) return false;
  if (looksLikeContent(bytes, start, e, cursor)) return true;
  // Parse only what could be an object with choices: a failed parse throws, and an
  // exception costs more than a whole stream of plain events.
  const data = eventData(bytes.subarray(start, end))?.trim();
  if (data === undefined || data[0] !== "{" || data[data.length - 1] !== "}" || !data.includes('"choices"')) return false;
  const choices = parseObject(data)?.choices;
  return Array.isArray(choices) && choices.length > 0;
}

function looksLikeContent(b: Uint8Array, start: number, e: number, cursor: BracketCursor): boolean {
  for (let k = 0; k < DATA_FIELD.length; k++) if (b[start + k] !== DATA_FIELD[k]) return false;
  let i = start + DATA_FIELD.length;
  if (b[i] === 0x20) i++;
  if (b[i] !== 0x7b || b[e - 1] !== 0x7d) return false;
  let p = cursor.at;
  if (p < i && p !== -1) p = b.indexOf(OPEN_BRACKET, i);
  for (; p !== -1 && p < e - 1; p = b.indexOf(OPEN_BRACKET, p + 1)) {
    if (b[p + 1] !== 0x7b || p - CHOICES_KEY.length < i) continue;
    let k = 0;
    while (k < CHOICES_KEY.length && b[p - CHOICES_KEY.length + k] === CHOICES_KEY[k]) k++;
    if (k === CHOICES_KEY.length) break;
  }
  cursor.at = p;
  return p !== -1 && p < e - 1;
}

function parseEvent(ev: Uint8Array): Record<string, unknown> | null {
  const data = eventData(ev);
  return data === null ? null : parseObject(data);
}

function parseObject(data: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(data);
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
