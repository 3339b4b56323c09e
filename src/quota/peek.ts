// The limit headers for a request refused before admission (say, a max_tokens over the
// context length): it names a model, so it gets them too, and spends nothing.

import type { ModelEntry } from "../catalog/types.ts";
import { rateLimitHeaders, unknownLimitHeaders } from "./headers.ts";
import { limiterStub } from "./limiter-stub.ts";
import { LIMITER_TIMEOUT_MS, withTimeout } from "./limiter-timeout.ts";
import { effectiveLimits } from "./overrides.ts";
import type { Limits } from "./rate-limiter.ts";

export async function peekHeaders(env: Env, projectId: string, model: ModelEntry, override: Partial<Limits> | undefined): Promise<Record<string, string>> {
  const limits = effectiveLimits(override, model);
  try {
    return rateLimitHeaders(await withTimeout(limiterStub(env, projectId, model.id).peek(limits), LIMITER_TIMEOUT_MS));
  } catch {
    return unknownLimitHeaders(limits);
  }
}
