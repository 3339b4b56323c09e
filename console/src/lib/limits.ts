// What remains of a project's per-minute limits right now, read without spending any.
//
// The router puts the x-ratelimit-* headers on every answer to a request that names a model,
// including the refusal of a model on the wrong route (a chat model sent to /v1/embeddings),
// which only reads the counters: nothing is admitted, booked or charged. The console asks
// that way, once per model; it needs a key with the 'inference' scope.

import { ApiFailure, failureFrom, send, type Credential } from "./api.ts";
import type { ModelCard } from "./types.ts";

export interface LimitReading {
  model: string;
  requests: { limit: number; remaining: number; reset: string };
  tokens: { limit: number; remaining: number; reset: string };
}

export type LimitResult = { kind: "ok"; reading: LimitReading } | { kind: "no_inference" } | { kind: "budget_spent"; failure: ApiFailure } | { kind: "unavailable"; reason: string };

function probeBody(m: ModelCard): { path: string; body: unknown } {
  return m.type === "embedding"
    ? { path: "/v1/chat/completions", body: { model: m.id, messages: [{ role: "user", content: "." }], max_tokens: 1 } }
    : { path: "/v1/embeddings", body: { model: m.id, input: "." } };
}

export async function readLimits(cred: Credential, m: ModelCard): Promise<LimitResult> {
  const { path, body } = probeBody(m);
  const res = await send(cred, "POST", path, { body });
  const h = (name: string): string | null => res.headers.get(`x-ratelimit-${name}`);
  const num = (name: string): number => Number(h(name));
  if (h("limit-requests") !== null && h("remaining-tokens") !== null) {
    await res.body?.cancel();
    return {
      kind: "ok",
      reading: {
        model: m.id,
        requests: { limit: num("limit-requests"), remaining: num("remaining-requests"), reset: h("reset-requests") ?? "" },
        tokens: { limit: num("limit-tokens"), remaining: num("remaining-tokens"), reset: h("reset-tokens") ?? "" },
      },
    };
  }
  const f: ApiFailure = await failureFrom(res);
  if (f.code === "insufficient_scope") return { kind: "no_inference" };
  // The budget is asked before the limiter: a spent one refuses even this probe.
  if (f.code === "insufficient_quota") return { kind: "budget_spent", failure: f };
  return { kind: "unavailable", reason: f.message };
}
