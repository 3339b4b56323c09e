// Splits a server-sent-event byte stream into whole events, however the bytes are chunked.
// Accepts LF, CR and CRLF line ends (the SSE spec allows all three), including a CRLF
// split across two chunks. Emitted events are the original bytes, so relaying them is exact.

const LF = 0x0a;
const CR = 0x0d;

export class SseSplitter {
  private pending: Uint8Array[] = [];
  private atLineStart = true;
  private skipLf = false;

  /** Returns the events completed by this chunk, each ending with its blank line. */
  push(chunk: Uint8Array): Uint8Array[] {
    const events: Uint8Array[] = [];
    const n = chunk.length;
    let start = 0;
    let i = 0;
    // Jump from line end to line end with native indexOf; a CR is looked for again only
    // once passed, so the usual LF-only stream costs one scan for it per chunk.
    let nextCr = chunk.indexOf(CR);
    while (i < n) {
      if (this.skipLf) {
        this.skipLf = false;
        if (chunk[i] === LF) {
          i++;
          continue;
        }
      }
      if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
      const nextLf = chunk.indexOf(LF, i);
      const t = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (t === -1) {
        this.atLineStart = false;
        break;
      }
      if (t > i) this.atLineStart = false;
      i = t;
      if (chunk[i] === CR) {
        // A CRLF inside this chunk ends here; one split across chunks is skipped later.
        if (chunk[i + 1] === LF) i++;
        else if (i + 1 === n) this.skipLf = true;
      }
      if (this.atLineStart) {
        events.push(this.take(chunk, start, i + 1));
        start = i + 1;
      }
      this.atLineStart = true;
      i++;
    }
    if (start < n) this.pending.push(chunk.subarray(start));
    return events;
  }

  /** Bytes of an unfinished event, if the stream ended mid-event. */
  flush(): Uint8Array | null {
    if (this.pending.length === 0) return null;
    const rest = concat(this.pending);
    this.pending = [];
    return rest;
  }

  private take(chunk: Uint8Array, start: number, end: number): Uint8Array {
    const tail = chunk.subarray(start, end);
    if (this.pending.length === 0) return tail;
    this.pending.push(tail);
    const whole = concat(this.pending);
    this.pending = [];
    return whole;
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The joined `data:` lines of one raw event (SSE field parsing, one optional space). */
export function eventData(raw: Uint8Array): string | null {
  const text = new TextDecoder().decode(raw);
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
