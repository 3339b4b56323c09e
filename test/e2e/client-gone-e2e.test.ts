// A client that gives up under `npm start` cancels the origin and is billed as in
// production: the prompt estimate and no completion before the first byte.

import OpenAI from "openai";
import { describe, expect, inject, it } from "vitest";
import { chatPromptTokens } from "../../sim/origin.ts";

const router = () => inject("routerUrl");
const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${router()}${path}`, { ...init, headers: { authorization: `Bearer ${inject("adminToken")}`, "content-type": "application/json", ...init.headers } });

interface SimStats { requests: number; cancelled: number; completed: number; inFlight: number }
const statsOf = async (url: string): Promise<SimStats> => (await fetch(`${url}/_sim/stats`)).json() as Promise<SimStats>;
/** Both simulated origins of npm start's dev catalog together: either may serve a request. */
async function simStats(): Promise<SimStats> {
  const [a, b] = await Promise.all([statsOf(inject("simUrl")), statsOf(inject("sim2Url"))]);
  return { requests: a.requests + b.requests, cancelled: a.cancelled + b.cancelled, completed: a.completed + b.completed, inFlight: a.inFlight + b.inFlight };
}

/** Polls until `ok` holds (the router settles after the client has left); the last value otherwise. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, tries = 100): Promise<T> {
  let v = await read();
  for (let i = 0; i < tries && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  return v;
}

/** A fresh project and key, so its usage is this test's alone. */
async function freshKey(name: string): Promise<{ project: string; key: string }> {
  const project = (await (await admin("/v1/organization/projects", { method: "POST", body: JSON.stringify({ name }) })).json()) as { id: string };
  const key = (await (await admin(`/v1/organization/projects/${project.id}/api_keys`, { method: "POST", body: JSON.stringify({ name: "k" }) })).json()) as { value: string };
  return { project: project.id, key: key.value };
}

async function booked(project: string): Promise<{ input: number; output: number; requests: number }> {
  const start = Math.floor(Date.now() / 86_400_000) * 86_400;
  const page = (await (await admin(`/v1/organization/usage/completions?project_id=${project}&start_time=${start}`)).json()) as {
    data: Array<{ results: Array<{ input_tokens: number; output_tokens: number; num_model_requests: number }> }>;
  };
  const results = page.data.flatMap((b) => b.results);
  const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((n, r) => n + f(r), 0);
  return { input: sum((r) => r.input_tokens), output: sum((r) => r.output_tokens), requests: sum((r) => r.num_model_requests) };
}

const MESSAGES = [{ role: "user" as const, content: "a question the client will not wait for" }];

describe("a client that leaves under npm start", () => {
  it.each([true, false])("before the first byte (stream: %s) cancels the origin and is billed the prompt only", async (stream) => {
    const { project, key } = await freshKey(`client-gone before ${stream}`);
    const client = new OpenAI({ apiKey: key, baseURL: `${router()}/v1`, maxRetries: 0 });
    const before = await simStats();
    const gone = new AbortController();
    const pending = client.chat.completions.create(
      // The simulated origin holds its first byte for 3 s.
      { model: "llama-3.1-8b-instruct", messages: MESSAGES, max_tokens: 16, stream, ...({ sim: { ttftMs: 3000 } } as object) },
      { signal: gone.signal },
    );
    // The client gives up once the origin is working on it (a few hundred ms in), long before its first byte.
    const working = await eventually(simStats, (s) => s.inFlight > before.inFlight);
    expect(working.inFlight - before.inFlight).toBe(1);
    gone.abort();
    await expect(pending).rejects.toThrow();
    const after = await eventually(simStats, (s) => s.cancelled > before.cancelled && s.inFlight === before.inFlight);
    expect(after.cancelled - before.cancelled).toBe(1);
    expect(after.completed - before.completed).toBe(0);
    const usage = await eventually(() => booked(project), (u) => u.requests > 0);
    expect(usage).toEqual({ input: chatPromptTokens(MESSAGES), output: 0, requests: 1 });
    // Long after the origin would have answered, it still counts no completion.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await simStats()).completed - before.completed).toBe(0);
  });

  it("mid-stream cancels the origin", async () => {
    const { key } = await freshKey("client-gone mid-stream");
    const client = new OpenAI({ apiKey: key, baseURL: `${router()}/v1`, maxRetries: 0 });
    const before = await simStats();
    const stream = await client.chat.completions.create({
      model: "llama-3.1-8b-instruct", messages: MESSAGES, max_tokens: 200, stream: true, ...({ sim: { itlMs: 50 } } as object),
    });
    let chunks = 0;
    for await (const _ of stream) if (++chunks === 3) break;
    const after = await eventually(simStats, (s) => s.cancelled > before.cancelled && s.inFlight === before.inFlight);
    expect(after.cancelled - before.cancelled).toBe(1);
    expect(after.completed - before.completed).toBe(0);
  });
});
