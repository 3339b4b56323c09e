// Hostile input: thousands of generated requests, every one refused with a 4xx in OpenAI's
// shape (never a 500, never a hang), while valid traffic keeps being served alongside.

import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { call, seedCatalog, seedKey } from "./helpers.ts";
import { generateHostileCases, validBody, type HostileCase } from "./hostile-input.ts";

const SEED = 20261122;
const MAX_BODY_BYTES = 4_194_304; // wrangler.toml [vars]
const CONCURRENCY = 16;
// A hang detector, not a speed target: generous enough for a loaded 2-core machine.
const HANG_MS = 30_000;

let logs: MockInstance<(...args: unknown[]) => void>;
beforeAll(async () => {
  await seedCatalog();
  logs = vi.spyOn(console, "log");
});
afterAll(() => logs.mockRestore());

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung for ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

/** null when the answer is a proper refusal, otherwise what is wrong with it. */
async function judge(c: HostileCase, res: Response): Promise<string | null> {
  const text = await res.text();
  if (res.status < 400 || res.status > 499) return `status ${res.status}: ${text.slice(0, 200)}`;
  if (c.status !== undefined && res.status !== c.status) return `status ${res.status}, expected ${c.status}: ${text.slice(0, 200)}`;
  if (!(res.headers.get("content-type") ?? "").startsWith("application/json")) return `content-type ${res.headers.get("content-type")}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `body is not JSON: ${text.slice(0, 200)}`;
  }
  const e = (body as { error?: Record<string, unknown> }).error;
  if (typeof e !== "object" || e === null) return `no error object: ${text.slice(0, 200)}`;
  if (typeof e.message !== "string" || typeof e.type !== "string" || !("param" in e) || !("code" in e)) return `not OpenAI's error shape: ${text.slice(0, 200)}`;
  return null;
}

function send(c: HostileCase): Promise<Response> {
  const body = typeof c.body === "function" ? c.body() : c.body;
  return call(c.path, { method: c.method, headers: c.headers, ...(body === undefined ? {} : { body }) });
}

describe("generated hostile input", () => {
  it("refuses every case with a 4xx in OpenAI's shape and keeps serving valid requests", { timeout: 120_000 }, async () => {
    const { key } = await seedKey();
    const cases = generateHostileCases(SEED, key, MAX_BODY_BYTES);
    expect(cases.length).toBeGreaterThan(2500);

    const failures: string[] = [];
    let validServed = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i]!;
        try {
          const problem = await within(send(c).then((res) => judge(c, res)), HANG_MS, c.name);
          if (problem !== null) failures.push(`[seed ${SEED} case ${i}] ${c.name}: ${problem}`);
        } catch (err) {
          failures.push(`[seed ${SEED} case ${i}] ${c.name}: ${String(err)}`);
        }
        if (i % 50 === 0) {
          // Valid traffic in the middle of the storm must be served as usual.
          const ep = (["chat", "completion", "embedding"] as const)[(i / 50) % 3]!;
          const path = ep === "chat" ? "/v1/chat/completions" : ep === "completion" ? "/v1/completions" : "/v1/embeddings";
          const res = await within(call(path, { method: "POST", key, json: validBody(ep) }), HANG_MS, "valid request");
          const text = await res.text();
          if (res.status === 200) validServed++;
          else failures.push(`[seed ${SEED} case ${i}] valid request during the run got ${res.status}: ${text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(failures.slice(0, 20)).toEqual([]);
    expect(validServed).toBe(Math.ceil(cases.length / 50));
    const unhandled = logs.mock.calls.map((args) => String(args[0])).filter((line) => line.includes('"event":"unhandled"'));
    expect(unhandled).toEqual([]);
  });

  it("starts from bodies that are served, so each refusal above is about its defect", async () => {
    const { key } = await seedKey();
    for (const ep of ["chat", "completion", "embedding"] as const) {
      const path = ep === "chat" ? "/v1/chat/completions" : ep === "completion" ? "/v1/completions" : "/v1/embeddings";
      const res = await call(path, { method: "POST", key, json: validBody(ep) });
      expect(res.status, await res.text()).toBe(200);
    }
  });
});
