import { describe, expect, it } from "vitest";
import { parseJsonObject, readBody } from "../../src/openai/body.ts";
import { ApiError, toApiError } from "../../src/openai/errors.ts";
import { parseInferenceRequest } from "../../src/openai/inference-request.ts";
import { chatBody } from "../support/chat-body.ts";

const enc = new TextEncoder();

function caught(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

async function caughtAsync(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

describe("ApiError", () => {
  it("renders OpenAI's error shape with status and extra headers", async () => {
    const res = new ApiError({ status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", message: "slow down", headers: { "retry-after": "2" } }).toResponse();
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ error: { message: "slow down", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" } });
  });

  it("turns anything else into a bare 500 that reveals nothing", () => {
    const e = toApiError(new Error("secret internals at /src/x.ts:10"));
    expect(e.status).toBe(500);
    expect(JSON.stringify(e.toBody())).not.toContain("secret");
  });
});

describe("request bodies", () => {
  const req = (body: BodyInit | null, headers: Record<string, string> = {}): Request => new Request("https://r/", { method: "POST", body, headers });

  it("refuses a declared or actual size over the limit with 413", async () => {
    expect((await caughtAsync(readBody(req("x".repeat(11), { "content-length": "11" }), 10))).status).toBe(413);
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(enc.encode("x".repeat(8)));
        c.enqueue(enc.encode("x".repeat(8)));
        c.close();
      },
    });
    const e = await caughtAsync(readBody(new Request("https://r/", { method: "POST", body: chunked, duplex: "half" } as RequestInit), 10));
    expect(e.status).toBe(413);
    expect(e.code).toBe("request_too_large");
  });

  it.each([
    ["empty", new Uint8Array(0), "empty"],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), "UTF-8"],
    ["bad JSON", enc.encode("{nope"), "not valid JSON"],
    ["an array", enc.encode("[1]"), "must be a JSON object"],
    ["a string", enc.encode('"x"'), "must be a JSON object"],
  ])("refuses a body that is %s with 400 invalid_json", (_name, bytes, message) => {
    const e = caught(() => parseJsonObject(bytes));
    expect(e.status).toBe(400);
    expect(e.code).toBe("invalid_json");
    expect(e.message).toContain(message);
  });
});

describe("inference request validation", () => {
  const chat = (extra: Record<string, unknown>) => chatBody({ model: "m", ...extra });
  const cases: Array<[string, "chat" | "completion" | "embedding", Record<string, unknown>, string | null]> = [
    ["missing model", "chat", { messages: [{ role: "user" }] }, "model"],
    ["numeric model", "chat", chat({ model: 5 }), "model"],
    ["missing messages", "chat", { model: "m" }, "messages"],
    ["empty messages", "chat", chat({ messages: [] }), "messages"],
    ["message without role", "chat", chat({ messages: [{ content: "x" }] }), "messages[0].role"],
    ["string stream", "chat", chat({ stream: "yes" }), "stream"],
    ["stream_options without stream", "chat", chat({ stream_options: { include_usage: true } }), "stream_options"],
    ["non-boolean include_usage", "chat", chat({ stream: true, stream_options: { include_usage: 1 } }), "stream_options.include_usage"],
    ["zero max_tokens", "chat", chat({ max_tokens: 0 }), "max_tokens"],
    ["fractional max_tokens", "chat", chat({ max_tokens: 1.5 }), "max_tokens"],
    ["absurd max_tokens", "chat", chat({ max_tokens: 1e12 }), "max_tokens"],
    ["absurd n", "chat", chat({ n: 1000 }), "n"],
    ["missing prompt", "completion", { model: "m" }, "prompt"],
    ["object prompt", "completion", { model: "m", prompt: { a: 1 } }, "prompt"],
    ["missing input", "embedding", { model: "m" }, "input"],
    ["empty input array", "embedding", { model: "m", input: [] }, "input"],
    ["mixed input array", "embedding", { model: "m", input: ["a", 1] }, "input"],
  ];
  for (const [name, endpoint, body, param] of cases) {
    it(`refuses ${name} with 400 naming '${param}'`, () => {
      const e = caught(() => parseInferenceRequest(endpoint, body, 100_000));
      expect(e.status).toBe(400);
      expect(e.type).toBe("invalid_request_error");
      expect(e.param).toBe(param);
    });
  }

  it("accepts valid requests and reads what the router needs", () => {
    const r = parseInferenceRequest("chat", chat({ stream: true, stream_options: { include_usage: true }, max_completion_tokens: 20, n: 2, tools: [] }), 100);
    expect(r).toMatchObject({ model: "m", stream: true, includeUsage: true, maxTokens: 20, n: 2 });
    expect(parseInferenceRequest("embedding", { model: "e", input: [[1, 2], [3]] }, 100).stream).toBe(false);
    expect(parseInferenceRequest("completion", { model: "c", prompt: ["a", "b"] }, 100).maxTokens).toBeNull();
  });
});
