import { beforeEach, describe, expect, it } from "vitest";
import { parseSseEvents } from "../../sim/origin.ts";
import type { ModelEntry } from "../../src/catalog/types.ts";
import { resetOriginHealth } from "../../src/origins/health-state.ts";
import { call, expectError, seedCatalog, seedKey } from "./helpers.ts";
import { chatModel, originFor, sim, simUrl } from "./origin-sims.ts";
import { chatBody } from "../support/chat-body.ts";

// fo-a is the origin that misbehaves; fo-b is the healthy one the retry should reach.
beforeEach(async () => {
  resetOriginHealth();
  await Promise.all([sim.reset("fo-a"), sim.reset("fo-b")]);
});

let n = 0;
/** A model whose first choice is fo-a (priority 0) and whose backup is fo-b (priority 1). */
async function primaryAndBackup(over: Partial<ModelEntry> = {}, primaryRole = "fo-a"): Promise<string> {
  const id = `fo-model-${++n}`;
  await seedCatalog({
    version: 1,
    models: [chatModel(id, [originFor(primaryRole, { region: "eu-central", priority: 0 }), originFor("fo-b", { region: "eu-west", priority: 1 })], over)],
  });
  return id;
}

async function chat(model: string, extra: Record<string, unknown> = {}): Promise<Response> {
  const { key } = await seedKey();
  return call("/v1/chat/completions", { method: "POST", key, json: chatBody({ model, max_tokens: 4, ...extra }) });
}

describe("failover before the first byte", () => {
  it("moves on from an origin refusing connections", async () => {
    const model = await primaryAndBackup({}, "closed");
    const res = await chat(model);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin-region")).toBe("eu-west");
    expect((await sim.stats("fo-b")).completed).toBe(1);
  });

  for (const status of [500, 429, 503]) {
    it(`moves on from an origin answering ${status}`, async () => {
      await sim.config("fo-a", { fail: "status", status });
      const model = await primaryAndBackup();
      const res = await chat(model);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-origin-region")).toBe("eu-west");
      expect((await res.json()) as unknown).toMatchObject({ object: "chat.completion" });
      expect((await sim.stats("fo-a")).requests).toBe(1);
      expect((await sim.stats("fo-b")).completed).toBe(1);
    });
  }

  it("moves on from an origin stalling before its first byte, and cancels it there", async () => {
    await sim.config("fo-a", { fail: "stall" });
    const model = await primaryAndBackup({ timeouts: { first_byte_ms: 300, idle_ms: 1000 } });
    const res = await chat(model, { stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin-region")).toBe("eu-west");
    expect((await res.text()).trimEnd().endsWith("data: [DONE]")).toBe(true);
    const a = await sim.stats("fo-a");
    expect(a.requests).toBe(1);
    expect(a.inFlight).toBe(0);
  });

  it("answers 504 when the only origin never sends a first byte", async () => {
    await sim.config("fo-a", { fail: "stall" });
    const id = `fo-model-${++n}`;
    await seedCatalog({ version: 1, models: [chatModel(id, [originFor("fo-a")], { timeouts: { first_byte_ms: 300 } })] });
    await expectError(await chat(id), 504, "origin_timeout");
  });

  it("stops when the time budget is spent, even with origins left to try", async () => {
    await sim.config("fo-a", { fail: "stall" });
    const id = `fo-model-${++n}`;
    // Three stalling origins, 300 ms each, 500 ms in all: the third is never tried.
    const origins = [originFor("fo-a", { priority: 0 }), originFor("fo-a", { priority: 1 }), originFor("fo-a", { priority: 2 })];
    await seedCatalog({ version: 1, models: [chatModel(id, origins, { timeouts: { first_byte_ms: 300 }, failover: { budget_ms: 500 } })] });
    await expectError(await chat(id), 504, "origin_timeout");
    expect((await sim.stats("fo-a")).requests).toBe(2);
  });

  it("does not retry the client's own mistake", async () => {
    await sim.config("fo-a", { fail: "status", status: 400 });
    const model = await primaryAndBackup();
    await expectError(await chat(model), 400);
    expect((await sim.stats("fo-b")).requests).toBe(0);
  });

  it("stops after max_attempts", async () => {
    await Promise.all([sim.config("fo-a", { fail: "status", status: 500 }), sim.config("fo-b", { fail: "status", status: 500 })]);
    const id = `fo-model-${++n}`;
    const origins = [originFor("fo-a", { priority: 0 }), originFor("fo-b", { priority: 1 }), originFor("fo-b", { priority: 2 })];
    await seedCatalog({ version: 1, models: [chatModel(id, origins, { failover: { max_attempts: 2 } })] });
    const err = await expectError(await chat(id), 502, "origin_error");
    expect(err.message).not.toContain("127.0.0.1");
    expect((await sim.stats("fo-a")).requests + (await sim.stats("fo-b")).requests).toBe(2);
  });
});

describe("a JSON answer is read whole before anything is sent: a body that breaks off is retried", () => {
  it("moves on from an origin that cuts a JSON answer of declared length half-way", async () => {
    await sim.config("fo-a", { fail: "cut_declared" });
    const model = await primaryAndBackup();
    const res = await chat(model);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin-region")).toBe("eu-west");
    expect((await res.json()) as unknown).toMatchObject({ object: "chat.completion" });
    expect((await sim.stats("fo-b")).completed).toBe(1);
  });

  it("moves on from an origin whose JSON answer of declared length stalls half-way, and cancels it there", async () => {
    await sim.config("fo-a", { fail: "stall_declared" });
    const model = await primaryAndBackup({ timeouts: { first_byte_ms: 300, idle_ms: 1000 } });
    const res = await chat(model);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin-region")).toBe("eu-west");
    expect((await res.json()) as unknown).toMatchObject({ object: "chat.completion" });
    const a = await sim.stats("fo-a");
    expect(a.requests).toBe(1);
    expect(a.inFlight).toBe(0);
  });

  it("answers 502 when the only origin cuts its JSON answer half-way", async () => {
    await sim.config("fo-a", { fail: "cut_declared" });
    const id = `fo-model-${++n}`;
    await seedCatalog({ version: 1, models: [chatModel(id, [originFor("fo-a")])] });
    const err = await expectError(await chat(id), 502, "origin_error");
    expect(err.message).toBe("The model origin broke off its answer.");
  });
});

describe("after the first byte: no retry", () => {
  it("ends a stream the origin cuts with an explicit error event", async () => {
    await sim.config("fo-a", { fail: "cut", cutAfter: 2 });
    const model = await primaryAndBackup();
    const res = await chat(model, { stream: true, max_tokens: 10 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin-region")).toBe("eu-central");
    const events = parseSseEvents(await res.text()) as Array<{ error?: { code: string }; choices?: unknown[] }>;
    expect(events.filter((e) => e.choices !== undefined).length).toBeGreaterThan(0);
    expect(events.at(-1)?.error?.code).toBe("origin_stream_error");
    expect((await sim.stats("fo-b")).requests).toBe(0);
  });

  it("ends a stream that goes quiet between chunks with a timeout event, and cancels the origin", async () => {
    await sim.config("fo-a", { itlMs: 5000 });
    const model = await primaryAndBackup({ timeouts: { first_byte_ms: 2000, idle_ms: 200 } });
    const res = await chat(model, { stream: true, max_tokens: 10 });
    expect(res.status).toBe(200);
    const events = parseSseEvents(await res.text()) as Array<{ error?: { code: string } }>;
    expect(events.at(-1)?.error?.code).toBe("origin_timeout");
    expect((await sim.stats("fo-b")).requests).toBe(0);
  });
});

describe("choosing by region", () => {
  it("serves a caller from the origin on its continent, by request.cf", async () => {
    const id = `fo-model-${++n}`;
    const origins = [
      originFor("fo-a", { region: "eu-central", continent: "EU", lat: 50.1, lon: 8.7 }),
      originFor("fo-b", { region: "us-east", continent: "NA", lat: 38.9, lon: -77.4 }),
    ];
    await seedCatalog({ version: 1, models: [chatModel(id, origins)] });
    const { key } = await seedKey();
    const ask = (cf: Record<string, string>) =>
      call("/v1/chat/completions", { method: "POST", key, json: chatBody({ model: id }), cf } as RequestInit & { key: string; json: unknown });
    for (let i = 0; i < 3; i++) {
      expect((await ask({ continent: "NA", latitude: "40.7", longitude: "-74.0" })).headers.get("x-origin-region")).toBe("us-east");
      expect((await ask({ continent: "EU", latitude: "48.1", longitude: "11.6" })).headers.get("x-origin-region")).toBe("eu-central");
    }
  });

  it("never reveals an origin URL in an answer", async () => {
    const model = await primaryAndBackup({}, "closed");
    const res = await chat(model);
    expect(JSON.stringify([...res.headers])).not.toContain(simUrl("fo-b"));
  });
});
