// What an event stream delivers, for the bill: the usage it reports, its content events
// (the completion estimate when no usage comes) and its closing [DONE]. It reads each chunk
// as text and forwards nothing, so it needs no byte offsets: one native decode per chunk,
// then a few string searches per event, each for a pattern that starts with a byte JSON
// seldom has (a line end, `[`, `u`), which V8 finds at memchr speed. Reading the bytes
// themselves (Uint8Array.indexOf, byte loops) costs 2 to 5 times as much, and a pattern that
// starts with a quote, JSON's commonest byte, stops at every one (docs/benchmarks.md).

import { eventData } from "./sse-splitter.ts";
import { parseUsage, type Usage } from "./usage.ts";

/** An event that may carry the usage or be the closing [DONE]: read carefully, never by shape. */
const SPECIAL = /\[DONE\]|usage": ?\{/g;

export class EventTally {
  readonly result: { usage: Usage | null; deltaEvents: number } = { usage: null, deltaEvents: 0 };
  // A BOM is a character like any other here (the spec strips one only at the stream's start).
  readonly #decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  /** The unfinished event's text, its line ends already LF. */
  #rest = "";
  /** The last chunk ended in a CR: an LF starting the next one belongs to it. */
  #skipLf = false;
  #sawDone = false;

  /** Tallies the events this chunk completes; true if its text so far mentions [DONE] or a usage object. */
  chunk(bytes: Uint8Array): boolean {
    let text = this.#decoder.decode(bytes, { stream: true });
    if (this.#skipLf && text !== "") {
      this.#skipLf = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    // SSE ends lines with LF, CR or CRLF: with every one an LF, events end at "\n\n".
    if (text.includes("\r")) {
      this.#skipLf = text.endsWith("\r");
      text = text.replace(/\r\n?/g, "\n");
    }
    text = this.#rest + text;
    const marked = special(text, 0);
    let mark = marked;
    let start = 0;
    for (let end = text.indexOf("\n\n"); end !== -1; end = text.indexOf("\n\n", start)) {
      if (mark !== -1 && mark < start) mark = special(text, start);
      if ((mark !== -1 && mark < end) || !plainContent(text, start, end)) this.#event(text.slice(start, end));
      else this.result.deltaEvents++;
      start = end + 2;
    }
    // A slice of the run would keep the whole run's text alive for as long as the stream
    // lasts (V8 slices share their parent); a fresh copy keeps only the half event.
    const rest = text.slice(start);
    this.#rest = rest.length < 13 ? rest : (" " + rest).slice(1);
    return marked !== -1;
  }

  /** Whether the stream ended the way a complete one ends, with [DONE]. */
  complete(): boolean {
    return this.#sawDone;
  }

  /** Ends the tally after the body's last chunk: whether that ended inside an event (blank lines are none). */
  end(): boolean {
    return /[^\n]/.test(this.#rest + this.#decoder.decode());
  }

  /** One event judged on its data, as a parse would: [DONE], usage, or an object with choices. */
  #event(ev: string): void {
    const data = eventData(ev)?.trim();
    if (data === undefined) return;
    if (data === "[DONE]") return void (this.#sawDone = true);
    // Parse only what could be an object with choices or usage: a failed parse throws, and an
    // exception costs more than a whole run of plain events.
    if (data[0] !== "{" || data[data.length - 1] !== "}" || !(data.includes('"choices"') || data.includes("usage"))) return;
    const parsed = parseObject(data);
    const usage = parseUsage(parsed?.usage);
    if (usage) this.result.usage = usage;
    const choices = parsed?.choices;
    if (Array.isArray(choices) && choices.length > 0) this.result.deltaEvents++;
  }
}

function special(text: string, from: number): number {
  SPECIAL.lastIndex = from;
  return SPECIAL.exec(text)?.index ?? -1;
}

/**
 * An event shaped as serialisers write one, taken as content without a parse: `data:` (one
 * optional space) `{`, a `"choices":[{` somewhere, and `}` as its last character. What this
 * accepts that a parse would not: an event of that shape broken inside (`{"choices":[{garbage}`),
 * which no server writes; a cut or garbled event fails the shape.
 */
function plainContent(text: string, start: number, end: number): boolean {
  if (!text.startsWith("data:", start) || text.charCodeAt(end - 1) !== 0x7d) return false;
  const brace = text.charCodeAt(start + 5) === 0x20 ? start + 6 : start + 5;
  if (text.charCodeAt(brace) !== 0x7b) return false;
  for (let p = text.indexOf("[{", brace); p !== -1 && p < end; p = text.indexOf("[{", p + 1)) {
    if (text.startsWith('"choices":', p - 10) && p - 10 > brace) return true;
  }
  return false;
}

export function parseObject(data: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(data);
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
