import { describe, expect, it } from "vitest";
import { chatPromptTokens, itemTokens, promptItems } from "../../sim/origin.ts";
import { parseInferenceRequest, type Endpoint } from "../../src/openai/inference-request.ts";
import { choicesOf, deliveredCompletionTokens, estimatePromptTokens, reservationFor, tpmUnits } from "../../src/quota/estimate.ts";
import { settlementFromError, settlementFromRelay } from "../../src/quota/settlement.ts";
import { chatBody } from "../support/chat-body.ts";

const parse = (endpoint: Endpoint, body: Record<string, unknown>) => parseInferenceRequest(endpoint, body, 100_000);
const chat = (extra: Record<string, unknown> = {}) =>
  parse("chat", chatBody({ model: "m", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello there, how are you?" }], ...extra }));

/** 360 characters, 120 of which JSON escapes. */
const withEscapes = () => parse("chat", { model: "m", messages: [{ role: "user", content: 'say "hi"\n'.repeat(40) }] });

describe("prompt estimate", () => {
  it("matches the simulated origin's count for chat, completions and embeddings", () => {
    const c = chat();
    expect(estimatePromptTokens(c)).toBe(chatPromptTokens(c.body.messages as unknown[]));
    const multi = parse("chat", { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "x".repeat(99) }] }, { role: "assistant" }] });
    expect(estimatePromptTokens(multi)).toBe(chatPromptTokens(multi.body.messages as unknown[]));
    const escaped = withEscapes();
    expect(estimatePromptTokens(escaped)).toBe(chatPromptTokens(escaped.body.messages as unknown[]));
    for (const prompt of ["a prompt of some length", ["one", "two three"], [1, 2, 3, 4], [[1, 2], [3]]]) {
      const p = parse("completion", { model: "m", prompt });
      expect(estimatePromptTokens(p)).toBe(promptItems(prompt)!.reduce((n, it) => n + itemTokens(it), 0));
      const e = parse("embedding", { model: "m", input: prompt });
      expect(estimatePromptTokens(e)).toBe(estimatePromptTokens(p));
    }
  });

  it("counts a string content by its characters and quotes, without serialising it to count escapes", () => {
    // (360 + 2) / 4, not (480 + 2) / 4.
    const escaped = withEscapes();
    expect(estimatePromptTokens(escaped)).toBe(Math.ceil(362 / 4) + 4);
  });
});

describe("reservation", () => {
  it("is the prompt plus 5 x the expected generation, bounded by max_tokens", () => {
    expect(reservationFor(chat({ max_tokens: 10 }), 20)).toEqual({ requests: 1, tokens: 20 + 5 * 10 });
    expect(reservationFor(chat(), 20)).toEqual({ requests: 1, tokens: 20 + 5 * 256 });
    // max_tokens is the worst case and is reserved whole: such a request never exceeds it.
    expect(reservationFor(chat({ max_tokens: 5000 }), 20)).toEqual({ requests: 1, tokens: 20 + 5 * 5000 });
    expect(reservationFor(chat({ max_tokens: 5000 }), 20, 16)).toEqual({ requests: 1, tokens: 20 + 5 * 5000 });
    // Without it, what the limiter learned.
    expect(reservationFor(chat({ n: 2 }), 20, 16)).toEqual({ requests: 1, tokens: 20 + 5 * 32 });
    expect(reservationFor(chat({ max_completion_tokens: 7, n: 3 }), 20)).toEqual({ requests: 1, tokens: 20 + 5 * 21 });
  });

  it("counts one choice set per prompt item for completions, and none for embeddings", () => {
    expect(choicesOf(parse("completion", { model: "m", prompt: ["a", "b"], n: 2 }))).toBe(4);
    expect(choicesOf(parse("completion", { model: "m", prompt: [1, 2, 3] }))).toBe(1);
    expect(reservationFor(parse("embedding", { model: "m", input: "abcdefgh" }), 2)).toEqual({ requests: 1, tokens: 2 });
  });

  it("weighs completion tokens five times", () => {
    expect(tpmUnits({ prompt_tokens: 7, completion_tokens: 3 })).toBe(22);
  });
});

describe("settlement", () => {
  it("bills the origin's usage when it came", () => {
    const s = settlementFromRelay(chat(), 99, { usage: { prompt_tokens: 12, completion_tokens: 4 }, deltaEvents: 0 });
    expect(s).toEqual({ used: { requests: 1, tokens: 32 }, usage: { prompt_tokens: 12, completion_tokens: 4 } });
  });

  it("estimates from the delivered deltas when no usage came, less the role event of each chat choice", () => {
    expect(deliveredCompletionTokens(chat(), 6)).toBe(5);
    expect(deliveredCompletionTokens(chat({ n: 2 }), 6)).toBe(4);
    expect(deliveredCompletionTokens(chat(), 0)).toBe(0);
    expect(deliveredCompletionTokens(parse("completion", { model: "m", prompt: "x" }), 6)).toBe(6);
    const s = settlementFromRelay(chat(), 10, { usage: null, deltaEvents: 4 });
    expect(s).toEqual({ used: { requests: 1, tokens: 10 + 15 }, usage: { prompt_tokens: 10, completion_tokens: 3 } });
  });

  it("counts no completion for embeddings even if an origin reports one", () => {
    const e = parse("embedding", { model: "m", input: "x" });
    expect(settlementFromRelay(e, 1, { usage: { prompt_tokens: 3, completion_tokens: 9 }, deltaEvents: 0 }).used.tokens).toBe(3);
  });

  it("bills the prompt of a request whose client left while the origin worked, and nothing for origin failures", () => {
    expect(settlementFromError(10, "client_closed")).toEqual({ used: { requests: 1, tokens: 10 }, usage: { prompt_tokens: 10, completion_tokens: 0 } });
    expect(settlementFromError(10, "origin_unreachable")).toEqual({ used: { requests: 0, tokens: 0 }, usage: null });
    expect(settlementFromError(10, null)).toEqual({ used: { requests: 0, tokens: 0 }, usage: null });
  });
});
