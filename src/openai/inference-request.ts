// Checks the fields of an inference request that the router itself relies on;
// every other field passes through to the origin untouched.

import { invalidRequest } from "./errors.ts";
import { missingParameter } from "./request-errors.ts";
import { isObj, type JsonObject } from "./json.ts";

export type Endpoint = "chat" | "completion" | "embedding";

export interface InferenceRequest {
  endpoint: Endpoint;
  model: string;
  stream: boolean;
  /** The client asked for the usage chunk at the end of a stream. */
  includeUsage: boolean;
  /** max_tokens / max_completion_tokens, if given. */
  maxTokens: number | null;
  n: number;
  body: JsonObject;
}

export const MAX_N = 16;
const MAX_MODEL_ID = 256;

function positiveInt(body: JsonObject, field: string, max: number): number | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isInteger(v)) throw invalidRequest(`'${field}' must be an integer.`, field);
  if (v < 1 || v > max) throw invalidRequest(`'${field}' must be between 1 and ${max}, got ${v}.`, field);
  return v;
}

function checkModel(body: JsonObject): string {
  const model = body.model;
  if (model === undefined) throw missingParameter("model", "You must provide a model parameter.");
  if (typeof model !== "string" || model.length === 0 || model.length > MAX_MODEL_ID) {
    throw invalidRequest("'model' must be a non-empty string.", "model");
  }
  return model;
}

function checkMessages(body: JsonObject): void {
  const messages = body.messages;
  if (messages === undefined) throw missingParameter("messages");
  if (!Array.isArray(messages) || messages.length === 0) throw invalidRequest("'messages' must be a non-empty array.", "messages");
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isObj(m)) throw invalidRequest(`'messages[${i}]' must be an object.`, `messages[${i}]`);
    if (typeof m.role !== "string" || m.role.length === 0) {
      throw invalidRequest(`'messages[${i}].role' must be a non-empty string.`, `messages[${i}].role`);
    }
  }
}

const isTokenArray = (v: unknown): boolean => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t));

/** prompt (completions) and input (embeddings): a string, strings, tokens, or token arrays. */
function checkTextInput(body: JsonObject, field: "prompt" | "input"): void {
  const v = body[field];
  if (v === undefined) throw missingParameter(field);
  if (typeof v === "string") return;
  if (Array.isArray(v) && v.length > 0) {
    if (v.every((s) => typeof s === "string")) return;
    if (isTokenArray(v) || v.every(isTokenArray)) return;
  }
  throw invalidRequest(`'${field}' must be a string, a non-empty array of strings, or an array of token ids.`, field);
}

export function parseInferenceRequest(endpoint: Endpoint, body: JsonObject, maxTokensLimit: number): InferenceRequest {
  const model = checkModel(body);
  if (endpoint === "chat") checkMessages(body);
  else checkTextInput(body, endpoint === "completion" ? "prompt" : "input");

  let stream = false;
  let includeUsage = false;
  let maxTokens: number | null = null;
  let n = 1;
  // Embeddings neither stream nor generate: these fields are the origin's business there.
  if (endpoint !== "embedding") {
    if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean") {
      throw invalidRequest("'stream' must be a boolean.", "stream");
    }
    stream = body.stream === true;
    const so = body.stream_options;
    if (so !== undefined && so !== null) {
      if (!stream) throw invalidRequest("'stream_options' is only allowed when 'stream' is true.", "stream_options");
      if (!isObj(so)) throw invalidRequest("'stream_options' must be an object.", "stream_options");
      if (so.include_usage !== undefined && typeof so.include_usage !== "boolean") {
        throw invalidRequest("'stream_options.include_usage' must be a boolean.", "stream_options.include_usage");
      }
      includeUsage = so.include_usage === true;
    }
    maxTokens = positiveInt(body, "max_completion_tokens", maxTokensLimit) ?? positiveInt(body, "max_tokens", maxTokensLimit);
    n = positiveInt(body, "n", MAX_N) ?? 1;
  }
  return { endpoint, model, stream, includeUsage, maxTokens, n, body };
}
