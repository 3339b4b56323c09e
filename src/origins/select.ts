// The choice rule: orders a model's origins for one request. Pure: health and the
// random draws come in as arguments.
//
// 1. Skip origins with weight 0 and origins known to be unhealthy.
// 2. Lower priority first (an explicit backup tier stays a backup).
// 3. Within a priority, nearer first (proximityRank).
// 4. Among equals, a weighted random order: weight 3 is first three times as often as weight 1.
// The result is the failover order; its head serves the request when it is healthy.
// 5. If that leaves none because every breaker is open, the origin whose cool-down ends
//    first is probed early (soonestToRecover): right after an outage the recovered
//    origin serves at once instead of the model answering 503 until its cool-down ends.

import type { OriginSpec } from "../catalog/types.ts";
import { proximityRank, type CallerLocation } from "./location.ts";

export function rankOrigins(
  origins: readonly OriginSpec[],
  loc: CallerLocation,
  isUp: (o: OriginSpec) => boolean,
  draw: () => number,
): OriginSpec[] {
  const groups = new Map<string, { priority: number; rank: number; members: OriginSpec[] }>();
  for (const o of origins) {
    if ((o.weight ?? 1) <= 0 || !isUp(o)) continue;
    const priority = o.priority ?? 0;
    const rank = proximityRank(loc, o);
    const key = `${priority}/${rank}`;
    const g = groups.get(key) ?? { priority, rank, members: [] };
    g.members.push(o);
    groups.set(key, g);
  }
  const ordered = [...groups.values()].sort((a, b) => a.priority - b.priority || a.rank - b.rank);
  return ordered.flatMap((g) => weightedOrder(g.members, draw));
}

/** Draws without replacement, each pick proportional to weight. */
export function weightedOrder(members: readonly OriginSpec[], draw: () => number): OriginSpec[] {
  const left = [...members];
  const out: OriginSpec[] = [];
  while (left.length > 0) {
    const total = left.reduce((s, o) => s + (o.weight ?? 1), 0);
    let at = draw() * total;
    let i = 0;
    for (; i < left.length - 1; i++) {
      at -= left[i]!.weight ?? 1;
      if (at < 0) break;
    }
    out.push(...left.splice(i, 1));
  }
  return out;
}

/**
 * The origin to probe when none may be tried: the one whose breaker opens soonest
 * (`probeAt`: when, or null while its probe is out); weight 0 never. Ties go to the
 * earlier in the catalog.
 */
export function soonestToRecover(origins: readonly OriginSpec[], probeAt: (o: OriginSpec) => number | null): OriginSpec | null {
  let best: OriginSpec | null = null;
  let bestAt = Infinity;
  for (const o of origins) {
    if ((o.weight ?? 1) <= 0) continue;
    const at = probeAt(o);
    if (at !== null && at < bestAt) {
      best = o;
      bestAt = at;
    }
  }
  return best;
}
