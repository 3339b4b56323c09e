// The openai client meets our 429: it sees a RateLimitError with the limit headers, and
// with retries on it waits as retry-after-ms says and gets through.

import OpenAI, { RateLimitError } from "openai";
import { describe, expect, inject, it } from "vitest";

const client = (maxRetries: number) => new OpenAI({ apiKey: inject("demoKey"), baseURL: `${inject("routerUrl")}/v1`, maxRetries });
// 300 RPM: a burst of 50, then one request every 200 ms. No other e2e test sends to it.
const MODEL = "mixtral-8x7b-instruct";
const ask = (c: OpenAI) => c.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 1 });

describe("rate limits through the openai client", () => {
  it("raises RateLimitError with the headers, and retries after retry-after-ms", async () => {
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => ask(client(0))));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
    expect(results.length - refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThan(0);
    const err = refused[0];
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.status).toBe(429);
    expect(e.code).toBe("rate_limit_exceeded");
    expect(e.message).toContain("requests per min (RPM)");
    expect(e.headers.get("x-ratelimit-limit-requests")).toBe("300");
    expect(e.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(Number(e.headers.get("retry-after-ms"))).toBeGreaterThan(0);

    // Out of requests now; the client waits as told and the retry is admitted.
    const res = await ask(client(3));
    expect(res.choices).toHaveLength(1);
  });
});
