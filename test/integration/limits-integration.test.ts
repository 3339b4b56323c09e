import { fakeEnv } from "../support/fake-env.ts";
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LEASE_MS } from "../../src/quota/lease.ts";
import { call, expectError, seedKey } from "./helpers.ts";
import { app, ledger, limiter, limitsCatalog } from "./limits-fixtures.ts";
import { chatBody } from "../support/chat-body.ts";
import { expectLogs, type ExpectedLogs } from "../support/expected-logs.ts";

beforeAll(() => limitsCatalog());

const chat = (model: string, extra: Record<string, unknown> = {}) => chatBody({ model, content: "hello there", ...extra });
const post = (key: string, body: unknown) => call("/v1/chat/completions", { method: "POST", key, json: body });
const num = (res: Response, h: string): number => Number(res.headers.get(h));

describe("x-ratelimit-* headers", () => {
  it("count down across the keys of one project, and not across projects", async () => {
    const a = await seedKey();
    const b = await seedKey({ project_id: a.record.project_id, key_id: "key_b" });
    const other = await seedKey();
    // count-rpm: 30 RPM (burst 5, one more every 2 s), 1,000,000 TPM (burst 166,667).
    const r1 = await post(a.key, chat("count-rpm", { max_tokens: 5 }));
    expect(r1.status).toBe(200);
    expect(r1.headers.get("x-ratelimit-limit-requests")).toBe("30");
    expect(r1.headers.get("x-ratelimit-limit-tokens")).toBe("1000000");
    expect(num(r1, "x-ratelimit-remaining-requests")).toBe(4);
    // "hello there" is 4 + 4 prompt tokens; 5 x 5 reserved for the completion.
    expect(num(r1, "x-ratelimit-remaining-tokens")).toBe(166_667 - (8 + 25));
    expect(r1.headers.get("x-ratelimit-reset-requests")).toBe("2s");
    expect(r1.headers.get("x-ratelimit-reset-tokens")).toBe("2ms");
    await r1.text();
    const r2 = await post(b.key, chat("count-rpm", { max_tokens: 5 }));
    expect(num(r2, "x-ratelimit-remaining-requests")).toBe(3);
    await r2.text();
    const r3 = await post(other.key, chat("count-rpm", { max_tokens: 5 }));
    expect(num(r3, "x-ratelimit-remaining-requests")).toBe(4);
    await r3.text();
  });

  it("follow the project's own limits where an operator granted more than the catalog's", async () => {
    const { key } = await seedKey({ limits: { "count-rpm": { rpm: 120, tpm: 2_000_000 } } });
    const res = await post(key, chat("count-rpm", { max_tokens: 5 }));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("120");
    expect(res.headers.get("x-ratelimit-limit-tokens")).toBe("2000000");
    // Burst is 10 s of the project's own rate: 20 requests, one spent.
    expect(num(res, "x-ratelimit-remaining-requests")).toBe(19);
    await res.text();
  });

  it("are on refusals of a named model before admission too, and those spend nothing", async () => {
    const { key } = await seedKey();
    const bad = await post(key, chat("count-rpm", { max_tokens: 1_000_000 }));
    expect(bad.headers.get("x-ratelimit-limit-requests")).toBe("30");
    expect(num(bad, "x-ratelimit-remaining-requests")).toBe(5);
    await expectError(bad, 400);
    const wrongRoute = await call("/v1/embeddings", { method: "POST", key, json: { model: "count-rpm", input: "x" } });
    expect(num(wrongRoute, "x-ratelimit-remaining-requests")).toBe(5);
    await expectError(wrongRoute, 400, "unsupported_model");
    const ok = await post(key, chat("count-rpm", { max_tokens: 5 }));
    expect(num(ok, "x-ratelimit-remaining-requests")).toBe(4);
    await ok.text();
  });

  it("are on streams and on origin failures after admission too", async () => {
    const { key } = await seedKey();
    const s = await post(key, chat("test-chat", { stream: true, max_tokens: 3 }));
    expect(s.headers.get("x-ratelimit-limit-requests")).toBe("1000");
    await s.text();
    const f = await post(key, chat("test-dead-origin"));
    expect(f.headers.get("x-ratelimit-limit-requests")).toBe("1000");
    await expectError(f, 503, "origin_unreachable");
  });
});

describe("429 when a limit is hit", () => {
  it("refuses in OpenAI's shape, naming the limit, with Retry-After, and charges nothing", async () => {
    const { key, record } = await seedKey();
    // slow-rpm: 6 RPM, burst 1, one more every 10 s.
    const first = await post(key, chat("slow-rpm", { max_tokens: 1 }));
    expect(first.status).toBe(200);
    await first.text();
    const res = await post(key, chat("slow-rpm", { max_tokens: 1 }));
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers.get("retry-after-ms"))).toBeGreaterThan(0);
    expect(Number(res.headers.get("retry-after-ms"))).toBeLessThanOrEqual(10_000);
    expect(Number(res.headers.get("retry-after"))).toBe(Math.ceil(Number(res.headers.get("retry-after-ms")) / 1000));
    const err = await expectError(res, 429, "rate_limit_exceeded");
    expect(err.type).toBe("rate_limit_error");
    expect(err.message).toContain("requests per min (RPM)");
    expect(err.message).toContain("Limit 6 per minute, of which at most 1 at once (the burst: ten seconds' worth, refilled continuously). In use: 1 of the burst");
    expect(err.message).toContain("Requested 1.");
    expect(err.message).toMatch(/try again in [\d.]+s/);
    // Only the admitted request is on the books.
    const rows = await ledger(record.project_id, "slow-rpm", 1);
    expect(rows.reduce((n, r) => n + r.requests, 0)).toBe(1);
  });

  it("names the token limit when tokens run out first", async () => {
    const { key } = await seedKey();
    // tight-tpm: 600 TPM, burst 100; each request reserves 8 + 5 x 18 = 98.
    const ok = await post(key, chat("tight-tpm", { max_tokens: 18, sim: { tokens: 18 } }));
    expect(ok.status).toBe(200);
    const res = await post(key, chat("tight-tpm", { max_tokens: 18 }));
    const err = await expectError(res, 429, "rate_limit_exceeded");
    expect(err.message).toContain("tokens per min (TPM)");
    expect(err.message).toContain("Requested 98");
    await ok.text();
  });

  it("says clearly when a request could never fit, instead of an endless 429", async () => {
    const { key } = await seedKey();
    const res = await post(key, chat("tight-tpm", { max_tokens: 200 }));
    const err = await expectError(res, 400, "request_exceeds_limit");
    expect(err.param).toBe("max_tokens");
    expect(err.message).toContain("Limit 600");
    expect(res.headers.get("x-ratelimit-limit-tokens")).toBe("600");
  });
});

describe("many concurrent requests against one project", () => {
  it("never admit more than the burst plus the refill over the time they took", async () => {
    const a = await seedKey();
    const b = await seedKey({ project_id: a.record.project_id, key_id: "key_b2" });
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const res = await post(i % 2 ? a.key : b.key, chat("tight-rpm", { max_tokens: 1 }));
        const status = res.status;
        await res.text();
        return status;
      }),
    );
    const elapsed = Date.now() - started;
    const admitted = results.filter((s) => s === 200).length;
    const refused = results.filter((s) => s === 429).length;
    expect(admitted + refused).toBe(60);
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(10 + Math.floor((60 * elapsed) / 60_000));
  });
});

describe("when the limiter cannot be reached", () => {
  // Each test breaks the limiter on purpose; the Worker says so in these lines.
  let logs: ExpectedLogs;
  beforeEach(() => {
    logs = expectLogs(["limiter_unavailable", "settle_parked"]);
  });
  afterEach(() => {
    logs.spy.mockRestore();
  });
  const broken = {
    idFromName: (name: string) => env.LIMITERS.idFromName(name),
    get: () => ({
      acquire: () => Promise.reject(new Error("limiter down")),
      settleBatch: () => Promise.reject(new Error("limiter down")),
    }),
  };
  /** An object that never answers: admission must give up after LIMITER_TIMEOUT_MS. */
  const hanging = {
    idFromName: (name: string) => env.LIMITERS.idFromName(name),
    get: () => ({
      acquire: () => new Promise(() => {}),
      settleBatch: () => Promise.reject(new Error("limiter down")),
    }),
  };

  async function callWith(mode: string, key: string, limiters: unknown = broken): Promise<Response> {
    const ctx = createExecutionContext();
    const brokenEnv = fakeEnv({ ...env, LIMITERS: limiters, LIMITER_FAILURE_MODE: mode });
    const req = new Request("https://router.test/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(chat("test-chat", { max_tokens: 2 })),
    });
    const res = await app.fetch(req, brokenEnv, ctx);
    await res.clone().text();
    await waitOnExecutionContext(ctx);
    return res;
  }

  it("serves the request when the mode is open, with the catalog's limits in the headers", async () => {
    const { key } = await seedKey();
    const res = await callWith("open", key);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("1000");
    // What could be spent at once: the burst (ceil(1000 / 6)), never the whole minute's limit.
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("167");
    expect(res.headers.get("x-ratelimit-reset-requests")).toBe("0s");
  });

  it("still books the usage when only admission failed and the settle call gets through", async () => {
    const { key, record } = await seedKey();
    const flaky = {
      idFromName: (name: string) => env.LIMITERS.idFromName(name),
      get: (id: DurableObjectId) => {
        const real = env.LIMITERS.get(id);
        return {
          acquire: () => Promise.reject(new Error("limiter down")),
          settleBatch: (batch: Parameters<typeof real.settleBatch>[0]) => real.settleBatch(batch),
        };
      },
    };
    const ctx = createExecutionContext();
    const req = new Request("https://router.test/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(chat("slow-rpm", { max_tokens: 2 })),
    });
    const res = await app.fetch(req, fakeEnv({ ...env, LIMITERS: flaky }), ctx);
    expect(res.status).toBe(200);
    await res.text();
    await waitOnExecutionContext(ctx);
    const rows = await ledger(record.project_id, "slow-rpm", 1);
    expect(rows.map((r) => [r.requests, r.completionTokens])).toEqual([[1, 2]]);
    // Charged in full, since nothing was reserved: slow-rpm's burst of 1 is spent for the next 10 s.
    const probe = await limiter(record.project_id, "slow-rpm").acquire({ limits: { rpm: 6, tpm: 1_000_000 }, want: { requests: 1, tokens: 1 } });
    expect(probe.kind).toBe("limited");
  });

  it("treats an object that does not answer in time like one that failed, in either mode", async () => {
    const open = await callWith("open", (await seedKey()).key, hanging);
    expect(open.status).toBe(200);
    expect(open.headers.get("x-ratelimit-reset-requests")).toBe("0s");
    await expectError(await callWith("closed", (await seedKey()).key, hanging), 503, "rate_limiter_unavailable");
  });

  it("refuses with 503 and Retry-After when the mode is closed", async () => {
    const { key } = await seedKey();
    const res = await callWith("closed", key);
    expect(res.headers.get("retry-after")).toBe("1");
    await expectError(res, 503, "rate_limiter_unavailable");
  });
});

describe("edge leases", () => {
  it("let a busy isolate admit most requests without a round trip, billing every one exactly", async () => {
    const { key, record } = await seedKey();
    let acquires = 0;
    const counting = {
      idFromName: (name: string) => env.LIMITERS.idFromName(name),
      get: (id: DurableObjectId) => {
        const real = env.LIMITERS.get(id);
        return {
          acquire: (input: Parameters<typeof real.acquire>[0]) => {
            acquires++;
            return real.acquire(input);
          },
          settleBatch: (batch: Parameters<typeof real.settleBatch>[0]) => real.settleBatch(batch),
          peek: (l: Parameters<typeof real.peek>[0]) => real.peek(l),
        };
      },
    };
    const countingEnv = fakeEnv({ ...env, LIMITERS: counting });
    let last = Infinity;
    const began = Date.now();
    for (let i = 0; i < 30; i++) {
      const ctx = createExecutionContext();
      const req = new Request("https://router.test/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(chat("lease-rpm", { max_tokens: 2 })),
      });
      const res = await app.fetch(req, countingEnv, ctx);
      expect(res.status).toBe(200);
      expect(num(res, "x-ratelimit-limit-requests")).toBe(1200);
      last = num(res, "x-ratelimit-remaining-requests");
      await res.text();
      await waitOnExecutionContext(ctx);
    }
    // The first asks alone, the second brings a lease of 20, and so on: a handful of calls,
    // plus one more per lease lifetime the loop took (a loaded machine makes it slower,
    // and a lease that lived out its LEASE_MS is renewed). Without leases: 30.
    const lifetimes = Math.ceil((Date.now() - began) / LEASE_MS);
    expect(acquires).toBeLessThanOrEqual(4 + lifetimes);
    expect(acquires).toBeLessThan(30);
    expect(last).toBeLessThan(200);
    const rows = await ledger(record.project_id, "lease-rpm", 30);
    expect(rows.reduce((n, r) => n + r.requests, 0)).toBe(30);
    expect(rows.reduce((n, r) => n + r.completionTokens, 0)).toBe(60);
  });
});
