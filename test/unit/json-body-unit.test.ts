import { describe, expect, it } from "vitest";
import { collectJson, type Collected } from "../../src/streaming/json-body.ts";
import { chunkSource } from "../support/chunk-source.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const ANSWER = '{"id":"x","choices":[{"index":0,"message":{"content":"hi"}}],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}';

/** An origin body as attemptOrigin hands it over: first chunk read, the reader for the rest. */
function originBody(pieces: string[], end: "close" | "error" | "hang" = "close") {
  const { stream, cancelled } = chunkSource(pieces.slice(1), end);
  return { body: { first: enc.encode(pieces[0]), reader: stream.getReader() }, cancelled };
}

const opts = { idleTimeoutMs: 1000, declaredLength: null, signal: undefined };
const text = (c: Collected): string => (c.kind === "whole" ? dec.decode(c.bytes) : c.kind);

describe("collectJson", () => {
  it("returns a body that came whole in its first chunk, with its usage, when its length was declared", async () => {
    const { body } = originBody([ANSWER], "hang");
    // The reader would hang: the declared length says there is nothing left to wait for.
    const c = await collectJson(body, { ...opts, declaredLength: enc.encode(ANSWER).length });
    expect(text(c)).toBe(ANSWER);
    expect(c.kind === "whole" && c.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3 });
  });

  it("joins a chunked body without a declared length, byte for byte", async () => {
    const pieces = [ANSWER.slice(0, 10), ANSWER.slice(10, 50), ANSWER.slice(50)];
    const c = await collectJson(originBody(pieces).body, opts);
    expect(text(c)).toBe(ANSWER);
    expect(c.kind === "whole" && c.usage?.completion_tokens).toBe(3);
  });

  it("keeps an answer that is not JSON as it is, with no usage", async () => {
    const c = await collectJson(originBody(['{"choices":[{not json']).body, opts);
    expect(text(c)).toBe('{"choices":[{not json');
    expect(c.kind === "whole" && c.usage).toBeNull();
  });

  it("calls a body that errors half-way an origin error", async () => {
    const c = await collectJson(originBody([ANSWER.slice(0, 20), ANSWER.slice(20, 40)], "error").body, opts);
    expect(c).toEqual({ kind: "failed", end: "origin_error" });
  });

  it("calls a body that ends short of its declared length an origin error, not a whole answer", async () => {
    const c = await collectJson(originBody([ANSWER.slice(0, 20), ANSWER.slice(20, 40)]).body, { ...opts, declaredLength: ANSWER.length });
    expect(c).toEqual({ kind: "failed", end: "origin_error" });
  });

  it("gives up on a body that goes silent for the idle timeout, and cancels the origin", async () => {
    const { body, cancelled } = originBody([ANSWER.slice(0, 20)], "hang");
    const c = await collectJson(body, { ...opts, idleTimeoutMs: 50 });
    expect(c).toEqual({ kind: "failed", end: "origin_stalled" });
    expect(cancelled()).toBe(true);
  });

  it("stops and cancels the origin when the client goes away", async () => {
    const { body, cancelled } = originBody([ANSWER.slice(0, 20)], "hang");
    const client = new AbortController();
    setTimeout(() => client.abort(), 20);
    const c = await collectJson(body, { ...opts, signal: client.signal });
    expect(c).toEqual({ kind: "failed", end: "client_closed" });
    expect(cancelled()).toBe(true);
  });

  it("hands a body over the size bound back for relaying, with everything read so far", async () => {
    const pieces = ["a".repeat(60), "b".repeat(60), "c".repeat(60), "d".repeat(60)];
    const c = await collectJson(originBody(pieces).body, { ...opts, maxBytes: 100 });
    expect(c.kind).toBe("large");
    if (c.kind !== "large") return;
    expect(dec.decode(c.first)).toBe("a".repeat(60) + "b".repeat(60));
    let rest = "";
    for (let r = await c.reader.read(); !r.done; r = await c.reader.read()) rest += dec.decode(r.value);
    expect(rest).toBe("c".repeat(60) + "d".repeat(60));
  });
});
