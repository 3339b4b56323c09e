// The official `openai` client against the running router: if the SDK is happy, users are.

import OpenAI from "openai";
import { describe, expect, inject, it } from "vitest";

const client = (apiKey = inject("demoKey")) => new OpenAI({ apiKey, baseURL: `${inject("routerUrl")}/v1`, maxRetries: 0 });

describe("openai client against the router", () => {
  it("lists models with their model cards", async () => {
    const page = await client().models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain("llama-3.1-8b-instruct");
    expect(ids).toContain("e5-mistral-7b-instruct");
    const card = (await client().models.retrieve("llama-3.3-70b-instruct")) as unknown as Record<string, unknown>;
    expect(card).toMatchObject({ plan: "Premium", type: "chat" });
  });

  it("completes a chat without streaming", async () => {
    const res = await client().chat.completions.create({
      model: "llama-3.1-8b-instruct",
      messages: [{ role: "user", content: "Say something." }],
      max_tokens: 6,
    });
    expect(res.choices[0]?.message.content?.trim().split(/\s+/)).toHaveLength(6);
    expect(res.usage?.completion_tokens).toBe(6);
  });

  it("streams a chat with deltas arriving one by one", async () => {
    // Lock step (sim/gates.ts): the origin sends token k only once this client reported k
    // tokens received, so a relay or dev front holding a token back deadlocks into the
    // deadline below, however loaded the machine is; nothing here measures time gaps.
    const gate = `e2e-one-by-one-${crypto.randomUUID()}`;
    const stream = await client().chat.completions.create({
      model: "llama-3.1-8b-instruct",
      messages: [{ role: "user", content: "Count." }],
      max_tokens: 8,
      stream: true,
      stream_options: { include_usage: true },
      // The simulated origin reads this pass-through field.
      ...({ sim: { gate } } as object),
    });
    const chunks = stream[Symbol.asyncIterator]();
    let text = "";
    let seen = 0;
    let usage: { completion_tokens: number } | null | undefined;
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const heldBack = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`held back: delta ${seen + 1} not relayed, the origin is waiting for it`)), 10_000);
      });
      const next = await Promise.race([chunks.next(), heldBack]).finally(() => clearTimeout(timer));
      if (next.done) break;
      const delta = next.value.choices[0]?.delta.content;
      if (delta) {
        text += delta;
        seen++;
        // Whichever of the two simulated origins serves the model waits for the report.
        for (const sim of [inject("simUrl"), inject("sim2Url")]) {
          const res = await fetch(`${sim}/_sim/gate`, { method: "POST", body: JSON.stringify({ gate, seen }) });
          expect(res.status).toBe(200);
          await res.text();
        }
      }
      if (next.value.usage) usage = next.value.usage;
    }
    expect(text.trim().split(/\s+/)).toHaveLength(8);
    expect(usage?.completion_tokens).toBe(8);
  });

  it("creates embeddings", async () => {
    const res = await client().embeddings.create({ model: "e5-mistral-7b-instruct", input: ["a", "b"] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it("surfaces our errors as the SDK's typed errors", async () => {
    await expect(client("sk-eir-not-a-real-key-000000000000").models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client().chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client().chat.completions.create({ model: "llama-3.1-8b-instruct", messages: [] })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });
});
