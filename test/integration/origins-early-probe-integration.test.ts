import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { router as app } from "../../src/app.ts";
import type { OriginSpec } from "../../src/catalog/types.ts";
import { breakerState } from "../../src/origins/health-state.ts";
import { expectError, model, SIM, seedCatalog, seedKey } from "./helpers.ts";

// Right after an outage: both origins' breakers are open, one origin has recovered. A
// cool-down far longer than the test, so only the early probe can serve these requests.
const outageEnv = { ...env, BREAKER_FAILURES: "1", BREAKER_COOLDOWN_MS: "30000" } as unknown as Env;

// No resetOriginHealth(): each test's origins have ids of their own, and a reset would
// also clear the breakers of another file's test running beside this one.

let n = 0;
async function twoOrigins(): Promise<{ model: string; survivor: OriginSpec; killed: OriginSpec }> {
  n++;
  // The survivor is tried first, so its breaker opens first and its cool-down ends first.
  const survivor: OriginSpec = { id: `ep-survivor-${n}`, url: `${SIM()}/v1`, region: "eu-central", credential: "SIM_ORIGIN_TOKEN", priority: 0 };
  // Killed: it fails whenever asked; after the outage nothing may reach it (its breaker stays open).
  const killed: OriginSpec = { id: `ep-killed-${n}`, url: `${SIM()}/v1`, region: "eu-west", credential: "SIM_ORIGIN_TOKEN", priority: 1 };
  const id = `ep-model-${n}`;
  await seedCatalog({ version: 1, models: [model(id, { origins: [survivor, killed] })] });
  return { model: id, survivor, killed };
}

async function chat(modelId: string, sim?: Record<string, unknown>): Promise<Response> {
  const { key } = await seedKey();
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request("https://router.test/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: modelId, messages: [{ role: "user", content: "hi" }], max_tokens: 4, ...(sim ? { sim } : {}) }),
    }),
    outageEnv,
    ctx,
  );
  // Read whole before the context's background work is awaited, then handed back unread.
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return new Response(body, res);
}

describe("when every origin's breaker is open", () => {
  it("probes the one whose cool-down ends first instead of answering 503, and it serves again", async () => {
    const { model: m, survivor, killed } = await twoOrigins();
    // The outage: both answer 500. Both open.
    await expectError(await chat(m, { fail: "status", status: 500 }), 502, "origin_error");
    expect(breakerState(survivor.id).kind).toBe("open");
    expect(breakerState(killed.id).kind).toBe("open");

    // The survivor is back; its cool-down has half a minute to run.
    const res = await chat(m);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin-region")).toBe("eu-central");
    expect(breakerState(survivor.id).kind).toBe("closed");
    expect(breakerState(killed.id).kind).toBe("open");
    expect((await chat(m)).status).toBe(200);
  });

  it("answers the probe's own failure when the probed origin is still down, and keeps it open", async () => {
    const { model: m, survivor, killed } = await twoOrigins();
    await expectError(await chat(m, { fail: "status", status: 500 }), 502, "origin_error");
    const opened = breakerState(survivor.id);
    // Still failing: one early probe, which fails; the breaker opens again from now.
    await expectError(await chat(m, { fail: "status", status: 500 }), 502, "origin_error");
    const again = breakerState(survivor.id);
    expect(again.kind).toBe("open");
    expect(opened.kind === "open" && again.kind === "open" && again.until > opened.until).toBe(true);
    expect(breakerState(killed.id).kind).toBe("open");
  });

  it("in a total outage probes each origin early once, then answers 503 with Retry-After at once, trying none", async () => {
    const { model: m, survivor, killed } = await twoOrigins();
    const down = { fail: "status", status: 500 };
    await expectError(await chat(m, down), 502, "origin_error");
    // One early probe each, soonest first; each fails and reopens its breaker.
    await expectError(await chat(m, down), 502, "origin_error");
    expect(breakerState(survivor.id)).toMatchObject({ kind: "open", earlyAt: expect.any(Number) });
    expect(breakerState(killed.id)).not.toHaveProperty("earlyAt");
    await expectError(await chat(m, down), 502, "origin_error");
    expect(breakerState(killed.id)).toMatchObject({ kind: "open", earlyAt: expect.any(Number) });
    const before = [breakerState(survivor.id), breakerState(killed.id)];
    const res = await chat(m, down);
    expect(res.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    await expectError(res, 503, "no_healthy_origin");
    // Neither was tried: a try would have moved its breaker.
    expect([breakerState(survivor.id), breakerState(killed.id)]).toEqual(before);
  });
});
