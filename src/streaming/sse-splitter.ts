// Finds where server-sent events end in a byte stream, however the bytes are chunked.
// Accepts LF, CR and CRLF line ends (the SSE spec allows all three), including a CRLF
// split across two chunks. It reports offsets and copies nothing: the caller keeps the
// bytes, so relaying them is exact and costs no allocation per event.

const LF = 0x0a;
const CR = 0x0d;

export class SseSplitter {
  #atLineStart = true;
  #skipLf = false;

  /**
   * Scans the next chunk and pushes onto `ends` the offset just past each event it
   * completes (the blank line included), in order. Bytes after the last end belong to
   * an event that a later chunk completes.
   */
  scan(chunk: Uint8Array, ends: number[]): void {
    const n = chunk.length;
    let i = 0;
    // Jump from line end to line end with native indexOf; a CR is looked for again only
    // once passed, so the usual LF-only stream costs one scan for it per chunk.
    let nextCr = chunk.indexOf(CR);
    while (i < n) {
      if (this.#skipLf) {
        this.#skipLf = false;
        if (chunk[i] === LF) {
          i++;
          continue;
        }
      }
      // A line end right here (the blank line closing an event, usually) needs no search:
      // each indexOf call costs more than the few bytes it skips.
      const b = chunk[i];
      if (b !== LF && b !== CR) {
        if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
        const nextLf = chunk.indexOf(LF, i);
        const t = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
        this.#atLineStart = false;
        if (t === -1) break;
        i = t;
      }
      if (chunk[i] === CR) {
        // A CRLF inside this chunk ends here; one split across chunks is skipped later.
        if (chunk[i + 1] === LF) i++;
        else if (i + 1 === n) this.#skipLf = true;
      }
      if (this.#atLineStart) ends.push(i + 1);
      this.#atLineStart = true;
      i++;
    }
  }
}

export { concat } from "../http/bytes.ts";

/** The joined `data:` lines of one event's text (SSE field parsing, one optional space). */
export function eventData(text: string): string | null {
  let data: string | null = null;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (!line.startsWith("data")) continue;
    const rest = line.slice(4);
    if (rest !== "" && rest[0] !== ":") continue;
    let value = rest.startsWith(":") ? rest.slice(1) : "";
    if (value.startsWith(" ")) value = value.slice(1);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
