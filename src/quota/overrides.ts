// A project's own limits for a model, where an operator granted more than the catalog's
// standard ones. They arrive with the key record, which the project's object confirms.

import type { ModelEntry } from "../catalog/types.ts";
import type { Limits } from "./rate-limiter.ts";

const positive = (v: number | undefined): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

export function effectiveLimits(override: Partial<Limits> | undefined, model: ModelEntry): Limits {
  return {
    rpm: positive(override?.rpm) ? override.rpm : model.limits.rpm,
    tpm: positive(override?.tpm) ? override.tpm : model.limits.tpm,
  };
}
