import { describe, expect, it } from "vitest";
import { concat, eventData, SseSplitter } from "../../src/streaming/sse-splitter.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

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
      expect(whole.events.map((e) => eventData(enc.encode(e)))).toEqual(data);
    });

    it(`${name}: gives the same events for every split into two chunks`, () => {
      for (let i = 0; i <= bytes.length; i++) {
        const got = split([bytes.subarray(0, i), bytes.subarray(i)]);
        expect(got.events.join("") + (got.rest ?? ""), `split at ${i}`).toBe(text);
        expect(got.events.map((e) => eventData(enc.encode(e))), `split at ${i}`).toEqual(data);
      }
    });

    it(`${name}: gives the same events for every split into three chunks`, () => {
      for (let i = 0; i <= bytes.length; i++) {
        for (let j = i; j <= bytes.length; j++) {
          const got = split([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
          expect(got.events.map((e) => eventData(enc.encode(e))), `split at ${i},${j}`).toEqual(data);
        }
      }
    });

    it(`${name}: gives the same events fed one byte at a time`, () => {
      const got = split(Array.from(bytes, (_, k) => bytes.subarray(k, k + 1)));
      expect(got.events.join("") + (got.rest ?? "")).toBe(text);
      expect(got.events.map((e) => eventData(enc.encode(e)))).toEqual(data);
    });
  }

  it("leaves an unfinished last event unmarked", () => {
    const got = split([enc.encode('data: {"a":1}\n\ndata: {"trunc')]);
    expect(got.events).toEqual(['data: {"a":1}\n\n']);
    expect(got.rest).toBe('data: {"trunc');
  });

  it("treats a lone CR then LF in the next chunk as one line end", () => {
    const got = split([enc.encode("data: x\r"), enc.encode("\n\r"), enc.encode("\n")]);
    expect(got.events.map((e) => eventData(enc.encode(e)))).toEqual(["x"]);
  });

  it("marks a blank line at an event's start as an event of its own", () => {
    expect(split([enc.encode("\ndata: x\n\n\n")]).events).toEqual(["\n", "data: x\n\n", "\n"]);
  });
});

describe("eventData", () => {
  it("follows the SSE field rules", () => {
    const d = (s: string): string | null => eventData(enc.encode(s));
    expect(d("data:no-space\n\n")).toBe("no-space");
    expect(d("data:  two-spaces\n\n")).toBe(" two-spaces");
    expect(d("data\n\n")).toBe("");
    expect(d("datum: x\n\n")).toBeNull();
    expect(d("id: 1\nretry: 5\n\n")).toBeNull();
  });
});
