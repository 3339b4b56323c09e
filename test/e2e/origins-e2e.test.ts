// The official `openai` client while one of the model's two origins is down: every request
// still succeeds, because the router fails over before the first byte.

import OpenAI from "openai";
import { afterEach, describe, expect, inject, it } from "vitest";

const client = () => new OpenAI({ apiKey: inject("demoKey"), baseURL: `${inject("routerUrl")}/v1`, maxRetries: 0 });
const sim2 = (path: string, body?: unknown) =>
  fetch(`${inject("sim2Url")}/_sim/${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });

afterEach(async () => {
  await sim2("reset", {});
});

async function everyRequestSucceeds(): Promise<void> {
  for (let i = 0; i < 12; i++) {
    if (i % 2 === 0) {
      const res = await client().chat.completions.create({ model: "llama-3.1-8b-instruct", messages: [{ role: "user", content: "Hi." }], max_tokens: 3 });
      expect(res.choices[0]?.message.content?.trim().split(/\s+/)).toHaveLength(3);
    } else {
      const stream = await client().chat.completions.create({
        model: "llama-3.1-8b-instruct",
        messages: [{ role: "user", content: "Hi." }],
        max_tokens: 3,
        stream: true,
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text.trim().split(/\s+/)).toHaveLength(3);
    }
  }
}

/** The down origin was really chosen (and failed) along the way, not just avoided by luck. */
async function expectTriedAndFailed(): Promise<void> {
  const stats = (await (await sim2("stats")).json()) as { requests: number; completed: number };
  expect(stats.requests).toBeGreaterThan(0);
  expect(stats.completed).toBe(0);
}

describe("one of two origins down", () => {
  it("every request succeeds while the second origin drops connections", async () => {
    await sim2("config", { fail: "reset" });
    await everyRequestSucceeds();
    await expectTriedAndFailed();
  });

  it("every request succeeds while the second origin answers 503", async () => {
    // Let the breaker the previous test opened cool down (5 s by default), so sim2 is tried again.
    await new Promise((r) => setTimeout(r, 5500));
    await sim2("config", { fail: "status", status: 503 });
    await everyRequestSucceeds();
    await expectTriedAndFailed();
  });
});
