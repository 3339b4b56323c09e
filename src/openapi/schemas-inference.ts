// The inference side's schemas: our model card, and the request and answer bodies of chat,
// completions and embeddings. Answers come from the origin as OpenAI sends them; the
// router adds nothing to them, so the schemas require what clients rely on and allow more.

import { ref, type Schema } from "./types.ts";

const date: Schema = { type: ["string", "null"], pattern: "^\\d{4}-\\d{2}-\\d{2}(T[\\d:.]+(Z|[+-]\\d{2}:\\d{2}))?$", description: "An ISO date (time optional) from the catalog, or null." };
const usage: Schema = {
  type: "object",
  required: ["prompt_tokens", "total_tokens"],
  properties: { prompt_tokens: { type: "integer", minimum: 0 }, completion_tokens: { type: "integer", minimum: 0 }, total_tokens: { type: "integer", minimum: 0 } },
};
const message: Schema = {
  type: "object",
  required: ["role"],
  properties: { role: { type: "string" }, content: { description: "A string or an array of content parts.", type: ["string", "array", "null"] } },
};

export const inferenceSchemas: Record<string, Schema> = {
  Model: {
    type: "object",
    description: "OpenAI's model object plus our model card. Origins and timeouts never leave the router.",
    required: ["id", "object", "created", "owned_by", "type", "plan", "display_name", "description", "context_length", "license", "source_url", "pricing", "limits", "lifecycle"],
    additionalProperties: false,
    properties: {
      id: { type: "string" },
      object: { const: "model" },
      created: { type: "integer", description: "Unix seconds of the release date, 0 if unknown." },
      owned_by: { type: "string" },
      type: { type: "string", enum: ["chat", "embedding"] },
      plan: { type: "string", enum: ["Base", "Plus", "Premium"] },
      display_name: { type: "string" },
      description: { type: ["string", "null"] },
      context_length: { type: "integer", minimum: 1 },
      license: { type: "object", required: ["name", "url"], properties: { name: { type: "string" }, url: { type: "string" } } },
      source_url: { type: "string" },
      pricing: {
        type: "object",
        required: ["input_per_million", "output_per_million", "currency"],
        properties: { input_per_million: { type: "number", minimum: 0 }, output_per_million: { type: "number", minimum: 0 }, currency: { type: "string" } },
      },
      limits: { type: "object", required: ["rpm", "tpm"], description: "The catalog's per-project limits (a project may have its own).", properties: { rpm: { type: "integer" }, tpm: { type: "integer" } } },
      expected_completion_tokens: {
        type: "integer",
        minimum: 1,
        description:
          "Chat models: completion tokens per choice a request without max_tokens reserves against the TPM limit until the project's own answers have been learned (then their mean).",
      },
      lifecycle: {
        type: "object",
        required: ["status", "released", "deprecated", "sunset", "successor"],
        additionalProperties: false,
        properties: { status: { type: "string", enum: ["active", "deprecated", "retired"] }, released: date, deprecated: date, sunset: date, successor: { type: ["string", "null"] } },
      },
    },
  },
  ModelList: { type: "object", required: ["object", "data"], properties: { object: { const: "list" }, data: { type: "array", items: ref("schemas", "Model") } } },
  ChatCompletionRequest: {
    type: "object",
    description: "OpenAI's chat request. Fields the router does not read pass through to the origin untouched.",
    required: ["model", "messages"],
    properties: {
      model: { type: "string" },
      messages: { type: "array", minItems: 1, items: message },
      stream: { type: "boolean" },
      stream_options: { type: ["object", "null"], properties: { include_usage: { type: "boolean" } } },
      max_tokens: { type: ["integer", "null"], minimum: 0 },
      max_completion_tokens: { type: ["integer", "null"], minimum: 0 },
      n: { type: ["integer", "null"], minimum: 1 },
    },
  },
  ChatCompletion: {
    type: "object",
    required: ["id", "object", "created", "model", "choices"],
    properties: {
      id: { type: "string" },
      object: { const: "chat.completion" },
      created: { type: "integer" },
      model: { type: "string" },
      choices: { type: "array", items: { type: "object", required: ["index", "message"], properties: { index: { type: "integer" }, message, finish_reason: { type: ["string", "null"] } } } },
      usage,
    },
  },
  ChatCompletionChunk: {
    type: "object",
    description: "One `data:` event of a stream. A stream ends with `data: [DONE]`, or, if the origin failed mid-way, with an Error event and no [DONE].",
    oneOf: [
      {
        type: "object",
        required: ["id", "object", "created", "model", "choices"],
        properties: { object: { const: "chat.completion.chunk" }, choices: { type: "array" }, usage: { anyOf: [usage, { type: "null" }] } },
      },
      ref("schemas", "Error"),
    ],
  },
  CompletionRequest: {
    type: "object",
    required: ["model", "prompt"],
    properties: { model: { type: "string" }, prompt: { type: ["string", "array"] }, stream: { type: "boolean" }, max_tokens: { type: ["integer", "null"], minimum: 0 } },
  },
  Completion: {
    type: "object",
    required: ["id", "object", "created", "model", "choices"],
    properties: {
      object: { const: "text_completion" },
      choices: { type: "array", items: { type: "object", required: ["index", "text"], properties: { index: { type: "integer" }, text: { type: "string" } } } },
      usage,
    },
  },
  CompletionChunk: {
    type: "object",
    oneOf: [{ type: "object", required: ["object", "choices"], properties: { object: { const: "text_completion" }, choices: { type: "array" } } }, ref("schemas", "Error")],
  },
  EmbeddingRequest: {
    type: "object",
    required: ["model", "input"],
    properties: { model: { type: "string" }, input: { type: ["string", "array"] }, encoding_format: { type: "string", enum: ["float", "base64"] } },
  },
  EmbeddingList: {
    type: "object",
    required: ["object", "data", "model", "usage"],
    properties: {
      object: { const: "list" },
      model: { type: "string" },
      data: {
        type: "array",
        items: { type: "object", required: ["object", "index", "embedding"], properties: { object: { const: "embedding" }, index: { type: "integer" }, embedding: { type: ["array", "string"], items: { type: "number" } } } },
      },
      usage,
    },
  },
};
