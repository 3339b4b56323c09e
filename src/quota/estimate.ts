// What a request will cost before it runs, and what it did cost once it ended, in TPM
// units (prompt + 5 x completion; embeddings count the prompt only).

import type { InferenceRequest } from "../openai/inference-request.ts";
import type { Usage } from "../streaming/usage.ts";
import type { Units } from "./rate-limiter.ts";

export const COMPLETION_WEIGHT = 5;
/** Generation reserved per choice without max_tokens before anything was learned, where the catalog gives no expected_completion_tokens (completion-sketch.ts). */
export const EXPECTED_COMPLETION = 256;

/** About four characters per token; the same rule as the simulated origin, so tests can be exact. */
const charTokens = (chars: number): number => Math.ceil(chars / 4);
const textTokens = (s: string): number => charTokens(s.length);

function promptItemTokens(v: unknown): number {
  if (typeof v === "string") return textTokens(v);
  if (!Array.isArray(v)) return 0;
  if (v.every((t) => typeof t === "number")) return v.length;
  return v.reduce<number>((n, item) => n + promptItemTokens(item), 0);
}

/**
 * Prompt tokens as estimated from the body: per chat message its content's JSON length / 4,
 * plus 4. A string counts its characters and its two quotes, not its escapes: serialising
 * it to count them would cost about as much per KB as parsing the whole body.
 */
export function estimatePromptTokens(req: InferenceRequest): number {
  const { body } = req;
  if (req.endpoint === "chat") {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    let total = 0;
    for (const m of messages) {
      const content = typeof m === "object" && m !== null ? (m as Record<string, unknown>).content : undefined;
      total += charTokens(typeof content === "string" ? content.length + 2 : (JSON.stringify(content ?? "") ?? "").length) + 4;
    }
    return total;
  }
  return promptItemTokens(req.endpoint === "completion" ? body.prompt : body.input);
}

/** Choices the origin generates: n per prompt (and per prompt item for /v1/completions). */
export function choicesOf(req: InferenceRequest): number {
  if (req.endpoint === "embedding") return 0;
  const p = req.body.prompt;
  const items = req.endpoint === "completion" && Array.isArray(p) && p.length > 0 && !p.every((t) => typeof t === "number") ? p.length : 1;
  return req.n * items;
}

export const tpmUnits = (u: Usage): number => u.prompt_tokens + COMPLETION_WEIGHT * u.completion_tokens;

/**
 * The reservation at admission: the prompt estimate plus the generation. With max_tokens
 * that is the worst case, max_tokens per choice, so such a request can never turn out
 * larger than it reserved (as OpenAI counts max_tokens against TPM). Without it, the
 * completion has no bound the caller gave: `learned` is what the limiter object learned
 * this project's answers need (their mean, see completion-sketch.ts).
 */
export function reservationFor(req: InferenceRequest, promptTokens: number, learned = EXPECTED_COMPLETION): Units {
  const perChoice = req.maxTokens ?? learned;
  return { requests: 1, tokens: tpmUnits({ prompt_tokens: promptTokens, completion_tokens: perChoice * choicesOf(req) }) };
}

/** Whether a request's completion is bounded by the caller (its reservation is then exact or more). */
export const isBounded = (req: InferenceRequest): boolean => req.endpoint === "embedding" || req.maxTokens !== null;

/**
 * Completion tokens delivered when the origin sent no usage (client gone, stream cut):
 * one per content event, less the role-only first event of each chat choice.
 */
export function deliveredCompletionTokens(req: InferenceRequest, deltaEvents: number): number {
  if (req.endpoint === "embedding") return 0;
  const roleEvents = req.endpoint === "chat" ? choicesOf(req) : 0;
  return Math.max(0, deltaEvents - roleEvents);
}
