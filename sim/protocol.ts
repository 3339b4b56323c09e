// Wire-format helpers for the simulated origin: OpenAI-shaped bodies, SSE chunk templates, token estimates.

import { prng } from "./prng.ts";

/**
 * stall_declared and cut_declared: a JSON answer's headers declare its whole length, half of
 * it follows, then silence or a dropped connection (as a server that sizes its body first,
 * which most do); in a stream they act as stall_mid and cut.
 */
export type FailMode = "none" | "status" | "reset" | "cut" | "stall" | "malformed" | "stall_mid" | "stall_declared" | "cut_declared";
/**
 * How the usage object looks and where it stands, as real servers send it: plain (three
 * counts, last), openai (with prompt_ and completion_tokens_details, then more members),
 * vllm (prompt_tokens_details with cached tokens, as prefix caching reports them), first
 * (OpenAI's shape before the choices).
 */
export type UsageShape = "plain" | "openai" | "vllm" | "first";
const USAGE_SHAPES: readonly string[] = ["plain", "openai", "vllm", "first"];

export interface SimBehaviour {
  ttftMs?: number;
  itlMs?: number;
  tokens?: number;
  fail?: FailMode;
  status?: number;
  cutAfter?: number;
  usageShape?: UsageShape;
  /** Lock-step stream (sim/gates.ts): token k waits for the client's report of k tokens. "" is off. */
  gate?: string;
}

export type ResolvedBehaviour = Required<SimBehaviour>;

export const DEFAULT_BEHAVIOUR: ResolvedBehaviour = {
  ttftMs: 0,
  itlMs: 0,
  tokens: 16,
  fail: "none",
  status: 500,
  cutAfter: 2,
  usageShape: "plain",
  gate: "",
};

const FAIL_MODES: readonly string[] = ["none", "status", "reset", "cut", "stall", "malformed", "stall_mid", "stall_declared", "cut_declared"];

/** Validates an untrusted behaviour object (control plane or per-request `sim`); returns an error message or the clean subset. */
export function sanitizeBehaviour(raw: unknown): SimBehaviour | string {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) return "sim behaviour must be a JSON object";
  const r = raw as Record<string, unknown>;
  const out: SimBehaviour = {};
  for (const key of ["ttftMs", "itlMs", "tokens", "cutAfter"] as const) {
    const v = r[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return `sim.${key} must be a non-negative number`;
    out[key] = key === "tokens" || key === "cutAfter" ? Math.floor(v) : v;
  }
  if (r.status !== undefined && r.status !== null) {
    if (typeof r.status !== "number" || !Number.isInteger(r.status) || r.status < 200 || r.status > 599) {
      return "sim.status must be an HTTP status code";
    }
    out.status = r.status;
  }
  if (r.fail !== undefined && r.fail !== null) {
    if (typeof r.fail !== "string" || !FAIL_MODES.includes(r.fail)) return `sim.fail must be one of ${FAIL_MODES.join(", ")}`;
    out.fail = r.fail as FailMode;
  }
  if (r.usageShape !== undefined && r.usageShape !== null) {
    if (typeof r.usageShape !== "string" || !USAGE_SHAPES.includes(r.usageShape)) return `sim.usageShape must be one of ${USAGE_SHAPES.join(", ")}`;
    out.usageShape = r.usageShape as UsageShape;
  }
  if (r.gate !== undefined && r.gate !== null) {
    if (typeof r.gate !== "string" || r.gate.length > 200) return "sim.gate must be a string of at most 200 characters";
    out.gate = r.gate;
  }
  return out;
}

/** Field-by-field overlay that, unlike spread, never lets an explicit `undefined` erase a lower layer. */
export function overlay<T extends object>(base: T, ...layers: Partial<T>[]): T {
  const out = { ...base } as Record<string, unknown>;
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) out[k] = v;
  }
  return out as T;
}

// ---- token estimates -------------------------------------------------------------------------

/**
 * Deterministic prompt-token rule (exported so billing tests can compute expectations):
 * - chat: sum over messages of ceil(len(JSON.stringify(content ?? "")) / 4) + 4, where a
 *   string content counts its characters and its two quotes, not its escapes (as the router)
 * - completions / embeddings: per prompt item, a string counts ceil(len / 4) and a token-id
 *   array counts its length; items are summed.
 */
export function chatPromptTokens(messages: unknown[]): number {
  let total = 0;
  for (const m of messages) {
    const content = m !== null && typeof m === "object" ? (m as { content?: unknown }).content : m;
    total += Math.ceil((typeof content === "string" ? content.length + 2 : JSON.stringify(content ?? "").length) / 4) + 4;
  }
  return total;
}

/** Normalises `prompt` / `input` (string | string[] | number[] | number[][]) into one item per prompt; null if malformed. */
export function promptItems(p: unknown): (string | number[])[] | null {
  if (typeof p === "string") return [p];
  if (!Array.isArray(p) || p.length === 0) return null;
  if (p.every((x) => typeof x === "number")) return [p as number[]];
  const items: (string | number[])[] = [];
  for (const x of p) {
    if (typeof x === "string") items.push(x);
    else if (Array.isArray(x) && x.every((y) => typeof y === "number")) items.push(x as number[]);
    else return null;
  }
  return items;
}

export function itemTokens(item: string | number[]): number {
  return typeof item === "string" ? Math.ceil(item.length / 4) : item.length;
}

export function completionText(len: number): string {
  let s = "";
  for (let i = 0; i < len; i++) s += ` t${i}`;
  return s;
}

// ---- errors ---------------------------------------------------------------------------------

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
};

export function errorBody(status: number, message: string, param: string | null = null): string {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
  return JSON.stringify({ error: { message, type, param, code: null } });
}

// ---- streaming templates ----------------------------------------------------------------------

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usage(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The usage object in the given shape (member order as those servers write it). */
export function shapedUsage(u: Usage, shape: UsageShape): Record<string, unknown> {
  switch (shape) {
    case "plain":
      return { ...u };
    case "vllm":
      return { prompt_tokens: u.prompt_tokens, total_tokens: u.total_tokens, completion_tokens: u.completion_tokens, prompt_tokens_details: { cached_tokens: Math.floor(u.prompt_tokens / 2) } };
    case "openai":
    case "first":
      return {
        ...u,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      };
  }
}

/**
 * Pre-rendered SSE frames. Built by string concatenation rather than JSON.stringify per token
 * because benchmarks push many thousands of chunks per second through one process.
 */
export class ChunkWriter {
  readonly pre: string;
  readonly post: string;
  readonly chat: boolean;
  readonly head: string;

  constructor(kind: "chat" | "completion", id: string, created: number, model: string, includeUsage: boolean) {
    this.chat = kind === "chat";
    const object = this.chat ? "chat.completion.chunk" : "text_completion";
    this.head = `data: {"id":"${id}","object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":`;
    this.pre = this.head + "[";
    this.post = includeUsage ? `],"usage":null}\n\n` : "]}\n\n";
  }

  role(index: number): string {
    return `${this.pre}{"index":${index},"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}${this.post}`;
  }

  token(index: number, k: number): string {
    return this.chat
      ? `${this.pre}{"index":${index},"delta":{"content":" t${k}"},"logprobs":null,"finish_reason":null}${this.post}`
      : `${this.pre}{"index":${index},"text":" t${k}","logprobs":null,"finish_reason":null}${this.post}`;
  }

  finish(index: number, reason: string): string {
    return this.chat
      ? `${this.pre}{"index":${index},"delta":{},"logprobs":null,"finish_reason":"${reason}"}${this.post}`
      : `${this.pre}{"index":${index},"text":"","logprobs":null,"finish_reason":"${reason}"}${this.post}`;
  }

  usage(u: Usage | Record<string, unknown>): string {
    return `${this.head}[],"usage":${JSON.stringify(u)}}\n\n`;
  }
}

// ---- embeddings -------------------------------------------------------------------------------

/** 8 floats in [-1, 1) derived from FNV-1a of the input, so equal inputs embed equally across runs. */
export function embed(item: string | number[]): number[] {
  const s = typeof item === "string" ? item : JSON.stringify(item);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const next = prng(h);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(Math.round((next() * 2 - 1) * 1e6) / 1e6);
  return out;
}

/** The OpenAI SDK asks for base64 by default and decodes little-endian float32, so honour that. */
export function embeddingBase64(v: number[]): string {
  const buf = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString("base64");
}

// ---- client-side helper -----------------------------------------------------------------------

/** Splits an SSE body into `data:` events and JSON-parses each one, skipping `[DONE]`. Throws on invalid JSON. */
export function parseSseEvents(text: string): unknown[] {
  const out: unknown[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    }
    if (data.length === 0) continue;
    const payload = data.join("\n");
    if (payload.trim() === "[DONE]") continue;
    out.push(JSON.parse(payload));
  }
  return out;
}
