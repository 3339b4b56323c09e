// One origin attempt (src/origins/forward.ts): how each answer or failure of an origin is
// classified for the failover loop, and which credential goes to the origin.

import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApiError } from "../../src/openai/errors.ts";
import { attemptOrigin } from "../../src/origins/forward.ts";
import { fakeEnv } from "../support/fake-env.ts";

describe("one origin attempt", () => {
  const origin = { id: "o", url: "https://secret-origin.internal/v1", region: "eu" };
  const call = () => ({ origin, path: "chat" as const, body: "{}", requestId: "r", timeoutMs: 50, signal: undefined, teeEventStream: false });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
  const attempt = (impl: () => Promise<Response>, env = fakeEnv({})) => {
    vi.stubGlobal("fetch", vi.fn(impl));
    return attemptOrigin(env, call());
  };

  it.each([
    [401, "bad_status"],
    [404, "bad_status"],
    [429, "overloaded"],
    [500, "bad_status"],
    [503, "overloaded"],
  ])("classifies an origin %i as %s, for the failover loop to try another", async (status, reason) => {
    expect(await attempt(async () => new Response("upstream https://secret-origin.internal failed", { status }))).toMatchObject({ kind: "failed", reason, status });
  });

  it("keeps the message of a 400 the origin judged to be the caller's mistake, without retrying", async () => {
    const r = await attempt(async () => Response.json({ error: { message: "max_tokens is too large", type: "BadRequestError", code: 400, param: "max_tokens" } }, { status: 400 }));
    expect(r.kind).toBe("rejected");
    const e = (r as { error: ApiError }).error;
    expect(e.status).toBe(400);
    expect(e.message).toBe("max_tokens is too large");
    expect(e.param).toBe("max_tokens");
  });

  it("classifies a refused connection as unreachable and a missing first byte as a timeout", async () => {
    expect(await attempt(() => Promise.reject(new TypeError("connect ECONNREFUSED")))).toMatchObject({ kind: "failed", reason: "unreachable" });
    const hang = await attempt(
      () => new Promise<Response>((_, reject) => {
        const init = vi.mocked(fetch).mock.calls.at(-1)?.[1];
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      }),
    );
    expect(hang).toMatchObject({ kind: "failed", reason: "timeout" });
  });

  it("reads a JSON answer of declared length whole, and calls a body cut short of it a cut body", async () => {
    const json = '{"id":"x","usage":{"prompt_tokens":1,"completion_tokens":2}}';
    const whole = await attempt(async () => new Response(json, { headers: { "content-type": "application/json", "content-length": String(json.length) } }));
    expect(whole.kind).toBe("ok");
    expect(new TextDecoder().decode((whole as { body: { whole: Uint8Array } }).body.whole)).toBe(json);
    const cut = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(json.slice(0, 10)));
        c.error(new Error("connection reset"));
      },
    });
    expect(await attempt(async () => new Response(cut, { headers: { "content-type": "application/json", "content-length": String(json.length) } }))).toMatchObject({ kind: "failed", reason: "cut_body" });
  });

  const sse = (source: UnderlyingSource<Uint8Array>) => new Response(new ReadableStream<Uint8Array>(source), { headers: { "content-type": "text/event-stream" } });
  const teed = (impl: () => Promise<Response>) => {
    vi.stubGlobal("fetch", vi.fn(impl));
    return attemptOrigin(fakeEnv({}), { ...call(), teeEventStream: true });
  };

  it("tees an event stream to be piped natively before its first read: the client's branch keeps every byte", async () => {
    const events = ["data: 1\n\n", "data: 2\n\n"];
    const r = await teed(async () => sse({ start: (c: ReadableStreamDefaultController<Uint8Array>) => (events.forEach((e) => c.enqueue(new TextEncoder().encode(e))), c.close()) }));
    expect(r.kind).toBe("ok");
    const body = (r as { body: { first: Uint8Array; client?: ReadableStream<Uint8Array> } }).body;
    expect(new TextDecoder().decode(body.first)).toBe(events[0]);
    expect(await new Response(body.client).text()).toBe(events.join(""));
  });

  it("cancels both branches of a tee()d event stream whose first byte never comes, so the origin's request ends", async () => {
    const cancelled = vi.fn();
    expect(await teed(async () => sse({ pull: () => new Promise(() => {}), cancel: cancelled }))).toMatchObject({ kind: "failed", reason: "timeout" });
    await vi.waitFor(() => expect(cancelled).toHaveBeenCalled());
  });

  it("sends the origin's credential from the secret the catalog names, never the client's key", async () => {
    const fetchMock = vi.fn(async () => new Response("{}"));
    vi.stubGlobal("fetch", fetchMock);
    await attemptOrigin(fakeEnv({ GPU_TOKEN: "t0ken" }), { ...call(), origin: { ...origin, credential: "GPU_TOKEN" } });
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(new Headers(init.headers).get("authorization")).toBe("Bearer t0ken");
  });
});
