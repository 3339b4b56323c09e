// Where a model is in its life at a given time, and which model serves a request for it.

import type { ModelEntry } from "./types.ts";

export type LifecycleStatus = "active" | "deprecated" | "retired";

export function lifecycleStatus(m: ModelEntry, now: number): LifecycleStatus {
  const lc = m.lifecycle;
  if (lc?.sunset !== undefined && Date.parse(lc.sunset) <= now) return "retired";
  if (lc?.deprecated !== undefined && Date.parse(lc.deprecated) <= now) return "deprecated";
  return "active";
}

export type Resolution =
  | { kind: "serve"; model: ModelEntry; requested: ModelEntry; substituted: boolean }
  | { kind: "not_found" }
  | { kind: "gone"; requested: ModelEntry };

/** Follows successors past retired models; a retired model with no live successor is gone. */
export function resolveModel(models: ReadonlyMap<string, ModelEntry>, id: string, now: number): Resolution {
  const requested = models.get(id);
  if (!requested) return { kind: "not_found" };
  let current = requested;
  for (let hops = 0; hops <= models.size; hops++) {
    if (lifecycleStatus(current, now) !== "retired") {
      return { kind: "serve", model: current, requested, substituted: current !== requested };
    }
    const next = current.lifecycle?.successor === undefined ? undefined : models.get(current.lifecycle.successor);
    if (!next) break;
    current = next;
  }
  return { kind: "gone", requested };
}

/** RFC 9745 Deprecation and RFC 8594 Sunset headers for a model past its deprecation date. */
export function lifecycleHeaders(m: ModelEntry, now: number, headers: Record<string, string>): void {
  const lc = m.lifecycle;
  if (!lc || lifecycleStatus(m, now) === "active") return;
  if (lc.deprecated !== undefined) headers.deprecation = `@${Math.floor(Date.parse(lc.deprecated) / 1000)}`;
  if (lc.sunset !== undefined) headers.sunset = new Date(Date.parse(lc.sunset)).toUTCString();
  if (lc.successor !== undefined) headers.link = `</v1/models/${encodeURIComponent(lc.successor)}>; rel="successor-version"`;
}
