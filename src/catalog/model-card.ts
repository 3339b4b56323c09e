// A catalog entry as the API shows it: OpenAI's model object plus our model card.
// Origins and timeouts are operator detail and never leave the router.

import { DEFAULT_RESERVED } from "../quota/completion-sketch.ts";
import { lifecycleStatus } from "./lifecycle.ts";
import type { ModelEntry } from "./types.ts";

export function modelCard(m: ModelEntry, now: number): Record<string, unknown> {
  const lc = m.lifecycle ?? {};
  return {
    id: m.id,
    object: "model",
    created: lc.released !== undefined ? Math.floor(Date.parse(lc.released) / 1000) : 0,
    owned_by: m.owned_by,
    type: m.type,
    plan: m.plan,
    display_name: m.display_name ?? m.id,
    description: m.description ?? null,
    context_length: m.context_length,
    license: m.license,
    source_url: m.source_url,
    pricing: m.pricing,
    limits: m.limits,
    // What a request without max_tokens reserves per choice until the project's own answers
    // are learned: shown because it decides how many such requests fit the TPM burst at once.
    ...(m.type === "chat" ? { expected_completion_tokens: m.expected_completion_tokens ?? DEFAULT_RESERVED } : {}),
    lifecycle: {
      status: lifecycleStatus(m, now),
      released: lc.released ?? null,
      deprecated: lc.deprecated ?? null,
      sunset: lc.sunset ?? null,
      successor: lc.successor ?? null,
    },
  };
}
