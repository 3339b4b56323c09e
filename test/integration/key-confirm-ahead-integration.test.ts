// A key in use is confirmed with its project's object again before its trust window ends,
// beside the request (the inference path hands its waitUntil), so an active key never
// waits for the object on the hot path; the revocation bound (KEY_TRUST_MS) stays as it is.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/auth/api-key.ts";
import { authenticate, KEY_REFRESH_AHEAD_MS, KEY_TRUST_MS, resetKeyCache } from "../../src/auth/authenticate.ts";
import { keyIndexKey } from "../../src/storage/kv-keys.ts";
import { createApiKey, createProject, seedCatalog, testEnv } from "./helpers.ts";

beforeAll(() => seedCatalog());
afterEach(() => vi.restoreAllMocks());

/** An authenticate call as the inference route makes it; `kept` gathers what it hands to waitUntil. */
function authAhead(key: string, now: number, kept: Promise<unknown>[]) {
  return authenticate(new Request("https://x/", { headers: { authorization: `Bearer ${key}` } }), env, now, { waitUntil: (p) => void kept.push(p) });
}
const project = (id: string) => testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(id));
const elsewhere = { type: "admin" } as const;

describe(`a key in use is confirmed ahead, in the last ${KEY_REFRESH_AHEAD_MS} ms of its window`, () => {
  it("asks the object before the window ends, so the request after the end does not ask", async () => {
    const p = await createProject({ name: "confirm-ahead-hit" });
    const k = await createApiKey(p.id);
    const get = vi.spyOn(testEnv.PROJECTS, "get");
    resetKeyCache();
    const kept: Promise<unknown>[] = [];
    const t0 = Date.now();
    await expect(authAhead(k.value, t0, kept)).resolves.toMatchObject({ key_id: k.id });
    await expect(authAhead(k.value, t0 + KEY_TRUST_MS - KEY_REFRESH_AHEAD_MS - 1, kept)).resolves.toMatchObject({ key_id: k.id });
    expect(get).toHaveBeenCalledTimes(1);
    // Near the end: answered from the cache, with the confirmation handed to waitUntil.
    await expect(authAhead(k.value, t0 + KEY_TRUST_MS - KEY_REFRESH_AHEAD_MS, kept)).resolves.toMatchObject({ key_id: k.id });
    expect(kept).toHaveLength(1);
    await Promise.all(kept);
    expect(get).toHaveBeenCalledTimes(2);
    await expect(authAhead(k.value, t0 + KEY_TRUST_MS + 1, kept)).resolves.toMatchObject({ key_id: k.id });
    expect(get).toHaveBeenCalledTimes(2);
  });

  it("still refuses a key revoked meanwhile from the end of the window, even with the answer still out", async () => {
    const p = await createProject({ name: "confirm-ahead-revoked" });
    const k = await createApiKey(p.id);
    const indexKey = keyIndexKey(await hashKey(k.value));
    const stale = await testEnv.KV.get(indexKey);
    resetKeyCache();
    const kept: Promise<unknown>[] = [];
    const t0 = Date.now();
    await expect(authAhead(k.value, t0, kept)).resolves.toMatchObject({ key_id: k.id });
    expect((await project(p.id).deleteKey({ id: k.id, actor: elsewhere })).ok).toBe(true);
    // Another location's KV still has the key: only the object's word refuses it.
    await testEnv.KV.put(indexKey, stale!);
    await expect(authAhead(k.value, t0 + KEY_TRUST_MS - 10, kept)).resolves.toMatchObject({ key_id: k.id });
    expect(kept).toHaveLength(1);
    // Not awaited: the window's end comes before the ahead answer has landed.
    await expect(authAhead(k.value, t0 + KEY_TRUST_MS, kept)).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    await Promise.all(kept);
    await expect(authAhead(k.value, t0 + KEY_TRUST_MS + 1, kept)).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  it("keeps serving the trusted answer when the ahead confirmation fails, and asks again at the end", async () => {
    const p = await createProject({ name: "confirm-ahead-fails" });
    const k = await createApiKey(p.id);
    resetKeyCache();
    const kept: Promise<unknown>[] = [];
    const t0 = Date.now();
    await expect(authAhead(k.value, t0, kept)).resolves.toMatchObject({ key_id: k.id });
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const get = vi.spyOn(testEnv.PROJECTS, "get").mockImplementationOnce(() => ({ confirmKey: () => Promise.reject(new Error("object unreachable")) }) as never);
    await expect(authAhead(k.value, t0 + KEY_TRUST_MS - 10, kept)).resolves.toMatchObject({ key_id: k.id });
    await Promise.all(kept);
    expect(log).toHaveBeenCalledWith(expect.stringContaining("key_confirm_failed"));
    await expect(authAhead(k.value, t0 + KEY_TRUST_MS - 5, kept)).resolves.toMatchObject({ key_id: k.id });
    await Promise.all(kept);
    expect(get).toHaveBeenCalledTimes(2);
    await expect(authAhead(k.value, t0 + KEY_TRUST_MS + 1, kept)).resolves.toMatchObject({ key_id: k.id });
  });
});
