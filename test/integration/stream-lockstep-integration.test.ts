// Tokens are relayed as they come, never held back: the origin sends token k only once
// this client has reported k tokens received (sim.gate), so a relay that holds a token
// back deadlocks and the test fails on its deadline, whatever the machine's load. Both
// relay paths: the client asked for usage (native copy) and did not (usage stripped).

import { beforeEach, describe, expect, it } from "vitest";
import { call, seedCatalog, seedKey, SIM, simStats } from "./helpers.ts";
import { chatBody } from "../support/chat-body.ts";

beforeEach(() => seedCatalog());

const TOKENS = 8;
/** Only a deadlock reaches this: a held-back token is never released by the origin. */
const HELD_BACK_MS = 8000;

type Event = { choices?: Array<{ delta?: { content?: string } }>; usage?: unknown; error?: unknown };

async function report(gate: string, seen: number): Promise<void> {
  const res = await fetch(`${SIM()}/_sim/gate`, { method: "POST", body: JSON.stringify({ gate, seen }) });
  expect(res.status).toBe(200);
  await res.body?.cancel();
}

/** Reads the stream event by event, reporting every content delta to the origin as it arrives. */
async function lockstep(body: ReadableStream<Uint8Array>, gate: string): Promise<{ events: Event[]; text: string }> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const events: Event[] = [];
  let text = "";
  let buffered = "";
  let seen = 0;
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`held back: token ${seen + 1} not relayed, the origin is waiting for it`)), HELD_BACK_MS);
    });
    const next = await Promise.race([reader.read(), deadline]).finally(() => clearTimeout(timer));
    if (next.done) break;
    text += next.value;
    buffered += next.value;
    let cut: number;
    while ((cut = buffered.indexOf("\n\n")) >= 0) {
      const data = buffered.slice(0, cut).replace(/^data: ?/, "");
      buffered = buffered.slice(cut + 2);
      if (data === "[DONE]") continue;
      const event = JSON.parse(data) as Event;
      events.push(event);
      if (event.choices?.[0]?.delta?.content) await report(gate, ++seen);
    }
  }
  return { events, text };
}

describe("stream relay in lock step with its origin", () => {
  for (const includeUsage of [true, false]) {
    it(`relays each token before the origin sends the next (include_usage: ${includeUsage})`, async () => {
      const { key } = await seedKey();
      const gate = `lockstep-${includeUsage}-${crypto.randomUUID()}`;
      const before = await simStats();
      const res = await call("/v1/chat/completions", {
        method: "POST",
        key,
        json: chatBody({ max_tokens: TOKENS, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}), sim: { gate, tokens: TOKENS } }),
      });
      expect(res.status).toBe(200);
      const { events, text } = await lockstep(res.body!, gate);
      expect(events.filter((e) => e.choices?.[0]?.delta?.content).length).toBe(TOKENS);
      expect(events.some((e) => e.usage)).toBe(includeUsage);
      expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
      expect((await simStats()).completionTokens - before.completionTokens).toBe(TOKENS);
    });
  }
});
