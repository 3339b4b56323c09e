import { describe, expect, it } from "vitest";
import { EventStreamTap } from "../../src/streaming/event-stream-tap.ts";
import { EventTally } from "../../src/streaming/event-tally.ts";
import { concat, eventData, SseSplitter } from "../../src/streaming/sse-splitter.ts";
import { parseUsage, type Usage } from "../../src/streaming/usage.ts";
import { prng as rng } from "../../sim/prng.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * The slow path, kept here as the reference: every event cut out, decoded and judged on
 * its own, as the relay did before it learned to take a run of plain events at once.
 */
class EventByEvent {
  usage: Usage | null = null;
  deltaEvents = 0;
  done = false;
  private readonly splitter = new SseSplitter();
  private readonly decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  private held: Uint8Array[] = [];
  private readonly includeUsage: boolean;
  constructor(includeUsage: boolean) {
    this.includeUsage = includeUsage;
  }

  chunk(bytes: Uint8Array): Uint8Array | null {
    const ends: number[] = [];
    this.splitter.scan(bytes, ends);
    const keep: Uint8Array[] = [];
    let start = 0;
    for (const end of ends) {
      const ev = concat([...this.held, bytes.subarray(start, end)]);
      this.held = [];
      start = end;
      if (this.keep(ev)) keep.push(ev);
    }
    if (start < bytes.length) this.held.push(bytes.subarray(start));
    return keep.length === 0 ? null : concat(keep);
  }

  rest(): Uint8Array | null {
    return this.held.length === 0 ? null : concat(this.held);
  }

  private keep(ev: Uint8Array): boolean {
    const text = this.decoder.decode(ev);
    if (eventData(text)?.trim() === "[DONE]") {
      this.done = true;
    } else if (text.includes('"usage":{') || text.includes('"usage": {')) {
      const data = eventData(text);
      let parsed: Record<string, unknown> | null = null;
      try {
        const v: unknown = data === null ? null : JSON.parse(data);
        if (typeof v === "object" && v !== null) parsed = v as Record<string, unknown>;
      } catch {
        // not JSON: no usage, not a completion event
      }
      const usage = parseUsage(parsed?.usage);
      if (usage) this.usage = usage;
      const choices = parsed?.choices;
      if (!this.includeUsage && usage && Array.isArray(choices) && choices.length === 0) return false;
      if (Array.isArray(choices) && choices.length > 0) this.deltaEvents++;
    } else {
      // The rule itself: data that parses as an object with a non-empty choices array.
      let choices: unknown;
      try {
        const data = eventData(text)?.trim();
        // Only an object can have choices (and a parse that throws is slow, 3000 seeds over).
        if (data !== undefined && data.startsWith("{") && data.endsWith("}")) choices = (JSON.parse(data) as { choices?: unknown }).choices;
      } catch {
        choices = undefined;
      }
      if (Array.isArray(choices) && choices.length > 0) this.deltaEvents++;
    }
    return true;
  }
}


const TEXTS = ["hi", " t42", "é€😀", "ünïcödé", '\\"quoted\\"', "[DONE]", '\\"error\\"', "\uFEFF", "a\\nb", ""];

/** One random stream: realistic events, the odd strange one, every line ending, sometimes cut short. */
function randomStream(next: () => number): Uint8Array {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const nl = pick(["\n", "\n", "\n", "\r\n", "\r"]);
  const delta = (): string => `data: {"id":"c","choices":[{"index":0,"delta":{"content":"${pick(TEXTS)}"}}],"usage":null}${nl}${nl}`;
  const kinds: Array<() => string | Uint8Array> = [
    delta,
    delta,
    delta,
    () => `data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}${nl}${nl}`,
    () => `data: {"choices":[],"usage":{"prompt_tokens":${Math.floor(next() * 100)},"completion_tokens":${Math.floor(next() * 100)}}}${nl}${nl}`,
    () => `data: {"choices":[], "usage": {"prompt_tokens":3,"completion_tokens":4}}${nl}${nl}`,
    () => `data: {"choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":5,"completion_tokens":6}}${nl}${nl}`,
    () => `data: {"error":{"message":"boom"}}${nl}${nl}`,
    () => `data: [DONE]${nl}${nl}`,
    () => `: keep-alive${nl}${nl}`,
    () => nl,
    () => `event: message${nl}data: {"choices":${nl}data: []}${nl}${nl}`,
    () => `data: {not json${nl}${nl}`,
    // Bytes that are not UTF-8: a lone continuation byte and a truncated sequence.
    () => concat([enc.encode("data: "), new Uint8Array([0x80, 0xe2, 0x82]), enc.encode(`${nl}${nl}`)]),
  ];
  const parts: Uint8Array[] = [];
  const count = 1 + Math.floor(next() * 30);
  for (let i = 0; i < count; i++) {
    const p = pick(kinds)();
    parts.push(typeof p === "string" ? enc.encode(p) : p);
  }
  if (next() < 0.3) parts.push(enc.encode('data: {"choices":[{"ind'));
  return concat(parts);
}

/** Cuts at random points: sometimes byte by byte, sometimes in big pieces, sometimes whole, with empty chunks. */
function randomChunks(bytes: Uint8Array, next: () => number): Uint8Array[] {
  const style = next();
  if (style < 0.1) return [bytes];
  if (style < 0.2) return Array.from(bytes, (_, k) => bytes.subarray(k, k + 1));
  const mean = style < 0.6 ? 8 : 200;
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = Math.floor(next() * 2 * mean);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (next() < 0.2) out.push(new Uint8Array(0));
  return out;
}

const same = (a: Uint8Array | null, b: Uint8Array | null): boolean =>
  a === null || b === null ? a === b : a.length === b.length && a.every((x, i) => x === b[i]);
const show = (a: Uint8Array | null): string | null => (a === null ? null : JSON.stringify(Array.from(a, (x) => String.fromCharCode(x)).join("")));

describe("EventStreamTap", () => {
  it("gives exactly what the event-by-event path gives, chunk by chunk, on random streams and chunkings", () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const next = rng(seed);
      const stream = randomStream(next);
      const chunks = randomChunks(stream, next);
      const includeUsage = next() < 0.5;
      const fast = new EventStreamTap(includeUsage);
      // The native relay's accounting: the tally alone, with no splitter beside it.
      const tally = new EventTally();
      const slow = new EventByEvent(includeUsage);
      chunks.forEach((c, i) => {
        tally.chunk(c);
        const got = fast.chunk(c);
        const want = slow.chunk(c);
        // expect() only on a difference: a million calls would make this test slow.
        if (!same(got, want)) expect(show(got), `seed ${seed}, chunk ${i}`).toEqual(show(want));
      });
      if (!same(fast.rest(), slow.rest())) expect(show(fast.rest()), `seed ${seed}: rest`).toEqual(show(slow.rest()));
      expect(fast.result, `seed ${seed}: accounting`).toEqual({ usage: slow.usage, deltaEvents: slow.deltaEvents });
      expect(fast.complete(), `seed ${seed}: [DONE]`).toBe(slow.done);
      expect(tally.result, `seed ${seed}: the tally's accounting`).toEqual(fast.result);
      expect(tally.complete(), `seed ${seed}: the tally's [DONE]`).toBe(slow.done);
      // A rest of line ends only (the LF of a CRLF split off) is no event begun.
      const half = slow.rest()?.some((b) => b !== 10 && b !== 13) ?? false;
      expect(tally.end(), `seed ${seed}: ended inside an event`).toBe(half);
    }
    // 3000 streams, each parsed event by event by the reference: seconds on a loaded 2-core machine.
  }, 60_000);

  it("forwards every byte of a plain LF stream whatever the chunking, less the usage event it strips", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const next = rng(seed);
      const events = Array.from({ length: 1 + Math.floor(next() * 20) }, (_, k) => `data: {"choices":[{"index":0,"delta":{"content":" t${k}é"}}],"usage":null}\n\n`);
      const usage = 'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":9}}\n\n';
      const stream = enc.encode(events.join("") + usage + "data: [DONE]\n\n");
      const tap = new EventStreamTap(false);
      const out = randomChunks(stream, next).map((c) => tap.chunk(c)).filter((c) => c !== null);
      expect(dec.decode(concat(out)), `seed ${seed}`).toBe(events.join("") + "data: [DONE]\n\n");
      expect(tap.rest()).toBeNull();
      expect(tap.result).toEqual({ usage: { prompt_tokens: 7, completion_tokens: 9 }, deltaEvents: events.length });
      expect(tap.complete()).toBe(true);
    }
  });

  it("hands back the origin's own chunk, uncopied, when it holds only whole plain events", () => {
    const tap = new EventStreamTap(false);
    const chunk = enc.encode('data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[{"delta":{"content":"b"}}]}\n\n');
    expect(tap.chunk(chunk)).toBe(chunk);
    expect(tap.result.deltaEvents).toBe(2);
  });

  it("holds a half event back until its end arrives, then forwards it whole", () => {
    const tap = new EventStreamTap(false);
    expect(dec.decode(tap.chunk(enc.encode('data: {"choices":[{"a":1}]}\n\ndata: {"choices":[{"b"'))!)).toBe('data: {"choices":[{"a":1}]}\n\n');
    expect(tap.chunk(enc.encode(":2"))).toBeNull();
    expect(dec.decode(tap.rest()!)).toBe('data: {"choices":[{"b":2');
    expect(dec.decode(tap.chunk(enc.encode("}]}\n\n"))!)).toBe('data: {"choices":[{"b":2}]}\n\n');
    expect(tap.rest()).toBeNull();
    expect(tap.result.deltaEvents).toBe(2);
  });

  it("counts only well-formed content events: not garbled, cut, comment, error or empty-choices ones", () => {
    const token = (t: string) => `data: {"id":"c","choices":[{"index":0,"delta":{"content":"${t}"}}]}\n\n`;
    const counted = [token("a"), token('\\"error\\"'), 'data:{"choices": [ {"index":0,"delta":{"content":"b"}} ]}\n\n', 'data: {"choices":[{"index":0,\ndata: "delta":{"content":"c"}}]}\n\n'];
    const ignored = ["data: {not json\n\n", "data: {not json}\n\n", 'data: {"choices":[{"index":0,"delta":{"content":"x"}}]\n\n', ": keep-alive\n\n", 'data: {"error":{"message":"boom"}}\n\n', 'data: {"choices":[]}\n\n', "event: ping\n\n", "data: [1,2]\n\n", 'data: "choices"\n\n'];
    const counts = (ev: string): number => {
      const tally = new EventTally();
      tally.chunk(enc.encode(ev));
      return tally.result.deltaEvents;
    };
    for (const ev of counted) expect(counts(ev), ev).toBe(1);
    for (const ev of ignored) expect(counts(ev), ev).toBe(0);
    // The stream: two tokens, then two events that are not JSON, and no [DONE].
    for (const size of [1, 7, 10_000]) {
      const stream = enc.encode(token("a") + token("b") + "data: {not json\n\ndata: {not json\n\n");
      const tap = new EventStreamTap(false);
      for (let i = 0; i < stream.length; i += size) tap.chunk(stream.subarray(i, i + size));
      expect(tap.result.deltaEvents, `chunks of ${size}`).toBe(2);
      expect(tap.complete()).toBe(false);
    }
  });

  it("strips the usage-only event unless asked for it, and reads the usage either way", () => {
    const text = 'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}\n\ndata: [DONE]\n\n';
    for (const includeUsage of [false, true]) {
      const tap = new EventStreamTap(includeUsage);
      const out = dec.decode(tap.chunk(enc.encode(text))!);
      expect(out).toBe(includeUsage ? text : text.replace(/data: \{"choices":\[\],"usage"[^\n]*\n\n/, ""));
      expect(tap.result).toEqual({ usage: { prompt_tokens: 1, completion_tokens: 2 }, deltaEvents: 1 });
      expect(tap.complete()).toBe(true);
    }
  });
});
