import { describe, expect, it } from "vitest";
import { relay } from "../../src/streaming/relay.ts";
import { chunkSource } from "../support/chunk-source.ts";

const dec = new TextDecoder();

const chunk = (i: number): string => `data: {"choices":[{"index":0,"delta":{"content":" t${i}"}}]}\n\n`;
const USAGE = 'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\n';
const DONE = "data: [DONE]\n\n";

const source = chunkSource;

async function readAll(body: ReadableStream<Uint8Array>): Promise<string> {
  let out = "";
  for await (const part of body) out += dec.decode(part, { stream: true });
  return out;
}

describe("relay (event stream)", () => {
  it("strips the usage chunk the client did not ask for and still reports the usage", async () => {
    const { body, done } = relay(source([chunk(0) + chunk(1), chunk(2), USAGE + DONE]).stream, "event-stream", { includeUsage: false, idleTimeoutMs: 1000 });
    expect(await readAll(body)).toBe(chunk(0) + chunk(1) + chunk(2) + DONE);
    const r = await done;
    expect(r.end).toBe("complete");
    expect(r.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3 });
    expect(r.deltaEvents).toBe(3);
  });

  it("relays every byte unchanged when the client asked for usage, even events split across chunks", async () => {
    const text = chunk(0) + chunk(1) + USAGE + DONE;
    const pieces = [text.slice(0, 5), text.slice(5, 70), text.slice(70)];
    const { body, done } = relay(source(pieces).stream, "event-stream", { includeUsage: true, idleTimeoutMs: 1000 });
    expect(await readAll(body)).toBe(text);
    expect((await done).usage?.completion_tokens).toBe(3);
  });

  it("ends a stream the origin cut with an explicit error event, counting what was delivered", async () => {
    const { body, done } = relay(source([chunk(0), chunk(1)], "error").stream, "event-stream", { includeUsage: false, idleTimeoutMs: 1000 });
    const out = await readAll(body);
    expect(out.startsWith(chunk(0) + chunk(1))).toBe(true);
    expect(out).toContain('"code":"origin_stream_error"');
    const r = await done;
    expect(r.end).toBe("origin_error");
    expect(r.usage).toBeNull();
    expect(r.deltaEvents).toBe(2);
  });

  for (const includeUsage of [false, true]) {
    it(`drops a half event before the error event, so the error stays parseable (includeUsage ${includeUsage})`, async () => {
      for (const end of ["close", "error"] as const) {
        const { body } = relay(source([chunk(0), 'data: {"choices":[{"ind'], end).stream, "event-stream", { includeUsage, idleTimeoutMs: 1000 });
        expect((await readAll(body)).startsWith(chunk(0) + 'data: {"error"')).toBe(true);
      }
    });
  }

  it("treats an end without [DONE] as a truncation", async () => {
    const { body, done } = relay(source([chunk(0)]).stream, "event-stream", { includeUsage: false, idleTimeoutMs: 1000 });
    expect(await readAll(body)).toContain("origin_stream_error");
    expect((await done).end).toBe("origin_error");
  });

  it("ends a stalled stream with a timeout error event and cancels the origin", async () => {
    const src = source([chunk(0)], "hang");
    const { body, done } = relay(src.stream, "event-stream", { includeUsage: false, idleTimeoutMs: 30 });
    expect(await readAll(body)).toContain('"code":"origin_timeout"');
    expect((await done).end).toBe("origin_stalled");
    expect(src.cancelled()).toBe(true);
  });

  it("cancels the origin when the client goes away", async () => {
    const src = source([chunk(0), chunk(1), chunk(2)], "hang");
    const { body, done } = relay(src.stream, "event-stream", { includeUsage: false, idleTimeoutMs: 1000 });
    const reader = body.getReader();
    await reader.read();
    await reader.cancel("client left");
    expect(src.cancelled()).toBe(true);
    const r = await done;
    expect(r.end).toBe("client_closed");
    expect(r.deltaEvents).toBe(1);
    expect(r.firstByteAt).not.toBeNull();
  });
});

describe("relay (JSON body)", () => {
  it("forwards the body untouched and reads its usage", async () => {
    const padding = "x".repeat(10_000);
    const text = `{"id":"c","choices":[{"message":{"content":"${padding}"}}],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}}`;
    const pieces = [text.slice(0, 4000), text.slice(4000, 9000), text.slice(9000)];
    const { body, done } = relay(source(pieces).stream, "json", { includeUsage: false, idleTimeoutMs: 1000 });
    expect(await readAll(body)).toBe(text);
    const r = await done;
    expect(r.end).toBe("complete");
    expect(r.usage).toEqual({ prompt_tokens: 12, completion_tokens: 34 });
  });

  it("reads a usage with detail objects that comes before a long data array, as a large embedding answer has it", async () => {
    const usage = '{"prompt_tokens":900,"total_tokens":900,"prompt_tokens_details":{"cached_tokens":512}}';
    const rows = Array.from({ length: 300 }, (_, i) => `{"object":"embedding","index":${i},"embedding":[${"0.0123,".repeat(60)}-0.5]}`);
    const text = `{"object":"list","usage":${usage},"data":[${rows.join(",")}],"model":"e"}`;
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 4096) pieces.push(text.slice(i, i + 4096));
    const { body, done } = relay(source(pieces).stream, "json", { includeUsage: false, idleTimeoutMs: 1000 });
    expect(await readAll(body)).toBe(text);
    expect((await done).usage).toEqual({ prompt_tokens: 900, completion_tokens: 0 });
  });

  it("reports no usage for a body without one", async () => {
    const { body, done } = relay(source(['{"data":[]}']).stream, "json", { includeUsage: false, idleTimeoutMs: 1000 });
    await readAll(body);
    expect((await done).usage).toBeNull();
  });
});
