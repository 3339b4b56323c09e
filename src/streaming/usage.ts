// Token usage as OpenAI-compatible servers report it, and where to find it in a JSON
// answer: the document's own top-level "usage" member, wherever it stands and however
// deeply its details nest, read by a scanner whose memory does not grow with the body.

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

const count = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null);

export function parseUsage(v: unknown): Usage | null {
  if (typeof v !== "object" || v === null) return null;
  const u = v as Record<string, unknown>;
  const prompt = count(u.prompt_tokens);
  if (prompt === null) return null;
  return { prompt_tokens: prompt, completion_tokens: count(u.completion_tokens) ?? 0 };
}

/** Largest usage object kept (OpenAI's full shape with both detail objects is ~300 bytes). */
export const MAX_USAGE_BYTES = 16 * 1024;
/** Longest top-level key looked at: "usage" spelt with JSON escapes still fits. */
const MAX_KEY_BYTES = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const USAGE_KEY = [0x75, 0x73, 0x61, 0x67, 0x65]; // usage
const decoder = new TextDecoder();

// What each byte is to the scanner outside strings; one table look-up per byte.
const PLAIN = 0;
const SPACE = 1;
const QUOTE_C = 2;
const OPEN = 3;
const CLOSE = 4;
const COLON_C = 5;
const COMMA_C = 6;
const CLASS = new Uint8Array(256);
for (const b of [0x20, 0x0a, 0x0d, 0x09]) CLASS[b] = SPACE;
CLASS[QUOTE] = QUOTE_C;
for (const b of [0x7b, 0x5b]) CLASS[b] = OPEN; // { [
for (const b of [0x7d, 0x5d]) CLASS[b] = CLOSE; // } ]
CLASS[0x3a] = COLON_C;
CLASS[0x2c] = COMMA_C;

/**
 * Reads a JSON document's top-level "usage" object as its bytes go by, in any chunking.
 * It keeps only its place (depth, inside a string or not) and, while one passes, the
 * usage object's bytes (up to MAX_USAGE_BYTES): nothing else of the body is held. Not a
 * validator: a broken document yields whatever usage it showed, or none.
 */
export class JsonUsageScanner {
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** At depth 1: the next string is a member's name. */
  #expectKey = false;
  /** The current top-level member name's bytes, while one is being read. */
  #key: number[] | null = null;
  /** The last top-level name read was "usage"; its value is next after the colon. */
  #usageNext = false;
  #afterColon = false;
  /** The usage object's bytes so far, while inside it. */
  #capture: Uint8Array[] | null = null;
  #captured = 0;
  #found: Usage | null = null;
  /** The document is not an object: nothing to find. */
  #stopped = false;

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    // Where the usage capture began in this chunk, while one is open.
    let from = this.#capture !== null ? 0 : -1;
    let depth = this.#depth;
    let i = 0;
    while (i < n && !this.#stopped) {
      if (this.#inString) {
        i = this.#skipString(chunk, i);
        continue;
      }
      const b = chunk[i]!;
      const c = CLASS[b]!;
      if (c === SPACE) {
        i++;
        continue;
      }
      if (depth === 0) {
        this.#open(b);
        depth = 1;
        i++;
        continue;
      }
      if (depth === 1 && this.#afterColon && this.#valueStarts(b)) from = i;
      i++;
      switch (c) {
        case PLAIN:
          // Numbers and literals: skip their run at once (an embedding is mostly these).
          while (i < n && CLASS[chunk[i]!]! === PLAIN) i++;
          break;
        case QUOTE_C:
          this.#inString = true;
          if (depth === 1 && this.#expectKey) this.#key = [];
          break;
        case OPEN:
          depth++;
          break;
        case CLOSE:
          depth--;
          if (depth === 1 && this.#capture !== null) {
            this.#keep(chunk.subarray(from, i));
            from = -1;
            this.#finishCapture();
          } else if (depth === 0) {
            this.#stop();
          }
          break;
        case COLON_C:
        case COMMA_C:
          // Only the top level's punctuation matters: name, then value, then the next name.
          if (depth === 1) {
            this.#expectKey = c === COMMA_C;
            this.#afterColon = c === COLON_C;
          }
          break;
      }
    }
    this.#depth = depth;
    if (this.#capture !== null && from !== -1) this.#keep(chunk.subarray(from));
  }

  /** The document's first byte: an object, or there is nothing to find. */
  #open(b: number): void {
    if (b !== 0x7b) this.#stop();
    this.#expectKey = true;
  }

  /** A top-level member's value starts with `b`; true if it is the usage object, whose bytes are kept from here. */
  #valueStarts(b: number): boolean {
    this.#afterColon = false;
    const usage = this.#usageNext && b === 0x7b;
    this.#usageNext = false;
    if (usage) {
      this.#capture = [];
      this.#captured = 0;
    }
    return usage;
  }

  /** From inside a string at `i`: the offset just past its closing quote, or the chunk's end. */
  #skipString(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    const start = i;
    if (this.#escaped) {
      // The previous chunk ended on a backslash: this byte is escaped.
      this.#escaped = false;
      i++;
    }
    for (;;) {
      const q = chunk.indexOf(QUOTE, i);
      const end = q === -1 ? n : q;
      let k = 0;
      while (end - k - 1 >= i && chunk[end - k - 1] === BACKSLASH) k++;
      if (q === -1) {
        this.#escaped = k % 2 === 1;
        this.#keyBytes(chunk, start, n);
        return n;
      }
      if (k % 2 === 0) {
        this.#keyBytes(chunk, start, q);
        this.#endString();
        return q + 1;
      }
      i = q + 1;
    }
  }

  #keyBytes(chunk: Uint8Array, from: number, to: number): void {
    const key = this.#key;
    if (key === null) return;
    for (let j = from; j < to && key.length <= MAX_KEY_BYTES; j++) key.push(chunk[j]!);
  }

  /** The usage found so far (the last top-level one, as JSON.parse would keep). */
  usage(): Usage | null {
    return this.#found;
  }

  #endString(): void {
    this.#inString = false;
    if (this.#key === null) return;
    const key = this.#key;
    this.#key = null;
    this.#usageNext = isUsageKey(key);
  }

  #keep(piece: Uint8Array): void {
    if (this.#capture === null) return;
    this.#captured += piece.length;
    // Over the bound: let it pass unread rather than hold it.
    if (this.#captured > MAX_USAGE_BYTES) this.#capture = null;
    else this.#capture.push(piece.slice());
  }

  #finishCapture(): void {
    const parts = this.#capture;
    this.#capture = null;
    if (parts === null) return;
    const all = new Uint8Array(this.#captured);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    try {
      const usage = parseUsage(JSON.parse(decoder.decode(all)));
      if (usage !== null) this.#found = usage;
    } catch {
      // A broken usage object counts as none: the estimate stands.
    }
  }

  #stop(): void {
    this.#stopped = true;
    this.#capture = null;
  }
}

/** A top-level name, as raw bytes between its quotes, is "usage" (escapes decoded as JSON does). */
function isUsageKey(raw: number[]): boolean {
  if (raw.length === USAGE_KEY.length && raw.every((b, i) => b === USAGE_KEY[i])) return true;
  if (raw.length > MAX_KEY_BYTES || !raw.includes(BACKSLASH)) return false;
  try {
    return JSON.parse(`"${decoder.decode(new Uint8Array(raw))}"`) === "usage";
  } catch {
    return false;
  }
}

/** The usage of a whole JSON answer. */
export function usageOfJson(bytes: Uint8Array): Usage | null {
  const s = new JsonUsageScanner();
  s.push(bytes);
  return s.usage();
}
