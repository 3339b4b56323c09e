// Picks an origin for a request: the best priority tier, then weighted at random.
// Pure: the random draw is passed in.

import type { OriginSpec } from "../catalog/types.ts";

export function pickOrigin(origins: readonly OriginSpec[], draw: number): OriginSpec | null {
  let best = Infinity;
  for (const o of origins) if ((o.weight ?? 1) > 0) best = Math.min(best, o.priority ?? 0);
  const tier = origins.filter((o) => (o.priority ?? 0) === best && (o.weight ?? 1) > 0);
  const total = tier.reduce((s, o) => s + (o.weight ?? 1), 0);
  let at = draw * total;
  for (const o of tier) {
    at -= o.weight ?? 1;
    if (at < 0) return o;
  }
  return tier.at(-1) ?? null;
}
