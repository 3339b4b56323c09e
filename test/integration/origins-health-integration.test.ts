import { beforeEach, describe, expect, it } from "vitest";
import { parseHealthDoc } from "../../src/origins/health-doc.ts";
import { HEALTH_KEY } from "../../src/storage/kv-keys.ts";
import { breakerState, healthDocLoading, resetOriginHealth } from "../../src/origins/health-state.ts";
import { call, expectError, runCron, seedCatalog, seedKey, testEnv } from "./helpers.ts";
import { chatModel, originFor, sim } from "./origin-sims.ts";
import { chatBody } from "../support/chat-body.ts";
import { sleep } from "../support/eventually.ts";

// hc-a is the origin whose health changes; hc-b is the backup.
/** BREAKER_COOLDOWN_MS of the integration bindings (vitest.config.ts): waited out on purpose. */
const COOL_DOWN_MS = 400;
beforeEach(async () => {
  resetOriginHealth();
  await Promise.all([sim.reset("hc-a"), sim.reset("hc-b")]);
});

let n = 0;
async function seed(): Promise<{ model: string; a: string; b: string }> {
  const model = `hc-model-${++n}`;
  const a = originFor("hc-a", { region: "eu-central", priority: 0 });
  const b = originFor("hc-b", { region: "us-east", priority: 1 });
  await seedCatalog({ version: 1, models: [chatModel(model, [a, b])] });
  return { model, a: a.id, b: b.id };
}

async function chat(model: string): Promise<Response> {
  const { key } = await seedKey();
  return call("/v1/chat/completions", { method: "POST", key, json: chatBody({ model, max_tokens: 2 }) });
}

async function region(model: string): Promise<string | null> {
  const res = await chat(model);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return res.headers.get("x-origin-region");
}

describe("passive health: the breaker", () => {
  it("opens after three failures, skips the origin, then probes and closes", async () => {
    await sim.config("hc-a", { fail: "status", status: 500 });
    const { model, a } = await seed();
    for (let i = 0; i < 3; i++) expect(await region(model)).toBe("us-east");
    expect((await sim.stats("hc-a")).requests).toBe(3);
    expect(breakerState(a).kind).toBe("open");

    // Open: skipped, not tried.
    expect(await region(model)).toBe("us-east");
    expect((await sim.stats("hc-a")).requests).toBe(3);

    await sim.reset("hc-a");
    await sleep(COOL_DOWN_MS + 50);
    expect(await region(model)).toBe("eu-central");
    expect(breakerState(a).kind).toBe("closed");
    expect(await region(model)).toBe("eu-central");
  });

  it("streams the origin breaks after the first byte count against it too", async () => {
    await sim.config("hc-a", { fail: "cut", cutAfter: 1 });
    const { model, a } = await seed();
    const { key } = await seedKey();
    for (let i = 0; i < 3; i++) {
      const res = await call("/v1/chat/completions", { method: "POST", key, json: chatBody({ model, max_tokens: 5, stream: true }) });
      expect(res.headers.get("x-origin-region")).toBe("eu-central");
      expect(await res.text()).toContain("origin_stream_error");
    }
    expect(breakerState(a).kind).toBe("open");
    expect(await region(model)).toBe("us-east");
  });

  it("a client that leaves mid-stream does not count against the origin", async () => {
    await sim.config("hc-a", { itlMs: 20 });
    const { model, a } = await seed();
    const { key } = await seedKey();
    for (let i = 0; i < 3; i++) {
      const res = await call("/v1/chat/completions", { method: "POST", key, json: chatBody({ model, max_tokens: 100, stream: true }) });
      const reader = res.body!.getReader();
      await reader.read();
      await reader.cancel();
    }
    expect(breakerState(a)).toEqual({ kind: "closed", failures: 0 });
  });

  it("a failed probe reopens the breaker", async () => {
    await sim.config("hc-a", { fail: "status", status: 429 });
    const { model, a } = await seed();
    for (let i = 0; i < 3; i++) await region(model);
    await sleep(COOL_DOWN_MS + 50);
    expect(await region(model)).toBe("us-east");
    expect((await sim.stats("hc-a")).requests).toBe(4);
    expect(breakerState(a).kind).toBe("open");
  });

  it("answers 503 with Retry-After at once when every origin is down, without trying them", async () => {
    await Promise.all([sim.config("hc-a", { fail: "status", status: 500 }), sim.config("hc-b", { fail: "status", status: 500 })]);
    const { model } = await seed();
    for (let i = 0; i < 3; i++) await expectError(await chat(model), 502, "origin_error");
    const before = (await sim.stats("hc-a")).requests + (await sim.stats("hc-b")).requests;
    expect(before).toBe(6);
    const res = await chat(model);
    expect(res.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    await expectError(res, 503, "no_healthy_origin");
    expect((await sim.stats("hc-a")).requests + (await sim.stats("hc-b")).requests).toBe(before);
  });
});

describe("active health: the cron probe", () => {
  it("marks an origin down and up again, and the router follows", async () => {
    const { model, a, b } = await seed();
    await sim.setHealthy("hc-a", false);
    await runCron();

    const doc = parseHealthDoc(await testEnv.KV.get(HEALTH_KEY, "json"));
    expect(doc?.origins[a]).toMatchObject({ up: false, status: 503 });
    expect(doc?.origins[b]).toMatchObject({ up: true, status: 200 });
    expect(JSON.stringify(doc)).not.toContain("127.0.0.1");

    expect(await region(model)).toBe("us-east");
    expect((await sim.stats("hc-a")).requests).toBe(0);

    await sim.setHealthy("hc-a", true);
    await runCron();
    expect(await region(model)).toBe("eu-central");
  });

  it("when the probes fail for every origin, traffic still decides (a broken health check must not take the model down)", async () => {
    const { model } = await seed();
    await Promise.all([sim.setHealthy("hc-a", false), sim.setHealthy("hc-b", false)]);
    await runCron();
    expect(await region(model)).toBe("eu-central");
  });

  it("other isolates pick the result up from KV, off the request path", async () => {
    const { model } = await seed();
    await sim.setHealthy("hc-a", false);
    await runCron();
    // A fresh isolate: knows nothing yet, so its first request does not wait for KV.
    resetOriginHealth();
    expect(await region(model)).toBe("eu-central");
    await healthDocLoading();
    expect(await region(model)).toBe("us-east");
  });

  it("an origin that refuses connections is marked down", async () => {
    const model = `hc-model-${++n}`;
    const dead = originFor("closed", { region: "nowhere" });
    await seedCatalog({ version: 1, models: [chatModel(model, [dead, originFor("hc-b", { region: "us-east", priority: 1 })])] });
    await runCron();
    const doc = parseHealthDoc(await testEnv.KV.get(HEALTH_KEY, "json"));
    expect(doc?.origins[dead.id]).toMatchObject({ up: false, status: null });
  });
});
