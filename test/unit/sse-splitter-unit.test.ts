import { describe, expect, it } from "vitest";
import { concat, eventData, SseSplitter } from "../../src/streaming/sse-splitter.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const LF = 0x0a;
const CR = 0x0d;

/** Feeds the pieces and returns the events the scan marks, and the unfinished tail, as text. */
function split(pieces: Uint8Array[]): { events: string[]; rest: string | null } {
  const s = new SseSplitter();
  const events: string[] = [];
  let held: Uint8Array[] = [];
  for (const p of pieces) {
    const ends: number[] = [];
    s.scan(p, ends);
    let start = 0;
    for (const end of ends) {
      events.push(dec.decode(concat([...held, p.subarray(start, end)])));
      held = [];
      start = end;
    }
    if (start < p.length) held.push(p.subarray(start));
  }
  return { events, rest: held.length === 0 ? null : dec.decode(concat(held)) };
}

const STREAMS: Record<string, { text: string; data: Array<string | null> }> = {
  lf: {
    text: 'data: {"a":1}\n\ndata: {"b":"x y"}\n\n: comment\n\nevent: e\ndata: [DONE]\n\n',
    data: ['{"a":1}', '{"b":"x y"}', null, "[DONE]"],
  },
  crlf: {
    text: 'data: {"a":1}\r\n\r\ndata: line1\r\ndata: line2\r\n\r\ndata: [DONE]\r\n\r\n',
    data: ['{"a":1}', "line1\nline2", "[DONE]"],
  },
  cr: { text: "data: one\r\rdata:two\r\r", data: ["one", "two"] },
  mixed: { text: "data: a\r\n\ndata: b\n\r\ndata: é€😀\n\n", data: ["a", "b", "é€😀"] },
};

describe("SseSplitter", () => {
  for (const [name, { text, data }] of Object.entries(STREAMS)) {
    const bytes = enc.encode(text);
    const whole = split([bytes]);

    it(`${name}: splits a whole stream into events that concatenate to the input`, () => {
      expect(whole.rest).toBeNull();
      expect(whole.events.join("")).toBe(text);
      expect(whole.events.map((e) => eventData(e))).toEqual(data);
    });

    it(`${name}: gives the same events for every split into two chunks`, () => {
      for (let i = 0; i <= bytes.length; i++) {
        const got = split([bytes.subarray(0, i), bytes.subarray(i)]);
        expect(got.events.join("") + (got.rest ?? ""), `split at ${i}`).toBe(text);
        expect(got.events.map((e) => eventData(e)), `split at ${i}`).toEqual(data);
      }
    });

    it(`${name}: gives the same events for every split into three chunks`, () => {
      for (let i = 0; i <= bytes.length; i++) {
        for (let j = i; j <= bytes.length; j++) {
          const got = split([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
          expect(got.events.map((e) => eventData(e)), `split at ${i},${j}`).toEqual(data);
        }
      }
    });

    it(`${name}: gives the same events fed one byte at a time`, () => {
      const got = split(Array.from(bytes, (_, k) => bytes.subarray(k, k + 1)));
      expect(got.events.join("") + (got.rest ?? "")).toBe(text);
      expect(got.events.map((e) => eventData(e))).toEqual(data);
    });
  }

  it("leaves an unfinished last event unmarked", () => {
    const got = split([enc.encode('data: {"a":1}\n\ndata: {"trunc')]);
    expect(got.events).toEqual(['data: {"a":1}\n\n']);
    expect(got.rest).toBe('data: {"trunc');
  });

  it("treats a lone CR then LF in the next chunk as one line end", () => {
    const got = split([enc.encode("data: x\r"), enc.encode("\n\r"), enc.encode("\n")]);
    expect(got.events.map((e) => eventData(e))).toEqual(["x"]);
  });

  it("marks a blank line at an event's start as an event of its own", () => {
    expect(split([enc.encode("\ndata: x\n\n\n")]).events).toEqual(["\n", "data: x\n\n", "\n"]);
  });

  // Whatever the bytes (invalid UTF-8 included) and their chunking: the native searches and
  // the state kept across chunks must mark what the plain rules, read byte by byte, do.
  it("marks the ends a byte-by-byte reading of the SSE line rules marks, for random bytes and chunkings", () => {
    const alphabet = [0x61, 0x20, LF, LF, LF, CR, 0xc3, 0xa9, 0xe2, 0x82, 0xff, 0xef, 0xbb, 0xbf];
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 2000; round++) {
      const bytes = Uint8Array.from({ length: 1 + random(40) }, () => alphabet[random(alphabet.length)]!);
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + random(12);
        pieces.push(bytes.subarray(at, at + size));
        at += size;
      }
      const s = new SseSplitter();
      const got: number[] = [];
      let base = 0;
      for (const p of pieces) {
        const ends: number[] = [];
        s.scan(p, ends);
        got.push(...ends.map((e) => base + e));
        base += p.length;
      }
      expect(got, `bytes ${Array.from(bytes)} in pieces of ${pieces.map((p) => p.length)}`).toEqual(referenceEnds(bytes));
    }
  });
});

/** The SSE rules read one byte at a time: a line ends at LF, CR or CRLF; an empty line ends an event. */
function referenceEnds(bytes: Uint8Array): number[] {
  const ends: number[] = [];
  let lineEmpty = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== LF && b !== CR) {
      lineEmpty = false;
      continue;
    }
    if (b === CR && bytes[i + 1] === LF) i++;
    if (lineEmpty) ends.push(i + 1);
    lineEmpty = true;
  }
  return ends;
}

describe("eventData", () => {
  it("follows the SSE field rules", () => {
    const d = (s: string): string | null => eventData(s);
    expect(d("data:no-space\n\n")).toBe("no-space");
    expect(d("data:  two-spaces\n\n")).toBe(" two-spaces");
    expect(d("data\n\n")).toBe("");
    expect(d("datum: x\n\n")).toBeNull();
    expect(d("id: 1\nretry: 5\n\n")).toBeNull();
  });
});
