// Per-project limit overrides. The project's own store provides them; until it does, the
// catalog's standard limits apply to everyone.

import type { ModelEntry } from "../catalog/types.ts";
import type { Limits } from "./rate-limiter.ts";

export interface LimitOverrideSource {
  /** The project's own limits for the model, or null for the catalog's. */
  limitsFor(projectId: string, modelId: string, env: Env): Promise<Partial<Limits> | null>;
}

export const catalogOnly: LimitOverrideSource = { limitsFor: async () => null };

const positive = (v: number | undefined): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

export async function effectiveLimits(source: LimitOverrideSource, projectId: string, model: ModelEntry, env: Env): Promise<Limits> {
  const o = await source.limitsFor(projectId, model.id, env);
  return {
    rpm: positive(o?.rpm) ? o.rpm : model.limits.rpm,
    tpm: positive(o?.tpm) ? o.tpm : model.limits.tpm,
  };
}
