// What a finished request used: the origin's own usage when it sent one, else the prompt
// estimate plus the completion tokens actually delivered; nothing if the origin never ran.

import type { InferenceRequest } from "../openai/inference-request.ts";
import type { RelayResult } from "../streaming/relay.ts";
import type { Usage } from "../streaming/usage.ts";
import { deliveredCompletionTokens, tpmUnits } from "./estimate.ts";
import type { Units } from "./rate-limiter.ts";

export interface Settlement {
  used: Units;
  /** Billed usage; null when the request is not billed at all. */
  usage: Usage | null;
}

const billed = (usage: Usage): Settlement => ({ used: { requests: 1, tokens: tpmUnits(usage) }, usage });

export function settlementFromRelay(req: InferenceRequest, promptEstimate: number, r: Pick<RelayResult, "usage" | "deltaEvents">): Settlement {
  if (r.usage !== null) {
    const completion = req.endpoint === "embedding" ? 0 : r.usage.completion_tokens;
    return billed({ prompt_tokens: r.usage.prompt_tokens, completion_tokens: completion });
  }
  return billed({ prompt_tokens: promptEstimate, completion_tokens: deliveredCompletionTokens(req, r.deltaEvents) });
}

/**
 * The request failed before a body reached the client. If the client went away while
 * the origin was working, the origin has read the prompt: bill it. Any other failure
 * (no origin, origin refused or broke) costs the client nothing.
 */
export function settlementFromError(promptEstimate: number, code: string | null): Settlement {
  if (code === "client_closed") return billed({ prompt_tokens: promptEstimate, completion_tokens: 0 });
  return { used: { requests: 0, tokens: 0 }, usage: null };
}

/** The limiter units a billed usage takes: one request and its TPM units, or nothing. */
export const usedUnits = (usage: Usage | null): Units => (usage === null ? { requests: 0, tokens: 0 } : { requests: 1, tokens: tpmUnits(usage) });
