import { describe, expect, it } from "vitest";
import { JsonUsageScanner, usageOfJson } from "../../src/streaming/usage.ts";

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

const choices = (n: number, content = "hello"): string =>
  JSON.stringify(Array.from({ length: n }, (_, i) => ({ index: i, message: { role: "assistant", content }, finish_reason: "stop" })));

// As OpenAI sends it today: usage last, with both detail objects.
const OPENAI_USAGE =
  '{"prompt_tokens":17,"completion_tokens":9,"total_tokens":26,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}';
// vLLM with prefix caching: prompt_tokens_details with the cached count, no completion details.
const VLLM_USAGE = '{"prompt_tokens":17,"total_tokens":26,"completion_tokens":9,"prompt_tokens_details":{"cached_tokens":16}}';

/** Feeds `text` to a scanner in pieces of `size` bytes, as an origin's body arrives. */
function scanInPieces(text: string, size: number) {
  const all = bytes(text);
  const s = new JsonUsageScanner();
  for (let i = 0; i < all.length; i += size) s.push(all.subarray(i, i + size));
  return s.usage();
}

describe("the usage of a JSON answer", () => {
  const cases: Array<[string, string]> = [
    ["OpenAI's full shape, last", `{"id":"c","object":"chat.completion","choices":${choices(1)},"usage":${OPENAI_USAGE},"system_fingerprint":null}`],
    ["OpenAI's shape with only prompt_tokens_details, ending the document", `{"id":"c","choices":${choices(1)},"usage":{"prompt_tokens":17,"completion_tokens":9,"total_tokens":26,"prompt_tokens_details":{"cached_tokens":0}}}`],
    ["vLLM's shape with cached tokens", `{"id":"c","object":"chat.completion","model":"m","choices":${choices(1)},"usage":${VLLM_USAGE},"prompt_logprobs":null}`],
    ["usage before a long choices array", `{"id":"c","usage":${OPENAI_USAGE},"choices":${choices(120, "x".repeat(40))}}`],
    ["usage first of all", `{"usage":${VLLM_USAGE},"id":"c","choices":${choices(2)}}`],
    ["pretty-printed", JSON.stringify({ id: "c", choices: JSON.parse(choices(1)), usage: JSON.parse(OPENAI_USAGE) }, null, 2)],
  ];

  it.each(cases)("reads %s", (_name, text) => {
    expect(usageOfJson(bytes(text))).toEqual({ prompt_tokens: 17, completion_tokens: 9 });
  });

  it.each(cases)("reads %s however the bytes are chunked", (_name, text) => {
    for (const size of [1, 2, 3, 7, 64, 1000]) expect(scanInPieces(text, size)).toEqual({ prompt_tokens: 17, completion_tokens: 9 });
  });

  it("ignores a usage key that is not the document's own: in a message, in a string, in a nested object", () => {
    const tricky = JSON.stringify({
      id: "c",
      choices: [{ index: 0, message: { role: "assistant", content: '"usage":{"prompt_tokens":1,"completion_tokens":1}', tool_calls: [{ function: { arguments: '{"usage":{"prompt_tokens":2}}' } }] }, usage: { prompt_tokens: 3, completion_tokens: 3 } }],
      meta: { usage: { prompt_tokens: 4, completion_tokens: 4 } },
      note: 'a \\" quote and "usage": {"prompt_tokens": 5}',
      usage: { prompt_tokens: 17, completion_tokens: 9 },
      after: { usage: { prompt_tokens: 6, completion_tokens: 6 } },
    });
    expect(usageOfJson(bytes(tricky))).toEqual({ prompt_tokens: 17, completion_tokens: 9 });
    expect(scanInPieces(tricky, 5)).toEqual({ prompt_tokens: 17, completion_tokens: 9 });
  });

  it("reads an embedding answer's usage (prompt only) after a large data array", () => {
    const data = Array.from({ length: 200 }, (_, i) => ({ object: "embedding", index: i, embedding: Array.from({ length: 64 }, (_, j) => (i * j) / 997 - 0.5) }));
    const text = JSON.stringify({ object: "list", data, model: "e", usage: { prompt_tokens: 400, total_tokens: 400 } });
    expect(text.length).toBeGreaterThan(100_000);
    expect(usageOfJson(bytes(text))).toEqual({ prompt_tokens: 400, completion_tokens: 0 });
  });

  it("takes the last of two top-level usage members, as JSON.parse does", () => {
    expect(usageOfJson(bytes('{"usage":{"prompt_tokens":1,"completion_tokens":1},"usage":{"prompt_tokens":17,"completion_tokens":9}}'))).toEqual({ prompt_tokens: 17, completion_tokens: 9 });
  });

  it("reads a key written with escapes as JSON does", () => {
    expect(usageOfJson(bytes('{"us\\u0061ge":{"prompt_tokens":17,"completion_tokens":9}}'))).toEqual({ prompt_tokens: 17, completion_tokens: 9 });
  });

  it("reads the usage an answer showed before it broke off, small or large", () => {
    for (const pad of [0, 20_000]) {
      const cut = `{"id":"c","usage":{"prompt_tokens":17,"completion_tokens":9},"pad":"${"x".repeat(pad)}","choices":[{"index":0,"mess`;
      expect(usageOfJson(bytes(cut)), `pad ${pad}`).toEqual({ prompt_tokens: 17, completion_tokens: 9 });
    }
  });

  it("finds nothing where there is no usable usage", () => {
    for (const text of ['{"usage":null}', '{"usage":{"completion_tokens":3}}', '[{"usage":{"prompt_tokens":1}}]', '{"usage":{"prompt_tokens":1', "not json", "", '{"choices":[]}', '{"usage":"17"}']) {
      expect(usageOfJson(bytes(text))).toBeNull();
    }
  });

  it("gives up on a usage object over its size bound instead of holding it", () => {
    const huge = `{"usage":{"prompt_tokens":17,"completion_tokens":9,"pad":"${"x".repeat(64 * 1024)}"}}`;
    expect(usageOfJson(bytes(huge))).toBeNull();
  });
});
