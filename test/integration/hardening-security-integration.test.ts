// Security: no response leaks an origin URL, origin credential or stack trace; the
// client's key and headers never reach the origin; no CORS; nothing outside the API is served.

import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { call, expectError, isolatedModel, SIM, seedCatalog, seedKey, simStats } from "./helpers.ts";
import { chatBody } from "../support/chat-body.ts";

beforeAll(() => seedCatalog());
afterEach(() => vi.restoreAllMocks());

const chat = (extra: Record<string, unknown> = {}) => chatBody({ max_tokens: 3, ...extra });

/** Everything a client can read: status line, every header, the whole body (even a broken one). */
async function exposed(res: Response): Promise<string> {
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  let body: string;
  try {
    body = await res.text();
  } catch (err) {
    body = `<body failed: ${String(err)}>`;
  }
  return `${res.status}\n${headers}\n\n${body}`;
}

function expectNoLeak(text: string): void {
  const origin = new URL(SIM());
  for (const secret of [SIM(), origin.host, "127.0.0.1", "localhost", "sim-secret-token", "SIM_ORIGIN_TOKEN", "x-sim-region", "node_modules", ".ts:"]) {
    expect(text, `leaks ${secret}`).not.toContain(secret);
  }
  expect(text).not.toMatch(/\bat .+:\d+:\d+/); // a stack frame
  expect(text).not.toMatch(/\b(TypeError|RangeError|URIError|SyntaxError|ReferenceError)\b/);
}

describe("responses leak nothing of the origin", () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ["success", "test-chat", {}],
    ["success, streamed", "test-chat", { stream: true }],
    ["origin 500", "test-chat", { sim: { fail: "status", status: 500 } }],
    ["origin 503", "test-chat", { sim: { fail: "status", status: 503 } }],
    ["origin 401 (its credential refused)", "test-chat", { sim: { fail: "status", status: 401 } }],
    ["origin 400", "test-chat", { sim: { fail: "status", status: 400 } }],
    ["origin resets", "test-chat", { sim: { fail: "reset" } }],
    ["origin refuses connections", "test-dead-origin", {}],
    ["origin stalls before headers", "test-timeouts", { sim: { fail: "stall" } }],
    ["origin stalls mid-stream", "test-timeouts", { stream: true, sim: { fail: "stall_mid" } }],
    ["origin cuts the stream", "test-chat", { stream: true, sim: { fail: "cut" } }],
    ["origin sends malformed SSE", "test-chat", { stream: true, sim: { fail: "malformed" } }],
    ["origin sends invalid JSON", "test-chat", { sim: { fail: "malformed" } }],
    ["origin cuts a JSON body", "test-timeouts", { sim: { fail: "stall_mid" } }],
  ];
  for (const [name, model, extra] of cases) {
    it(name, async () => {
      const { key } = await seedKey();
      expectNoLeak(await exposed(await call("/v1/chat/completions", { method: "POST", key, json: chat({ model, ...extra }) })));
    });
  }

  it("nor do the router's own errors", async () => {
    const { key } = await seedKey();
    const texts = await Promise.all(
      [
        call("/v1/chat/completions", { method: "POST", key, body: "{not json" }),
        call("/v1/chat/completions", { method: "POST", key, json: chat({ model: "nope" }) }),
        call("/v1/chat/completions", { method: "POST", key: "sk-eir-wrongwrongwrongwrongwrong", json: chat() }),
        call("/v1/models/%E0%A4%A", { key }),
        call("/v1/models", { key }),
        call("/v1/models/test-dead-origin", { key }),
      ].map(async (p) => exposed(await p)),
    );
    for (const t of texts) expectNoLeak(t);
  });
});

describe("what the origin receives", () => {
  it("the origin's credential, never the client's key, cookies or forwarding headers", async () => {
    const { key } = await seedKey();
    // Its own origin id: the faults above may have opened the shared origin's breaker.
    const model = await isolatedModel("test-chat");
    const spy = vi.spyOn(globalThis, "fetch");
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key,
      json: chat({ model }),
      headers: { cookie: "session=abc", "x-forwarded-host": "evil.example", "x-custom": "1", origin: "https://evil.example" },
    });
    expect(res.status).toBe(200);
    await res.text();
    const toOrigin = spy.mock.calls.map(([input, init]) => new Request(input, init)).filter((r) => r.url.startsWith(SIM()));
    expect(toOrigin).toHaveLength(1);
    const sent = toOrigin[0]!;
    expect(sent.url).toBe(`${SIM()}/v1/chat/completions`);
    expect(sent.headers.get("authorization")).toBe("Bearer sim-secret-token");
    expect([...sent.headers.keys()].sort()).toEqual(["accept", "authorization", "content-type", "x-request-id"]);
    expect(await sent.text()).not.toContain(key);
  });
});

describe("CORS: none, documented in the README", () => {
  it("refuses a preflight without any Access-Control header", async () => {
    const res = await call("/v1/chat/completions", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect([...res.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
    expect(res.headers.get("allow")).toBe("POST");
    await expectError(res, 405, "cors_not_supported");
  });

  it("a preflight for a path outside the API is a 404", async () => {
    await expectError(await call("/admin", { method: "OPTIONS", headers: { origin: "https://app.example" } }), 404, "unknown_url");
  });

  it("answers a cross-origin request normally but grants the page no access", async () => {
    const { key } = await seedKey();
    for (const res of [
      await call("/v1/models", { key, headers: { origin: "https://app.example" } }),
      await call("/v1/chat/completions", { method: "POST", key, json: chat(), headers: { origin: "null" } }),
      await call("/v1/chat/completions", { method: "POST", json: chat(), headers: { origin: "https://app.example" } }),
    ]) {
      expect([...res.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
      await res.text();
    }
  });
});

describe("nothing outside the API is served", () => {
  // A trailing slash is itty-router's alias of the same route (/v1/models/ lists models), so it is not here.
  const paths = [
    "/",
    "/index.html",
    "/admin",
    "/v1",
    "/v1/",
    "/v2/models",
    "/_sim/stats",
    "/_sim/config",
    "/v1/_sim/stats",
    "/v1/chat/completions/../../_sim/config",
    "/v1/%2e%2e/_sim/stats",
    "/%2F%2F127.0.0.1/v1/chat/completions",
    "//127.0.0.1:1/v1/chat/completions",
    "/v1/chat/completions%00",
    "/V1/CHAT/COMPLETIONS",
    "/v1/chat/completions;x=1",
    "/.env",
    "/wrangler.toml",
    "/health",
    "/metrics",
    "/cdn-cgi/trace",
  ];
  for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH"]) {
    it(`${method} on paths outside the API gets a 404/405 and never reaches the origin`, async () => {
      const { key } = await seedKey();
      const before = (await simStats()).requests;
      for (const path of paths) {
        const res = await call(path, { method, key, ...(method === "GET" || method === "DELETE" ? {} : { json: chat() }) });
        if (res.status !== 404 && res.status !== 405) throw new Error(`${method} ${path} answered ${res.status}`);
        await expectError(res, res.status);
      }
      expect((await simStats()).requests).toBe(before);
    });
  }

  it("a malformed escape in a model id is a 404, not a 500", async () => {
    const { key } = await seedKey();
    for (const path of ["/v1/models/%E0%A4%A", "/v1/models/%", "/v1/models/%zz", "/v1/models/%C0%AF"]) {
      await expectError(await call(path, { key }), 404, "model_not_found");
    }
  });

  it("does not echo a client request id that could inject into logs or headers", async () => {
    const { key } = await seedKey();
    for (const id of ["a b", "<script>", "x".repeat(129), "id\twith\ttabs", "ünïcödé", "a,b", '"quoted"']) {
      const res = await call("/v1/models", { key, headers: { "x-request-id": id } });
      expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
      await res.text();
    }
  });
});
