// The dedicated simulated origins of the origin tests: their URLs, their control plane
// (global behaviour, health flag, counters), and catalog entries pointing at them.

import { env } from "cloudflare:workers";
import type { SimBehaviour, SimStats } from "../../sim/origin.ts";
import type { ModelEntry, OriginSpec } from "../../src/catalog/types.ts";
import { model } from "./helpers.ts";

const urls = JSON.parse(env.ORIGIN_SIMS) as Record<string, string>;

export function simUrl(role: string): string {
  const url = urls[role];
  if (url === undefined) throw new Error(`no simulated origin for role ${role}`);
  return url;
}

async function control(role: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${simUrl(role)}/_sim/${path}`, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`sim ${role} ${path}: ${res.status} ${await res.text()}`);
}

export const sim = {
  reset: (role: string) => control(role, "reset", {}),
  config: (role: string, b: SimBehaviour) => control(role, "config", b),
  setHealthy: (role: string, healthy: boolean) => control(role, "health", { healthy }),
  stats: async (role: string): Promise<SimStats> => (await fetch(`${simUrl(role)}/_sim/stats`)).json(),
};

// The origin hears about a closed socket a moment after we close it: poll, don't sleep.
export { eventually } from "../support/eventually.ts";

let seq = 0;
/** An origin entry for a role, with an id of its own so breakers never leak between tests. */
export function originFor(role: string, over: Partial<OriginSpec> = {}): OriginSpec {
  seq++;
  return { id: `${role}-${seq}`, url: `${simUrl(role)}/v1`, region: `region-of-${role}`, ...over };
}

export function chatModel(id: string, origins: OriginSpec[], over: Partial<ModelEntry> = {}): ModelEntry {
  return model(id, { origins, ...over });
}
