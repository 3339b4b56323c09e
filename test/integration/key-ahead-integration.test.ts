// A key KV knows but the isolate no longer trusts goes ahead while its project's object is
// asked: admission (the limiter's round trip) runs beside the confirmation, and nothing
// reaches an origin before the object's word. A word against the key gives back what
// admission reserved; a record that changed is served on the object's reading.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/auth/api-key.ts";
import { resetKeyCache } from "../../src/auth/authenticate.ts";
import { keyIndexKey } from "../../src/storage/kv-keys.ts";
import { eventually } from "../support/eventually.ts";
import { call, createApiKey, createProject, expectError, seedCatalog, simStats, testEnv } from "./helpers.ts";

beforeAll(() => seedCatalog());
afterEach(() => vi.restoreAllMocks());

const project = (id: string) => testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(id));
const limiter = (projectId: string) => testEnv.LIMITERS.get(testEnv.LIMITERS.idFromName(`${projectId}/test-chat`));
const elsewhere = { type: "admin" } as const;
const chat = (key: string, body: Record<string, unknown> = {}) =>
  call("/v1/chat/completions", { method: "POST", key, json: { model: "test-chat", messages: [{ role: "user", content: "hi" }], max_tokens: 2, ...body } });

/** Another location's KV still has the key's old record: put it back after a change made at the object. */
async function kvLagsBehind(secret: string): Promise<() => Promise<void>> {
  const k = keyIndexKey(await hashKey(secret));
  const stale = await testEnv.KV.get(k);
  if (stale === null) throw new Error("key not indexed");
  return () => testEnv.KV.put(k, stale);
}

/** Holds every confirmKey answer until the limiter has been asked (or `ms` passed), and says which came first. */
function confirmationWaitsForLimiter(ms: number): { limiterFirst: () => boolean | null } {
  let asked: () => void = () => {};
  const limiterAsked = new Promise<void>((r) => (asked = r));
  let limiterFirst: boolean | null = null;
  const projects = testEnv.PROJECTS.get.bind(testEnv.PROJECTS);
  vi.spyOn(testEnv.PROJECTS, "get").mockImplementation((id) => {
    const real = projects(id);
    return new Proxy(real, {
      get: (target, prop) =>
        prop !== "confirmKey"
          ? Reflect.get(target, prop)
          : async (hash: string) => {
              const first = await Promise.race([limiterAsked.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
              limiterFirst ??= first;
              return target.confirmKey(hash);
            },
    });
  });
  const limiters = testEnv.LIMITERS.get.bind(testEnv.LIMITERS);
  vi.spyOn(testEnv.LIMITERS, "get").mockImplementation((id) => {
    const real = limiters(id);
    return new Proxy(real, {
      get: (target, prop) => {
        if (prop === "acquire") asked();
        return Reflect.get(target, prop);
      },
    });
  });
  return { limiterFirst: () => limiterFirst };
}

describe("a key the isolate no longer trusts is admitted while its object confirms it", () => {
  it("asks the limiter before the object has answered, and serves once it has", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    resetKeyCache();
    const order = confirmationWaitsForLimiter(2_000);
    const res = await chat(k.value);
    expect(res.status).toBe(200);
    expect(order.limiterFirst()).toBe(true);
    expect((await res.json()) as { usage: unknown }).toHaveProperty("usage");
  });

  it("refuses a key the object no longer has, before anything reaches an origin, and gives back its reservation", async () => {
    const p = await createProject();
    // A request every 10 s: a reservation not given back would not refill during the test.
    const limits = { rpm: 6, tpm: 60_000 };
    await project(p.id).updateProject({ patch: { limits: { "test-chat": limits } }, actor: elsewhere });
    const k = await createApiKey(p.id);
    const full = await limiter(p.id).peek(limits);
    const restoreStale = await kvLagsBehind(k.value);
    expect((await project(p.id).deleteKey({ id: k.id, actor: elsewhere })).ok).toBe(true);
    await restoreStale();
    resetKeyCache();
    const order = confirmationWaitsForLimiter(2_000);
    const before = (await simStats()).requests;
    await expectError(await chat(k.value), 401, "invalid_api_key");
    // The limiter was asked (so the reservation was really taken) and the origin never.
    expect(order.limiterFirst()).toBe(true);
    expect((await simStats()).requests).toBe(before);
    vi.restoreAllMocks();
    const after = await eventually(
      () => limiter(p.id).peek(limits),
      (s) => s.remainingRequests === full.remainingRequests,
      50,
      20,
    );
    expect(after.remainingRequests).toBe(full.remainingRequests);
  });

  it("tells a refused key so before what it asked is judged", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    const restoreStale = await kvLagsBehind(k.value);
    expect((await project(p.id).deleteKey({ id: k.id, actor: elsewhere })).ok).toBe(true);
    await restoreStale();
    resetKeyCache();
    await expectError(await chat(k.value, { model: "no-such-model" }), 401, "invalid_api_key");
    resetKeyCache();
    await expectError(await chat(k.value, { max_tokens: -1 }), 401, "invalid_api_key");
  });

  it("serves a key whose record changed on the object's reading: its scopes", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id, { scopes: ["inference", "usage"] });
    const restoreStale = await kvLagsBehind(k.value);
    await project(p.id).updateKey({ id: k.id, patch: { scopes: ["usage"] }, actor: elsewhere });
    await restoreStale();
    resetKeyCache();
    const before = (await simStats()).requests;
    await expectError(await chat(k.value), 403, "insufficient_scope");
    expect((await simStats()).requests).toBe(before);
  });

  it("serves a key whose record changed on the object's reading: its project's limits", async () => {
    const p = await createProject();
    const k = await createApiKey(p.id);
    const restoreStale = await kvLagsBehind(k.value);
    await project(p.id).updateProject({ patch: { limits: { "test-chat": { rpm: 7, tpm: 70_000 } } }, actor: elsewhere });
    await restoreStale();
    resetKeyCache();
    const res = await chat(k.value);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("7");
    await res.text();
  });
});
