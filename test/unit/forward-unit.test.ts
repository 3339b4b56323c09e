// One origin attempt (src/origins/forward.ts): how each answer or failure of an origin is
// classified for the failover loop, and which credential goes to the origin.

import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApiError } from "../../src/openai/errors.ts";
import { attemptOrigin } from "../../src/origins/forward.ts";
import { fakeEnv } from "../support/fake-env.ts";

describe("one origin attempt", () => {
  const origin = { id: "o", url: "https://secret-origin.internal/v1", region: "eu" };
  const call = () => ({ origin, path: "chat" as const, body: "{}", requestId: "r", timeoutMs: 50, signal: undefined });
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

  it("sends the origin's credential from the secret the catalog names, never the client's key", async () => {
    const fetchMock = vi.fn(async () => new Response("{}"));
    vi.stubGlobal("fetch", fetchMock);
    await attemptOrigin(fakeEnv({ GPU_TOKEN: "t0ken" }), { ...call(), origin: { ...origin, credential: "GPU_TOKEN" } });
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(new Headers(init.headers).get("authorization")).toBe("Bearer t0ken");
  });
});
