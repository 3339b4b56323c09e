// A catalog entry as the API shows it: OpenAI's model object plus our model card.
// Origins and timeouts are operator detail and never leave the router.

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
    lifecycle: {
      status: lifecycleStatus(m, now),
      released: lc.released ?? null,
      deprecated: lc.deprecated ?? null,
      sunset: lc.sunset ?? null,
      successor: lc.successor ?? null,
    },
  };
}
