import { describe, expect, it } from "vitest";
import { byobReads, chunkReads, preferByob } from "../../src/streaming/origin-reads.ts";
import { relay } from "../../src/streaming/relay.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A byte stream like a fetch body: each pull writes up to `available()` bytes of `data`
 * into the reader's own buffer (a default read gets at most 4 KiB, as from workerd), and
 * the sizes asked for are recorded.
 */
function byteSource(data: Uint8Array, available: () => number): { stream: ReadableStream<Uint8Array>; asked: number[] } {
  let at = 0;
  const asked: number[] = [];
  const stream = new ReadableStream({
    type: "bytes",
    pull(c) {
      const req = c.byobRequest;
      if (req === null) {
        asked.push(4096);
        const n = Math.min(4096, available(), data.length - at);
        if (n === 0) return c.close();
        c.enqueue(data.slice(at, at + n));
        at += n;
        return;
      }
      const view = req.view as Uint8Array;
      asked.push(view.byteLength);
      if (at === data.length) {
        c.close();
        req.respond(0);
        return;
      }
      const n = Math.min(view.byteLength, available(), data.length - at);
      view.set(data.subarray(at, at + n));
      at += n;
      req.respond(n);
    },
  });
  return { stream: stream as ReadableStream<Uint8Array>, asked };
}

async function readAll(read: ReturnType<typeof byobReads>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const r = await read();
    if (r.done) return chunks;
    chunks.push(r.value);
  }
}

const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

describe("byobReads", () => {
  it("returns every byte once, in chunks that later reads never overwrite", async () => {
    for (const [seed, max] of [
      [1, 100],
      [2, 5000],
      [3, 70_000],
    ] as const) {
      let h = seed;
      const available = (): number => 1 + ((h = (h * 1103515245 + 12345) >>> 0) % max);
      const data = pattern(300_000);
      const { stream } = byteSource(data, available);
      const chunks = await readAll(byobReads(stream.getReader({ mode: "byob" })));
      const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        joined.set(c, at);
        at += c.length;
      }
      expect(joined, `available up to ${max}`).toEqual(data);
    }
  });

  it("grows its reads to 64 KiB while the origin keeps them full, and shrinks them back when it slows", async () => {
    let fast = true;
    const { stream, asked } = byteSource(pattern(1_000_000), () => (fast ? 1 << 20 : 100));
    const read = byobReads(stream.getReader({ mode: "byob" }));
    for (let i = 0; i < 8; i++) await read();
    expect(asked).toEqual([4096, 8192, 16384, 32768, 65536, 65536, 65536, 65536]);
    fast = false;
    for (let i = 0; i < 6; i++) await read();
    expect(asked.slice(8)).toEqual([65536, 32768, 16384, 8192, 4096, 4096]);
  });

  it("copies a small read out of its buffer, and hands a large one over as it is", async () => {
    const sizes = [100, 3000];
    const { stream } = byteSource(pattern(10_000), () => sizes.shift() ?? 100);
    const read = byobReads(stream.getReader({ mode: "byob" }));
    const small = (await read()).value!;
    expect(small.buffer.byteLength).toBe(100);
    expect(Array.from(small)).toEqual(Array.from(pattern(100)));
    const large = (await read()).value!;
    expect(large.length).toBe(3000);
    expect(large.buffer.byteLength).toBe(4096);
  });
});

describe("preferByob", () => {
  it("takes a byte stream over from a default reader that already read its first chunk", async () => {
    const data = pattern(200_000);
    const { stream, asked } = byteSource(data, () => 1 << 20);
    const reader = stream.getReader();
    const first = await reader.read();
    const next = preferByob(stream, reader);
    expect(next).toBeInstanceOf(ReadableStreamBYOBReader);
    const rest = await readAll(chunkReads(next));
    expect(asked.slice(0, 4)).toEqual([4096, 4096, 8192, 16384]);
    expect(first.value!.length + rest.reduce((n, c) => n + c.length, 0)).toBe(data.length);
  });

  it("keeps a default reader for a stream that is not a byte stream", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode("a"));
        c.close();
      },
    });
    const reader = stream.getReader();
    const next = preferByob(stream, reader);
    expect(next).toBeInstanceOf(ReadableStreamDefaultReader);
    expect(dec.decode((await chunkReads(next)()).value)).toBe("a");
  });
});

describe("relay from an origin's byte stream", () => {
  it("relays an event stream as the origin sent it, with the same accounting, reading big chunks", async () => {
    const events = Array.from({ length: 3000 }, (_, k) => `data: {"choices":[{"index":0,"delta":{"content":" t${k}"}}],"usage":null}\n\n`);
    const usage = 'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":3000}}\n\n';
    const text = events.join("") + usage + "data: [DONE]\n\n";
    const { stream, asked } = byteSource(enc.encode(text), () => 50_000);
    // As the origin call hands it over: a default reader that took the first chunk, and its stream.
    const reader = stream.getReader();
    const first = await reader.read();
    const { body, done } = relay({ first: first.value!, reader, stream }, "event-stream", { includeUsage: false, idleTimeoutMs: 1000 });
    let out = "";
    for await (const part of body) out += dec.decode(part, { stream: true });
    expect(out).toBe(events.join("") + "data: [DONE]\n\n");
    const r = await done;
    expect(r.end).toBe("complete");
    expect(r.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3000 });
    expect(r.deltaEvents).toBe(3000);
    expect(Math.max(...asked)).toBe(65536);
  });
});
