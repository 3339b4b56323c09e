import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { countsOf, MIN_RESERVED } from "../../src/quota/completion-sketch.ts";
import { eventually } from "../support/eventually.ts";
import { call, expectError, seedKey } from "./helpers.ts";
import { app, ledger, limiter, limitsCatalog } from "./limits-fixtures.ts";

beforeAll(() => limitsCatalog());

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content: "hello there" }], ...extra });
const post = (key: string, body: unknown, headers: Record<string, string> = {}) => call("/v1/chat/completions", { method: "POST", key, json: body, headers });
const num = (res: Response, h: string): number => Number(res.headers.get(h));
const waitedMs = (res: Response): number => Number(/wait;dur=(\d+)/.exec(res.headers.get("server-timing") ?? "")?.[1] ?? 0);

/** Sends `n` chats one after the other and waits until the books hold `total` requests (so all are learned). */
async function teach(key: string, project: string, model: string, n: number, tokens: number, total = n): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await post(key, chat(model, { sim: { tokens } }));
    expect(res.status).toBe(200);
    await res.text();
  }
  await ledger(project, model, total);
}

describe("learned reservations", () => {
  it("admit 40 concurrent short chats without max_tokens in full on the Base plan's 200,000 TPM, once learned without a prior", async () => {
    const { key, record } = await seedKey();
    const stub = limiter(record.project_id, "base-chat-unset");
    // A fresh project of a model without a prior reserves the default 256 per answer: 5 x 256 + 8 = 1288 units each.
    expect((await stub.learnedReservation()).perChoice).toBe(256);
    await teach(key, record.project_id, "base-chat-unset", 20, 14);
    expect((await stub.learnedReservation()).perChoice).toBe(16);
    const all = await Promise.all(Array.from({ length: 40 }, () => post(key, chat("base-chat-unset", { sim: { tokens: 13 } }))));
    const statuses = await Promise.all(all.map(async (r) => (await r.text(), r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    const rows = await ledger(record.project_id, "base-chat-unset", 60);
    expect(rows.reduce((n, r) => n + r.completionTokens, 0)).toBe(20 * 14 + 40 * 13);
  });

  it("the same 40 on a fresh project, before anything was learned, are admitted in full: the catalog's prior is reserved", async () => {
    const { key, record } = await seedKey();
    const all = await Promise.all(Array.from({ length: 40 }, () => post(key, chat("base-chat", { sim: { tokens: 13 } }))));
    const statuses = await Promise.all(all.map(async (r) => (await r.text(), r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    // Each reserved 8 + 5 x 16 = 88 units, not 1288: 40 of them fit the 33,334-unit burst.
    const first = await post(key, chat("base-chat", { sim: { tokens: 13 } }));
    await first.text();
    expect(33_334 - num(first, "x-ratelimit-remaining-tokens")).toBeGreaterThanOrEqual(88);
    const rows = await ledger(record.project_id, "base-chat", 41);
    expect(rows.reduce((n, r) => n + r.completionTokens, 0)).toBe(41 * 13);
  });

  it("reserve 256 per choice on a fresh project of a model without the prior, and the prior where the catalog gives one", async () => {
    const { key } = await seedKey();
    const unset = await post(key, chat("base-chat-unset", { sim: { tokens: 1 } }));
    await unset.text();
    expect(num(unset, "x-ratelimit-remaining-tokens")).toBe(33_334 - (8 + 5 * 256));
    const prior = await post(key, chat("base-chat", { sim: { tokens: 1 } }));
    await prior.text();
    expect(num(prior, "x-ratelimit-remaining-tokens")).toBe(33_334 - (8 + 5 * 16));
  });

  it("replace the prior with what was learned once there are enough answers, longer ones included", async () => {
    const { key, record } = await seedKey();
    const stub = limiter(record.project_id, "base-chat");
    await teach(key, record.project_id, "base-chat", 20, 40);
    // 40 tokens read as their bin's upper bound, 48: more than the prior of 16.
    expect((await stub.learnedReservation(16)).perChoice).toBe(48);
    const probe = await post(key, chat("base-chat", { sim: { tokens: 1 } }));
    await probe.text();
    expect(num(probe, "x-ratelimit-remaining-tokens")).toBeLessThanOrEqual(33_334 - (8 + 5 * 48));
  });

  it("never drops below what is safe: the mean of what it saw (not the 99th percentile), and charges a longer answer the difference", async () => {
    const { key, record } = await seedKey();
    const stub = limiter(record.project_id, "base-chat");
    await teach(key, record.project_id, "base-chat", 25, 10);
    expect((await stub.learnedReservation()).perChoice).toBe(MIN_RESERVED);
    // Three long answers among 25 short ones: the mean is (25 x 10 + 3 x 700) / 28 = 84;
    // read from bin upper bounds (12 and 768) it is ceil(2604 / 28) = 93. The p99 is 768.
    await teach(key, record.project_id, "base-chat", 3, 700, 28);
    const { perChoice: after, p99 } = await stub.learnedReservation();
    expect(after).toBe(93);
    expect(after).toBeGreaterThanOrEqual((25 * 10 + 3 * 700) / 28);
    expect(p99).toBeGreaterThanOrEqual(700);
    // The reservation the next request shows in its headers is prompt + 5 x the learned one.
    const probe = await post(key, chat("base-chat", { sim: { tokens: 1 } }));
    await probe.text();
    expect(num(probe, "x-ratelimit-remaining-tokens")).toBeLessThanOrEqual(33_334 - (8 + 5 * after));
    // Samples fed straight to the object: however skewed, the reservation covers their mean,
    // so what all of them reserve together is at least what they used.
    const samples = [...Array.from({ length: 500 }, (_, i) => 5 + (i % 40)), ...Array.from({ length: 10 }, () => 3000)];
    await stub.settleBatch({ id: crypto.randomUUID(), limits: { rpm: 600, tpm: 200_000 }, net: { requests: 0, tokens: 0 }, ledger: [], completions: countsOf(samples) });
    const remembered = (await stub.learnedReservation()).perChoice;
    expect(remembered).toBeGreaterThanOrEqual(samples.reduce((a, b) => a + b, 0) / samples.length);
    expect(remembered).toBeLessThan(3000);
  });

  it("keep reserving max_tokens whole for requests that give it, whatever was learned", async () => {
    const { key, record } = await seedKey();
    await teach(key, record.project_id, "base-chat", 20, 5);
    const res = await post(key, chat("base-chat", { max_tokens: 1000, sim: { tokens: 5 } }));
    await res.text();
    expect(num(res, "x-ratelimit-remaining-tokens")).toBeLessThanOrEqual(33_334 - (8 + 5 * 1000));
  });
});

/** Spends wait-rpm's burst of 20 requests. */
async function spendBurst(key: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const res = await post(key, chat("wait-rpm", { max_tokens: 1 }));
    expect(res.status).toBe(200);
    await res.text();
  }
}

describe("Prefer: wait", () => {
  it("holds requests over the limit and admits them in arrival order, with Preference-Applied", async () => {
    const { key, record } = await seedKey();
    const stub = limiter(record.project_id, "wait-rpm");
    const limits = { rpm: 120, tpm: 1_000_000 };
    // The burst spent straight at the object, so this isolate holds no lease of it.
    for (let i = 0; i < 20; i++) expect((await stub.acquire({ limits, want: { requests: 1, tokens: 1 } })).kind).toBe("granted");
    // Straight at the object: each waiter starts after the one before it.
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await stub.acquire({ limits, want: { requests: 1, tokens: 1 }, maxWaitMs: 10_000 });
      expect(a.kind).toBe("granted");
      starts.push(Date.now() + (a.startInMs ?? 0));
    }
    expect(starts[1]).toBeGreaterThan(starts[0]!);
    expect(starts[2]).toBeGreaterThan(starts[1]!);
    // A later request that does not wait may not overtake them, though it comes after.
    const refused = await post(key, chat("wait-rpm", { max_tokens: 1 }));
    const err = await expectError(refused, 429, "rate_limit_exceeded");
    expect(err.message).toContain("Prefer: wait");
    // Through the router: one that waits is held behind the three, then answered.
    const res = await post(key, chat("wait-rpm", { max_tokens: 1 }), { prefer: "wait=10" });
    expect(res.status).toBe(200);
    expect(res.headers.get("preference-applied")).toBe("wait=10");
    expect(waitedMs(res)).toBeGreaterThan(0);
    await res.text();
  });

  it("refuses with the usual 429 and its headers when the turn would come later than the wait allows", async () => {
    const { key } = await seedKey();
    // slow-rpm: 6 RPM, burst 1, one more every 10 s.
    const first = await post(key, chat("slow-rpm", { max_tokens: 1 }));
    await first.text();
    const res = await post(key, chat("slow-rpm", { max_tokens: 1 }), { prefer: "wait=2" });
    expect(res.headers.get("preference-applied")).toBeNull();
    expect(Number(res.headers.get("retry-after-ms"))).toBeGreaterThan(2000);
    expect(Number(res.headers.get("retry-after"))).toBe(Math.ceil(Number(res.headers.get("retry-after-ms")) / 1000));
    for (const h of ["limit", "remaining", "reset"]) for (const u of ["requests", "tokens"]) expect(res.headers.get(`x-ratelimit-${h}-${u}`)).not.toBeNull();
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    await expectError(res, 429, "rate_limit_exceeded");
  });

  it("releases a caller that disconnects while waiting: it leaves the line and costs nothing", async () => {
    const { key, record } = await seedKey();
    const first = await post(key, chat("slow-rpm", { max_tokens: 1 }));
    await first.text();
    const limits = { rpm: 6, tpm: 1_000_000 };
    const stub = limiter(record.project_id, "slow-rpm");
    const ac = new AbortController();
    const ctx = createExecutionContext();
    const req = new Request("https://router.test/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", prefer: "wait=15" },
      body: JSON.stringify(chat("slow-rpm", { max_tokens: 1 })),
      signal: ac.signal,
    });
    const pending = app.fetch(req, env, ctx);
    // Wait until the object has taken the waiter's request: the bucket is a second request deep.
    let held = await stub.peek(limits);
    for (let i = 0; i < 200 && held.resetRequestsMs <= 10_000; i++) {
      await new Promise((r) => setTimeout(r, 10));
      held = await stub.peek(limits);
    }
    expect(held.resetRequestsMs).toBeGreaterThan(10_000);
    ac.abort();
    const res = await pending;
    expect(res.status).toBe(499);
    await res.text();
    await waitOnExecutionContext(ctx);
    // Its request is back in the bucket once the settle batch it joined is sent (by the
    // batch's opener, within a window), and only the first request is on the books.
    const back = await eventually(() => stub.peek(limits), (s) => s.resetRequestsMs <= 10_000);
    expect(back.resetRequestsMs).toBeLessThanOrEqual(10_000);
    const rows = await ledger(record.project_id, "slow-rpm", 1);
    expect(rows.reduce((n, r) => n + r.requests, 0)).toBe(1);
  });

  it("under concurrent waiting load admits no more than burst + the refill over the time it took", async () => {
    const { key } = await seedKey();
    const t0 = Date.now();
    const all = await Promise.all(Array.from({ length: 40 }, () => post(key, chat("wait-rpm", { max_tokens: 1 }), { prefer: "wait=3" })));
    let admitted = 0;
    let lastAdmitted = t0;
    for (const r of all) {
      await r.text();
      if (r.status === 200) {
        admitted++;
        lastAdmitted = Math.max(lastAdmitted, Date.now());
      } else {
        expect(r.status).toBe(429);
        expect(Number(r.headers.get("retry-after-ms"))).toBeGreaterThan(0);
      }
    }
    // Burst 20 plus two per second; some waited rather than being refused.
    expect(admitted).toBeGreaterThan(20);
    expect(admitted).toBeLessThanOrEqual(20 + Math.ceil((120 * (lastAdmitted - t0)) / 60_000) + 1);
    expect(all.filter((r) => waitedMs(r) > 0).length).toBeGreaterThan(0);
  });
});
