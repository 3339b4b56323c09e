import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { breakerState, resetOriginHealth } from "../../src/origins/health-state.ts";
import { call, seedCatalog, seedKey } from "./helpers.ts";
import { chatModel, eventually, originFor, sim } from "./origin-sims.ts";
import { chatBody } from "../support/chat-body.ts";

// A client that goes away must free the GPU at once, whatever the request was waiting for.
beforeEach(async () => {
  resetOriginHealth();
  await Promise.all([sim.reset("cx-a"), sim.reset("cx-b")]);
});

let n = 0;
async function seed(...origins: ReturnType<typeof originFor>[]): Promise<string> {
  const id = `cx-model-${++n}`;
  // Timeouts far beyond the test's patience: only the disconnect can end these requests early.
  await seedCatalog({ version: 1, models: [chatModel(id, origins, { timeouts: { first_byte_ms: 30_000, idle_ms: 30_000 } })] });
  return id;
}

type Via = "workerd" | "handler";
let via: Via = "workerd";

/**
 * Through workerd, a disconnect also cancels the whole invocation; calling the handler
 * directly leaves only request.signal, so the router's own wiring is what gets tested.
 */
async function start(model: string, signal: AbortSignal, extra: Record<string, unknown> = {}): Promise<Response | Error> {
  const { key } = await seedKey();
  const json = chatBody({ model, max_tokens: 200, stream: true, ...extra });
  const res =
    via === "workerd"
      ? call("/v1/chat/completions", { method: "POST", key, json, signal })
      : worker.fetch(
          new Request("https://router.test/v1/chat/completions", {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: JSON.stringify(json),
            signal,
          }),
          env as Env,
          createExecutionContext(),
        );
  return res.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
}

const inFlight = (role: string) => eventually(() => sim.stats(role), (s) => s.inFlight === 1);
const cancelled = (role: string) => eventually(() => sim.stats(role), (s) => s.cancelled === 1 && s.inFlight === 0);

describe.each<Via>(["workerd", "handler"])("a client disconnect reaches the origin (via %s)", (v) => {
  beforeEach(() => {
    via = v;
  });

  it("while the origin has not sent its first byte yet", async () => {
    await sim.config("cx-a", { ttftMs: 10_000 });
    const model = await seed(originFor("cx-a"));
    const client = new AbortController();
    const pending = start(model, client.signal);
    expect((await inFlight("cx-a")).inFlight).toBe(1);
    client.abort();
    await pending;
    const stats = await cancelled("cx-a");
    expect(stats).toMatchObject({ cancelled: 1, inFlight: 0, completed: 0 });
  });

  it("during failover, at the origin being tried", async () => {
    await Promise.all([sim.config("cx-a", { fail: "status", status: 500 }), sim.config("cx-b", { ttftMs: 10_000 })]);
    const model = await seed(originFor("cx-a", { priority: 0 }), originFor("cx-b", { priority: 1 }));
    const client = new AbortController();
    const pending = start(model, client.signal);
    // cx-a fails at once; then cx-b holds the request.
    expect((await inFlight("cx-b")).inFlight).toBe(1);
    client.abort();
    await pending;
    expect(await cancelled("cx-b")).toMatchObject({ cancelled: 1, inFlight: 0, completed: 0 });
    expect((await sim.stats("cx-a")).inFlight).toBe(0);
  });

  it("and stops the failover: no further origin is tried for a client that left", async () => {
    await sim.config("cx-a", { ttftMs: 10_000 });
    const model = await seed(originFor("cx-a", { priority: 0 }), originFor("cx-b", { priority: 1 }));
    const client = new AbortController();
    const pending = start(model, client.signal);
    expect((await inFlight("cx-a")).inFlight).toBe(1);
    client.abort();
    await pending;
    expect(await cancelled("cx-a")).toMatchObject({ cancelled: 1, inFlight: 0 });
    expect((await sim.stats("cx-b")).requests).toBe(0);
  });

  it("while a declared-length answer is read whole, and tries no other origin", async () => {
    // Headers and half of a body whose length is declared: the attempt reads it in one piece.
    await sim.config("cx-a", { fail: "stall_declared", ttftMs: 0 });
    const a = originFor("cx-a", { priority: 0 });
    const model = await seed(a, originFor("cx-b", { priority: 1 }));
    const client = new AbortController();
    const pending = start(model, client.signal, { stream: false });
    expect((await inFlight("cx-a")).inFlight).toBe(1);
    // The half body went out with the headers; give the attempt time to be inside its read.
    await new Promise((r) => setTimeout(r, 200));
    client.abort();
    await pending;
    expect(await cancelled("cx-a")).toMatchObject({ cancelled: 1, inFlight: 0, completed: 0 });
    // A read the client's leaving broke is not the origin failing: no failure counted
    // against its breaker, and nothing to fail over for.
    expect(breakerState(a.id)).toEqual({ kind: "closed", failures: 0 });
    expect((await sim.stats("cx-b")).requests).toBe(0);
  });

  it("mid-stream, after a failover", async () => {
    await Promise.all([sim.config("cx-a", { fail: "status", status: 503 }), sim.config("cx-b", { itlMs: 20 })]);
    const model = await seed(originFor("cx-a", { priority: 0 }), originFor("cx-b", { priority: 1 }));
    const res = await start(model, new AbortController().signal);
    if (res instanceof Error) throw res;
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    expect(await cancelled("cx-b")).toMatchObject({ cancelled: 1, inFlight: 0, completed: 0 });
  });
});
